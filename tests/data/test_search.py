"""data/search.py: the criteria and the matching rules of docs/data.md, one by one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ficoba_sandbox.data.model import Adresse
from ficoba_sandbox.data.search import (
    CriteresAdresse,
    CriteresPersonnePhysique,
    address_keys,
    address_matches,
    clean,
    date_matches,
    date_predicate,
    int_or_zero,
    name_keys,
    words_match,
)
from ficoba_sandbox.domain.normalize import normalize_words


class Born:
    """A person's birth date, all the date rule reads."""

    def __init__(self, annee: str, mois: str = "", jour: str = "") -> None:
        self.annee_naissance, self.mois_naissance, self.jour_naissance = annee, mois, jour


def plain_date_rule(c: CriteresPersonnePhysique, pp: Born) -> bool:
    """The birth-date rule of docs/data.md written plainly: the oracle of `date_predicate`."""
    y, m, d = (int_or_zero(v) for v in (pp.annee_naissance, pp.mois_naissance, pp.jour_naissance))
    if clean(c.annee_naissance):
        if int_or_zero(c.annee_naissance) != y:
            return False
        wanted = (int_or_zero(c.mois_naissance), int_or_zero(c.jour_naissance))
        return all(not (w and h and w != h) for w, h in zip(wanted, (m, d), strict=True))
    if clean(c.annee_naissance_debut) or clean(c.annee_naissance_fin):
        start = (
            int_or_zero(c.annee_naissance_debut),
            int_or_zero(c.mois_naissance_debut) or 1,
            int_or_zero(c.jour_naissance_debut) or 1,
        )
        end = (
            int_or_zero(c.annee_naissance_fin) or 9999,
            int_or_zero(c.mois_naissance_fin) or 12,
            int_or_zero(c.jour_naissance_fin) or 31,
        )
        return (y, m or 1, d or 1) <= end and (y, m or 12, d or 31) >= start
    return True


PARTS = st.sampled_from(["", " ", "0", "00", "1", "01", "02", "12", "15", "28", "31", None])
YEARS = st.sampled_from(["", "1911", "1950", "1951", "1990", " 1950 ", None])
PERSONS = [
    Born(a, m, j)
    for a in ("1911", "1950", "1951", "1990", "")
    for m in ("", "01", "06", "12")
    for j in ("", "01", "15", "31")
]


@settings(max_examples=500)
@given(
    criteria=st.builds(
        CriteresPersonnePhysique,
        nom=st.just("X"),
        annee_naissance=YEARS,
        mois_naissance=PARTS,
        jour_naissance=PARTS,
        annee_naissance_debut=YEARS,
        mois_naissance_debut=PARTS,
        jour_naissance_debut=PARTS,
        annee_naissance_fin=YEARS,
        mois_naissance_fin=PARTS,
        jour_naissance_fin=PARTS,
    )
)
def test_date_predicate_is_the_plain_rule(criteria: CriteresPersonnePhysique) -> None:
    """Exact or range, complete or incomplete dates on either side."""
    predicate = date_predicate(criteria)
    for person in PERSONS:
        expected = plain_date_rule(criteria, person)
        assert date_matches(criteria, person) is expected  # type: ignore[arg-type]
        assert (predicate is None or predicate(person)) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("criteria", "person", "matches"),
    [
        (dict(annee_naissance="1958"), Born("1958", "3", "7"), True),
        (dict(annee_naissance="1958", mois_naissance="04"), Born("1958", "3", "7"), False),
        (dict(annee_naissance="1958", mois_naissance="04"), Born("1958"), True),  # unknown month
        (dict(annee_naissance="1958", jour_naissance="00"), Born("1958", "3", "7"), True),
        (dict(annee_naissance_debut="1958"), Born("1957", "12", "31"), False),
        (dict(annee_naissance_fin="1958", mois_naissance_fin="02"), Born("1958", "3"), False),
        (dict(annee_naissance_debut="1958", mois_naissance_debut="06"), Born("1958"), True),
    ],
)
def test_date_rule_examples(criteria: dict[str, str], person: Born, matches: bool) -> None:
    assert date_matches(CriteresPersonnePhysique(nom="X", **criteria), person) is matches  # type: ignore[arg-type]


def test_a_criterion_int_refuses_raises() -> None:
    with pytest.raises(ValueError):
        date_predicate(CriteresPersonnePhysique(nom="X", annee_naissance="²"))


def test_no_date_no_predicate() -> None:
    assert date_predicate(CriteresPersonnePhysique(nom="X")) is None


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Le Corbusier", ("LE CORBUSIER", "LECORBUSIER")),
        ("dupont", ("DUPONT",)),
        (" - ", ()),
    ],
)
def test_name_keys(name: str, keys: tuple[str, ...]) -> None:
    assert name_keys(name) == keys


@pytest.mark.parametrize(
    ("wanted", "stored", "matches"),
    [
        ("CORINNE", "CORINNE ANNE MARIE", True),
        ("corinne marie", "CORINNE ANNE MARIE", True),
        ("ANNE", "CORINNE ANNE MARIE", False),  # the first given must be the first
        ("CORINNE PAULE", "CORINNE ANNE MARIE", False),
        ("CHARLES-EDOUARD", "CHARLESEDOUARD", True),  # squashed forms meet
        ("", "CORINNE", True),
        ("CORINNE", "", False),
    ],
)
def test_first_names_rule(wanted: str, stored: str, matches: bool) -> None:
    assert words_match(normalize_words(wanted), stored) is matches


HOME = Adresse(
    "99100", "FRANCE", "75", "Paris", "111", "PARIS", "12", "B", "RUE", "DE LA PAIX", "", "75011"
)


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        (CriteresAdresse(code_pays="99100", code_departement="75", code_commune="111"), True),
        (CriteresAdresse(code_postal="75011", numero_voie="12", indice_repetition="b"), True),
        (CriteresAdresse(libelle_voie="de la paix", code_nature_voie="rue"), True),
        (CriteresAdresse(libelle_voie="DE LA GARE"), False),
        (CriteresAdresse(code_departement="13"), False),
        (CriteresAdresse(code_postal=" 75011 "), True),
    ],
)
def test_address_fields_compare_exactly(criteria: CriteresAdresse, matches: bool) -> None:
    assert address_matches(criteria, HOME) is matches


def test_nobody_without_an_address_is_at_one() -> None:
    assert not address_matches(CriteresAdresse(code_postal="75011"), None)


def test_address_keys_and_emptiness() -> None:
    assert address_keys(HOME) == (("d", "75"), ("c", "75", "111"), ("p", "75011"))
    assert CriteresAdresse().is_empty() and CriteresAdresse(code_pays="  ").is_empty()
    assert not CriteresAdresse(code_postal="75011").is_empty()


def test_clean_and_int_or_zero() -> None:
    assert clean(None) == "" and clean("  x ") == "x"
    assert int_or_zero(" 07 ") == 7 and int_or_zero("x") == 0 and int_or_zero(None) == 0
