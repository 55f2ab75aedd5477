"""backend/rules.py without HTTP: dateDemande's forms, birth-date windows, motifs on four digits."""

from __future__ import annotations

from datetime import date

import pytest

from ficoba_sandbox.backend import rules
from ficoba_sandbox.backend.demandes import EtatCivil
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.identifiers import is_valid_iban


def _code(f, *a, **kw) -> str:
    with pytest.raises(FicobaError) as e:
        f(*a, **kw)
    return e.value.code


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2024-02-08", True),
        ("2024-02-08T10:00:00.000Z", True),
        ("2024-05-16 T10:00:00.000Z", True),
        ("2024-11-19T10:38:32.83", True),
        ("2024-02-30", False),
        ("1700000000", False),
    ],
)
def test_date_demande_forms(value: str, ok: bool) -> None:
    if ok:
        assert rules.parse_date_demande(value).year == 2024
    else:
        assert _code(rules.parse_date_demande, value) == "CAF002"


def test_birth_range_rules() -> None:
    today = date(2025, 6, 15)
    rng = EtatCivil(nom="X", annee_debut="1911", mois_debut="01", annee_fin="1912", mois_fin="02")
    assert _code(rules.birth_date_window, rng, today, interval=True) == "CAF032"
    ok = EtatCivil(nom="X", annee_debut="1911", annee_fin="1911")
    assert rules.birth_date_window(ok, today, interval=True) == (
        date(1911, 1, 1),
        date(1911, 12, 31),
    )
    both = EtatCivil(nom="X", annee="1911", annee_debut="1911", annee_fin="1911")
    assert _code(rules.birth_date_window, both, today, interval=True) == "CAF012"
    futur = EtatCivil(nom="X", annee="2025", mois="07")
    assert _code(rules.birth_date_window, futur, today, interval=False) == "CAF024"


def test_motif_compared_on_four_digits() -> None:
    assert rules.canonical_motif("021") == rules.canonical_motif("0021") == "0021"


# `rules.check_iban` (cached format check) answers as the uncached check does.


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630004009550000135601429",
        "fr76 3000 4009 5500 0013 5601 429",
        "FR7630004009550000135601428",
        "FC1030004008711812050237399",
        "DE89370400440532013000",
        "FR76",
    ],
)
@pytest.mark.parametrize("fc", [True, False])
def test_check_iban_is_the_uncached_check(iban: str, fc: bool) -> None:
    value = iban.replace(" ", "").upper()
    pattern = rules._IBAN_FR_FC if fc else rules._IBAN_FR
    ok = bool(pattern.match(value)) and is_valid_iban(value)
    for _ in range(2):  # the second call answers from the cache
        if ok:
            assert rules.check_iban(iban, fc=fc) == value
        else:
            with pytest.raises(FicobaError) as err:
                rules.check_iban(iban, fc=fc)
            assert err.value.code == "CAF002"
