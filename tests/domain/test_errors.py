"""domain/errors.py: one table of error codes (CONTRACT §6.2-§6.4, Annex 9) and FicobaError."""

from __future__ import annotations

import pytest

from ficoba_sandbox.domain.errors import (
    ALL_CODES,
    BACKEND_CODES,
    GATEWAY_CODES,
    HTTP_CODES,
    NO_RESULT_CODES,
    FicobaError,
)


def test_one_table() -> None:
    assert len(ALL_CODES) == len(BACKEND_CODES) + len(GATEWAY_CODES) + len(HTTP_CODES)
    assert all(entry.code == code for code, entry in ALL_CODES.items())
    assert all(100 <= entry.http_status < 600 and entry.message for entry in ALL_CODES.values())
    assert ALL_CODES["CAT001"].http_status == 503  # §6.2 rather than Annex 9's 500


def test_no_result_codes_come_back_with_200() -> None:
    assert {"CAF007", "CAF009", "CAF011", "CAF013", "CAF015"} <= NO_RESULT_CODES
    assert all(BACKEND_CODES[c].http_status == 200 for c in NO_RESULT_CODES)
    assert "CAF036" not in NO_RESULT_CODES


def test_error_message_and_status() -> None:
    err = FicobaError("CAF001", "nom")
    assert err.message == "Absence du critère obligatoire : nom" and err.http_status == 400
    assert str(err) == "CAF001 Absence du critère obligatoire : nom" and err.headers == {}
    plain = FicobaError("CAF003")
    assert plain.message == "Code motif invalide"
    custom = FicobaError("900804", http_status=503, message="busy", headers={"Retry-After": "1"})
    assert (custom.http_status, custom.message, custom.headers) == (
        503,
        "busy",
        {"Retry-After": "1"},
    )


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        FicobaError("CAF999")
