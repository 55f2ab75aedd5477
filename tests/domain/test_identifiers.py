"""domain/identifiers.py: IBAN (ISO 13616 mod 97) and the French RIB key, SIREN / SIRET (Luhn,
La Poste's rule), SPI (mod 511), LEI (ISO 17442). python-stdnum is the oracle wherever its rule
is the same one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import lei as stdnum_lei
from stdnum import luhn as stdnum_luhn
from stdnum.fr import nif as stdnum_nif

from ficoba_sandbox.domain import identifiers

#: protocol v11 §2.5.2's example account, BNP PARIBAS branch 00955
EXAMPLE_IBAN = "FR7630004009550000135601429"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


ACCOUNT = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=11, max_size=11)


def test_the_protocol_example() -> None:
    assert identifiers.is_valid_fr_iban(EXAMPLE_IBAN)
    assert identifiers.build_fr_iban("30004", "00955", "00001356014") == EXAMPLE_IBAN
    assert identifiers.split_fr_iban(EXAMPLE_IBAN) == ("30004", "00955", "00001356014", "29")
    assert identifiers.is_valid_iban("fr76 3000 4009 5500 0013 5601 429")  # spaces, lower case
    assert not identifiers.is_valid_fr_iban("FR7630004009550000135601428")  # RIB key off by one


@given(bank=digits(5), branch=digits(5), account=ACCOUNT)
def test_built_iban_is_valid_for_stdnum_and_has_a_correct_rib_key(
    bank: str, branch: str, account: str
) -> None:
    iban = identifiers.build_fr_iban(bank, branch, account)
    assert len(iban) == 27 and identifiers.is_valid_fr_iban(iban)
    assert stdnum_iban.is_valid(iban)
    code_banque, code_guichet, compte, key = identifiers.split_fr_iban(iban)
    assert (code_banque, code_guichet, compte) == (bank, branch, account)
    # the RIB key's definition (norme CFONB): 89 banque + 15 guichet + 3 compte + key = 0 mod 97,
    # letters of the account number read as digits (A, J = 1; B, K, S = 2; ...)
    letters = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
    assert (
        89 * int(bank) + 15 * int(branch) + 3 * int(compte.translate(letters)) + int(key)
    ) % 97 == 0


@given(bank=digits(5), branch=digits(5), account=digits(11), data=st.data())
def test_one_wrong_digit_is_always_caught(
    bank: str, branch: str, account: str, data: st.DataObject
) -> None:
    """ISO 7064 mod 97-10 detects every single substitution: so does each check."""
    iban = identifiers.build_fr_iban(bank, branch, account)
    at = data.draw(st.integers(2, 26))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != iban[at]]))
    altered = iban[:at] + wrong + iban[at + 1 :]
    assert not identifiers.is_valid_iban(altered)
    assert not identifiers.is_valid_fr_iban(altered)
    if at >= 4:
        assert not identifiers.is_valid_rib(altered[4:])


def test_fc_iban_of_the_safe_deposit_examples() -> None:
    """The protocol's safe-deposit boxes carry "FC" IBANs (CONTRACT §3.6): valid here, although
    FC is no IBAN country."""
    iban = identifiers.build_fr_iban("30004", "00955", "00001356014", country="FC")
    assert iban.startswith("FC") and identifiers.is_valid_fr_iban(iban)
    assert not stdnum_iban.is_valid(iban)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "FR76",
        "FR763000400955000013560142",
        "DE" + EXAMPLE_IBAN[2:],
        "FR76300040095500001356014é",
    ],
)
def test_malformed_ibans_are_refused(bad: str) -> None:
    assert not identifiers.is_valid_fr_iban(bad)


def test_build_refuses_wrong_lengths() -> None:
    with pytest.raises(ValueError):
        identifiers.build_fr_iban("3000", "00955", "00001356014")


@given(body=digits(8))
def test_make_siren_appends_the_luhn_digit(body: str) -> None:
    siren = identifiers.make_siren(body)
    assert siren[:8] == body and stdnum_luhn.is_valid(siren)
    assert identifiers.is_valid_siren(siren)


@given(
    siren=digits(8).map(identifiers.make_siren).filter(lambda s: s != identifiers.LA_POSTE_SIREN),
    nic=digits(4),
)
def test_make_siret_appends_the_luhn_digit_over_14_digits(siren: str, nic: str) -> None:
    siret = identifiers.make_siret(siren, nic)
    assert siret[:13] == siren + nic and identifiers.is_valid_siret(siret)
    wrong = siret[:13] + str((int(siret[13]) + 1) % 10)
    assert not identifiers.is_valid_siret(wrong)


def test_la_poste_follows_the_sum_of_digits_rule() -> None:
    assert identifiers.is_valid_siret("35600000000001")  # digit sum 15, not Luhn-valid
    assert not stdnum_luhn.is_valid("35600000000001")
    assert not identifiers.is_valid_siret("35600000000002")  # digit sum 16, not Luhn-valid
    with pytest.raises(ValueError, match="La Poste"):
        identifiers.make_siret(identifiers.LA_POSTE_SIREN, "0004")


@pytest.mark.parametrize(
    ("body", "nic"), [("1234567", "0001"), ("12345678", "01"), ("1234567x", "0001")]
)
def test_make_siren_siret_refuse_wrong_shapes(body: str, nic: str) -> None:
    with pytest.raises(ValueError):
        identifiers.make_siret(identifiers.make_siren(body), nic)


@given(first=st.sampled_from("0123"), rest=digits(9))
def test_spi_key_is_the_first_ten_digits_mod_511(first: str, rest: str) -> None:
    spi = identifiers.make_spi(first + rest)
    assert spi[10:] == f"{int(first + rest) % 511:03d}"
    assert identifiers.is_valid_spi(spi) and stdnum_nif.is_valid(spi)
    assert not identifiers.is_valid_spi(spi[:12] + str((int(spi[12]) + 1) % 10))


@pytest.mark.parametrize(
    "bad", ["4234567890123", "123456789012", " 1234567890123", "1234 567890123"]
)
def test_spi_shape(bad: str) -> None:
    """13 digits starting with 0-3, nothing else (CAF004 / CAF005)."""
    assert not identifiers.is_valid_spi(bad)


def test_make_spi_refuses_a_first_digit_above_3() -> None:
    with pytest.raises(ValueError):
        identifiers.make_spi("4234567890")


@given(body=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=18, max_size=18))
def test_lei_check_digits(body: str) -> None:
    lei = identifiers.make_lei(body)
    assert lei[:18] == body and stdnum_lei.is_valid(lei) and identifiers.is_valid_lei(lei)
    assert 2 <= int(lei[18:]) <= 98  # ISO 17442: 98 - (mod 97)


def test_make_lei_upper_cases_and_refuses_wrong_shapes() -> None:
    assert identifiers.make_lei("969500vy3us76mx3iz") == identifiers.make_lei("969500VY3US76MX3IZ")
    with pytest.raises(ValueError):
        identifiers.make_lei("969500VY3US76MX3I-")
