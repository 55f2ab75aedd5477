"""Identifier ranges the generator never emits, reserved for "magic values" (QA fixtures, fault
injection, personas added later). A QA engineer may put anything in these ranges without ever
colliding with a generated record, whatever the seed and size.

| identifier | generated | reserved (never generated) |
|---|---|---|
| SPI (13 digits) | first digit 1 or 2 | first digit 0 or 3 (e.g. `3999999999xxx`); 10-digit SPIs (protocol personas) |
| SIREN / SIRET | first digit 1-8 | first digit 9 (`9xxxxxxxx`), plus every persona SIREN |
| IBAN | real bank codes of `data/banks.py` | bank code `99999` (any branch), branch `99999` at any bank, bank codes not in the table |
| LEI | prefix `969500` + random | prefix `9999` |
| RNA | `W` + 9 digits with first digit 1-8 | `W9xxxxxxxx` |

Personas are loaded first; the generator also skips any identifier a persona already holds.
"""

from __future__ import annotations

MAGIC_BANK_CODE = "99999"
MAGIC_GUICHET_CODE = "99999"
GENERATED_SPI_FIRST_DIGITS = "12"
RESERVED_SPI_FIRST_DIGITS = "03"
GENERATED_SIREN_FIRST_DIGITS = "12345678"
RESERVED_SIREN_FIRST_DIGIT = "9"
GENERATED_LEI_PREFIX = "969500"
RESERVED_LEI_PREFIX = "9999"


def is_reserved_spi(spi: str) -> bool:
    return len(spi) == 13 and spi[:1] in RESERVED_SPI_FIRST_DIGITS


def is_reserved_siren(siren: str) -> bool:
    return siren[:1] == RESERVED_SIREN_FIRST_DIGIT


def is_reserved_iban(iban: str) -> bool:
    return iban[4:9] == MAGIC_BANK_CODE or iban[9:14] == MAGIC_GUICHET_CODE
