"""data/reserved.py: the identifier ranges kept for magic values never meet the generated ones."""

from __future__ import annotations

import pytest

from ficoba_sandbox.data import reserved
from ficoba_sandbox.domain.identifiers import build_fr_iban, make_spi


def test_generated_and_reserved_ranges_are_disjoint() -> None:
    assert not set(reserved.GENERATED_SPI_FIRST_DIGITS) & set(reserved.RESERVED_SPI_FIRST_DIGITS)
    assert reserved.RESERVED_SIREN_FIRST_DIGIT not in reserved.GENERATED_SIREN_FIRST_DIGITS
    assert not reserved.GENERATED_LEI_PREFIX.startswith(reserved.RESERVED_LEI_PREFIX)


@pytest.mark.parametrize(
    ("spi", "reserved_"),
    [
        (make_spi("3999999999"), True),
        (make_spi("0123456789"), True),
        (make_spi("1234567890"), False),
        ("1489335901", False),  # 10-digit protocol SPIs: the personas' own
    ],
)
def test_reserved_spi(spi: str, reserved_: bool) -> None:
    assert reserved.is_reserved_spi(spi) is reserved_


def test_reserved_siren() -> None:
    assert reserved.is_reserved_siren("999990013")
    assert not reserved.is_reserved_siren("345678901")


def test_reserved_iban() -> None:
    magic = reserved.MAGIC_BANK_CODE
    assert reserved.is_reserved_iban(build_fr_iban(magic, "00001", "00000000001"))
    assert reserved.is_reserved_iban(
        build_fr_iban("30004", reserved.MAGIC_GUICHET_CODE, "00000000001")
    )
    assert not reserved.is_reserved_iban("FR7630004009550000135601429")
