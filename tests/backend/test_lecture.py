"""Request reading and rules without HTTP: surrogates, envelope, selectors, dates."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ficoba_sandbox.api import schemas
from ficoba_sandbox.backend import regles
from ficoba_sandbox.backend.demandes import EtatCivil
from ficoba_sandbox.domain.errors import FicobaError


def _code(f, *a, **kw) -> str:
    with pytest.raises(FicobaError) as e:
        f(*a, **kw)
    return e.value.code


def test_lone_surrogate_is_caf002() -> None:
    # Lone surrogates decode as JSON: the envelope's reader refuses them (CAF002).
    corps = json.loads('{"dateDemande":"2024-02-08","justification":"\\ud800"}')
    assert _code(schemas.lire_enveloppe, corps) == "CAF002"
    assert _code(schemas.controler_textes, {"\udc00": "x"}) == "CAF002"


@pytest.mark.parametrize("corps", [[], "x", 3, None])
def test_body_not_an_object_is_cat002(corps) -> None:
    assert _code(schemas.lire_enveloppe, corps) == "CAT002"


def test_echo_fills_missing_envelope_fields_and_keeps_criteria() -> None:
    crit = {"a": None, "b": {}, "c": ""}
    out = schemas.echo({"motif": "020", "criteresRecherche": crit, "referenceDemande": "string"})
    assert out == {
        "dateDemande": "",
        "motif": "020",
        "siretDemandeur": "",
        "sirenDemandeur": "",
        "justification": "",
        "criteresRecherche": crit,
    }


@pytest.mark.parametrize(
    ("valeur", "ok"),
    [
        ("2024-02-08", True),
        ("2024-02-08T10:00:00.000Z", True),
        ("2024-05-16 T10:00:00.000Z", True),
        ("2024-11-19T10:38:32.83", True),
        ("2024-02-30", False),
        ("1700000000", False),
    ],
)
def test_date_demande_forms(valeur: str, ok: bool) -> None:
    if ok:
        assert regles.date_demande(valeur).year == 2024
    else:
        assert _code(regles.date_demande, valeur) == "CAF002"


def test_birth_range_rules() -> None:
    today = date(2025, 6, 15)
    rng = EtatCivil(nom="X", annee_debut="1911", mois_debut="01", annee_fin="1912", mois_fin="02")
    assert _code(regles.dates_naissance, rng, today, intervalle=True) == "CAF032"
    ok = EtatCivil(nom="X", annee_debut="1911", annee_fin="1911")
    assert regles.dates_naissance(ok, today, intervalle=True) == (
        date(1911, 1, 1),
        date(1911, 12, 31),
    )
    both = EtatCivil(nom="X", annee="1911", annee_debut="1911", annee_fin="1911")
    assert _code(regles.dates_naissance, both, today, intervalle=True) == "CAF012"
    futur = EtatCivil(nom="X", annee="2025", mois="07")
    assert _code(regles.dates_naissance, futur, today, intervalle=False) == "CAF024"


def test_motif_compared_on_four_digits() -> None:
    assert regles.motif_canonique("021") == regles.motif_canonique("0021") == "0021"


def test_surrogate_check_fast_path_is_the_walk() -> None:
    """`controler_textes` skips its walk when orjson accepts the document: the verdict (and the
    attribute named) is the walk's on documents with and without lone surrogates."""
    import random

    rng = random.Random(7)
    pieces = ["a", "é", "\ud800", "\udfff", "x\udc00y", "", "0", 2**70, 12, None, True]

    def doc(depth: int = 0) -> object:
        r = rng.random()
        if depth < 3 and r < 0.3:
            return {str(rng.choice(pieces)): doc(depth + 1) for _ in range(rng.randrange(0, 4))}
        if depth < 3 and r < 0.45:
            return [doc(depth + 1) for _ in range(rng.randrange(0, 3))]
        return rng.choice(pieces)

    def verdict(f, value) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
        try:
            f(value, "corps")
        except FicobaError as e:
            return e.code, e.message
        return None

    seen = set()
    for _ in range(3000):
        value = doc()
        expected = verdict(schemas._controler_textes, value)
        assert verdict(schemas.controler_textes, value) == expected, value
        seen.add(expected is None)
    assert seen == {True, False}  # both verdicts were met


def test_texte_reads_the_name_then_each_alias_in_order() -> None:
    texte = schemas.texte
    assert texte({"a": " x "}, "a", "b") == "x"
    assert texte({"b": "y", "c": "z"}, "a", "b", "c") == "y"  # the first alias present
    assert texte({"a": None, "b": "y"}, "a", "b") == ""  # present but null: no alias read
    assert texte({"c": "z"}, "a", "b") == ""
    assert texte(None, "a") == ""
    assert _code(texte, {"b": 3}, "a", "b") == "CAF002"
    with pytest.raises(FicobaError) as e:
        texte({"b": 3}, "a", "b")
    assert "a" in e.value.message  # named after the field, not the alias
