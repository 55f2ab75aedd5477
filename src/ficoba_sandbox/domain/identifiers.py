"""Identifier rules: IBAN (ISO 13616 mod 97), French RIB key, SIREN/SIRET (Luhn, La Poste rule),
SPI (DGFiP tax id, mod 511), LEI (ISO 17442, ISO 7064 mod 97-10).

python-stdnum does the work where its rule is the protocol's: Luhn, SIREN, SIRET with La Poste's
rule, LEI validation, the SPI (stdnum.fr.nif: the SPI is the NIF). IBAN check digits and the RIB
key are computed here: stdnum does not check the French RIB key (docs/pitfalls.md: Faker fr_FR
gets it wrong) nor accept the protocol's "FC" IBANs, and its mod 97-10 check digits ran 00-96 in
the 1.x releases pyproject.toml accepts, where ISO 13616 and ISO 17442 write 02-98. Generation
helpers take digits drawn by the caller's seeded RNG, so they stay deterministic.
"""

from __future__ import annotations

import re

from stdnum import lei as _lei
from stdnum import luhn as _luhn
from stdnum.fr import nif as _nif
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

# ---------------------------------------------------------------- IBAN and RIB key

_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_FR_BBAN_RE = re.compile(r"^[0-9]{5}[0-9]{5}[0-9A-Z]{11}[0-9]{2}$")

# RIB key letter conversion (norme AFNOR / CFONB): A,J=1 B,K,S=2 C,L,T=3 D,M,U=4 E,N,V=5
# F,O,W=6 G,P,X=7 H,Q,Y=8 I,R,Z=9.
_RIB_LETTERS = str.maketrans(
    {
        ch: str(d)
        for d, group in enumerate(("AJ", "BKS", "CLT", "DMU", "ENV", "FOW", "GPX", "HQY", "IRZ"), 1)
        for ch in group
    }
)


_ALPHA_DIGITS = str.maketrans(
    {ch: str(int(ch, 36)) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}
)


def _alpha_to_digits(text: str) -> str:
    """ISO 13616 / ISO 7064 conversion: A=10 ... Z=35."""
    out = text.translate(_ALPHA_DIGITS)
    if out.isascii() and out.isdigit():
        return out
    return "".join(str(int(ch, 36)) for ch in text)  # raises ValueError as it always did


def rib_key(code_banque: str, code_guichet: str, numero_compte: str) -> str:
    """The 2-digit French RIB key: 97 - ((89 * banque + 15 * guichet + 3 * compte) mod 97)."""
    compte = int(numero_compte.upper().translate(_RIB_LETTERS))
    total = 89 * int(code_banque) + 15 * int(code_guichet) + 3 * compte
    return f"{97 - total % 97:02d}"


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (int(bban + country + "00") mod 97)."""
    return f"{98 - int(_alpha_to_digits(bban + country + '00')) % 97:02d}"


def build_fr_iban(
    code_banque: str, code_guichet: str, numero_compte: str, country: str = "FR"
) -> str:
    """FR IBAN from bank (5), branch (5) and account (11) numbers, with RIB key and check digits.

    `country="FC"` builds the variant the protocol's safe-deposit-box examples use (CONTRACT §3.6).
    """
    if not (len(code_banque) == 5 and len(code_guichet) == 5 and len(numero_compte) == 11):
        raise ValueError("code banque 5, code guichet 5 and numéro de compte 11 characters")
    bban = (
        code_banque
        + code_guichet
        + numero_compte.upper()
        + rib_key(code_banque, code_guichet, numero_compte)
    )
    return country + iban_check_digits(country, bban) + bban


def is_valid_iban(iban: str) -> bool:
    """Mod-97 check digits of any IBAN (spaces ignored, upper-cased)."""
    value = iban.replace(" ", "").upper()
    if not _IBAN_RE.match(value):
        return False
    return int(_alpha_to_digits(value[4:] + value[:4])) % 97 == 1


def is_valid_rib(bban: str) -> bool:
    """French BBAN (23 characters) with a correct RIB key."""
    value = bban.upper()
    if not _FR_BBAN_RE.match(value):
        return False
    return rib_key(value[:5], value[5:10], value[10:21]) == value[21:]


def is_valid_fr_iban(iban: str) -> bool:
    """27-character FR (or FC) IBAN: mod-97 check digits and RIB key both correct."""
    value = iban.replace(" ", "").upper()
    return (
        len(value) == 27
        and value[:2] in ("FR", "FC")
        and is_valid_iban(value)
        and is_valid_rib(value[4:])
    )


def split_fr_iban(iban: str) -> tuple[str, str, str, str]:
    """(code banque, code guichet, numéro de compte, clé RIB) of a 27-character FR IBAN."""
    value = iban.upper()
    return value[4:9], value[9:14], value[14:25], value[25:27]


# ---------------------------------------------------------------- SIREN / SIRET (Luhn)

#: La Poste's SIREN: its SIRETs follow "sum of digits divisible by 5", not Luhn
LA_POSTE_SIREN = "356000000"


def is_valid_siren(siren: str) -> bool:
    return _siren.is_valid(siren)


def is_valid_siret(siret: str) -> bool:
    """Luhn over the 14 digits, except La Poste (SIREN 356000000) whose establishments follow
    "sum of digits divisible by 5" (stdnum.fr.siret implements both)."""
    return _siret.is_valid(siret)


def make_siren(body8: str) -> str:
    """SIREN from 8 digits: append the Luhn check digit."""
    if len(body8) != 8 or not body8.isdigit():
        raise ValueError("8 digits expected")
    return body8 + _luhn.calc_check_digit(body8)


def make_siret(siren: str, nic4: str) -> str:
    """SIRET from a SIREN and a 4-digit establishment number: append the check digit (Luhn over
    the 14 digits). Not for La Poste's SIREN, whose NICs follow another rule."""
    if len(siren) != 9 or len(nic4) != 4 or not (siren + nic4).isdigit():
        raise ValueError("SIREN of 9 digits and NIC of 4 digits expected")
    if siren == LA_POSTE_SIREN:
        raise ValueError("La Poste SIRETs follow the sum-of-digits rule, not Luhn")
    return siren + nic4 + _luhn.calc_check_digit(siren + nic4)


# ---------------------------------------------------------------- SPI


def make_spi(first10: str) -> str:
    """SPI from its first 10 digits: append the 3-digit key, the first 10 digits mod 511."""
    if len(first10) != 10 or not first10.isdigit() or first10[0] not in "0123":
        raise ValueError("10 digits starting with 0-3 expected")
    return first10 + _nif.calc_check_digits(first10)


def is_valid_spi(spi: str) -> bool:
    """13 digits, starting with 0-3 (CAF004 / CAF005), last 3 = first 10 mod 511; exactly, no
    separators (stdnum would strip spaces)."""
    return spi == _nif.compact(spi) and _nif.is_valid(spi)


# ---------------------------------------------------------------- LEI


def lei_check_digits(body18: str) -> str:
    """ISO 17442 check digits: 98 - (int(body + "00") mod 97), letters as A=10 ... Z=35."""
    return f"{98 - int(_alpha_to_digits(body18.upper() + '00')) % 97:02d}"


def make_lei(body18: str) -> str:
    if len(body18) != 18 or not body18.isalnum():
        raise ValueError("18 alphanumeric characters expected")
    return body18.upper() + lei_check_digits(body18)


def is_valid_lei(lei: str) -> bool:
    return _lei.is_valid(lei)


#: `X-Correlation-ID` (CONTRACT §2.1): a UUID, any version, either case
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
