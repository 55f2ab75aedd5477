"""data/banks.py: real French banks, their public codes and BICs."""

from __future__ import annotations

from stdnum import bic

from ficoba_sandbox.data import reserved
from ficoba_sandbox.data.banks import BANQUES, LA_BANQUE_POSTALE


def test_codes_bics_and_weights() -> None:
    codes = [code for code, *_ in BANQUES]
    assert len(set(codes)) == len(codes) == 17
    for code, name, bic_code, weight in BANQUES:
        assert len(code) == 5 and code.isdigit() and code != reserved.MAGIC_BANK_CODE
        assert name == name.upper() and weight > 0
        assert bic.is_valid(bic_code) and bic_code[4:6] == "FR", bic_code


def test_la_banque_postale_is_listed() -> None:
    assert dict((code, name) for code, name, *_ in BANQUES)[LA_BANQUE_POSTALE] == (
        "LA BANQUE POSTALE"
    )
