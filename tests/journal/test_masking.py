"""`journal/masking.py`: identifiers, names, free text masked; secrets redacted whatever the setting; each fast path gives what the plain rule gives."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping
from typing import Any

import pytest

from ficoba_sandbox.journal import (
    Masker,
)
from ficoba_sandbox.journal import masking as jr
from ficoba_sandbox.journal.masking import REDACTED


def _hide_ref(text: str, keep_start: int, keep_end: int) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(positions) <= keep_start + keep_end:
        keep_start, keep_end = 0, 0
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _text_ref(m: jr.Masker, text: str) -> str:
    text = jr._JWT_RE.sub(jr.REDACTED, text)
    if m.enabled:
        ident = (lambda t: _hide_ref(t, m.keep, m.keep)) if m.enabled else (lambda t: t)
        text = jr._IBAN_RE.sub(lambda x: ident(x.group(0)), text)
        text = jr._DIGITS_RE.sub(lambda x: ident(x.group(0)), text)
    return text


def _value_ref(m: jr.Masker, key: str | None, value: Any) -> Any:
    lowered = key.lower() if key else ""
    ident = (lambda t: _hide_ref(t, m.keep, m.keep)) if m.enabled else (lambda t: t)
    secrets = lambda t: jr._JWT_RE.sub(jr.REDACTED, t)  # noqa: E731
    if isinstance(value, Mapping):
        return {str(k): _value_ref(m, str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value_ref(m, key, v) for v in value]
    if lowered in jr.SECRET_KEYS and value is not None:
        return jr.REDACTED
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if m.enabled and (lowered in jr.IDENTIFIER_KEYS or len(str(value)) >= 9):
            return ident(str(value))
        return value
    text = str(value)
    if lowered in jr.IDENTIFIER_KEYS:
        return ident(secrets(text))
    if lowered in jr.NAME_KEYS:
        return _hide_ref(secrets(text), min(m.keep, 1), 0) if m.enabled else secrets(text)
    if lowered in jr.FREE_TEXT_KEYS:
        return _hide_ref(secrets(text), 0, 0) if m.enabled else secrets(text)
    return _text_ref(m, text)


ALPHABET = "abXYeyJ0123456789 -_.é'/\u0301\u0660\u0661\u2028@:"


KEYS = [None, "iban", "nom", "justification", "client_secret", "motif", "x", "siretDemandeur"]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 3 and r < 0.15:
        return {rng.choice(KEYS[1:]): _random_value(rng, depth + 1) for _ in range(3)}
    if depth < 3 and r < 0.25:
        return [_random_value(rng, depth + 1) for _ in range(2)]
    if r < 0.35:
        return rng.choice([None, True, False, 0, 123456789, 12.5, -5])
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 30)))
    extra = ["", "FR7630004009550000135601429", "13000453400017", "eyJabcdef.eyJghijkl.xyz"]
    return text + rng.choice(extra) if rng.random() < 0.5 else rng.choice(extra) + text


def _refuse(name: str) -> object:
    raise ValueError(name)


def _body_ref(m: Masker, raw: bytes, limit: int) -> str:
    """`Masker.body` for a JSON body by the plain rule: json.loads as the API reads a body (NaN
    and Infinity are not JSON), mask, json.dumps."""
    try:
        parsed = json.loads(raw, parse_constant=_refuse)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return m.unreadable(raw)
    dumped = json.dumps(m.value(None, parsed), ensure_ascii=False, separators=(",", ":"))
    return jr.cap(dumped, limit)


BODIES = [
    b'{"iban":"FR7630004000031234567890143","nom":"\xc3\x89LODIE","n":1}',
    b'{"a":1.5,"b":[1e16,2E-7,0.1,-0.0],"siren":123456789}',  # floats: json spells them
    b'{"a":NaN,"iban":"FR7630004000031234567890143"}',  # not JSON to the API: an excerpt
    b'{"x":"\\ud800","nom":"DUPONT"}',  # a lone surrogate: json only
    b'{"big":123456789012345678901234567890,"motif":"0001"}',  # beyond 64 bits: json only
    '{"justification":"éè","nom":"Zoë"}'.encode("utf-16"),  # json reads UTF-16, orjson no
    b'{"t":"\\u2028\\u0000\\n\\"\\\\/","k":"\\u00e9"}',  # escapes
    b'{"dup":1,"dup":2}',
    # one text under three rules (identifier, name, other): each masked by its own rule, though
    # the masked forms are kept per text
    b'{"siret":"DUPONT12345678901","nom":"DUPONT12345678901","x":"DUPONT12345678901"}',
    b'[{"a":"eyJabcdefgh.eyJabcdefgh.sig"},"13000453400017",true,null]',
    b'{"unterminated": ',
    b"\xff\xfe garbage",
    b"[" * 2000 + b"]" * 2000,  # deep: orjson refuses, json may recurse too deep
]


def test_masker_identifiers_names_secrets() -> None:
    m = Masker(enabled=True, keep=2)
    body = {
        "motif": "0003",
        "justification": "Dossier 42",
        "siretDemandeur": "73282932000074",
        "client_secret": "abc",
        "criteresRecherche": {
            "iban": "FR7630004000031234567890143",
            "numeroSPI": 1489335901123,
            "etatCivil": {"nom": "DUBOIS", "prenoms": "MARIE PIERRE", "anneeNaissance": "1980"},
            "note": "see FR76 3000 4000 0312 3456 7890 143 and 732829320",
        },
    }
    out = m.value(None, body)
    crit = out["criteresRecherche"]
    assert out["motif"] == "0003"
    assert crit["etatCivil"]["anneeNaissance"] == "1980"
    assert crit["iban"] == "FR***********************43"
    assert crit["numeroSPI"] == "14*********23"
    assert crit["etatCivil"]["nom"] == "D*****"
    assert crit["etatCivil"]["prenoms"] == "M**** ******"
    assert out["justification"] == "******* **"
    assert out["siretDemandeur"] == "73**********74"
    assert out["client_secret"] == REDACTED
    assert "3000 4000" not in crit["note"] and "732829320" not in crit["note"]


def test_masker_off_still_redacts_secrets() -> None:
    m = Masker(enabled=False)
    token = "eyJhbGciOiJFUzI1NiJ9.eyJjbGllbnRfaWQiOiJ4In0.c2lnbmF0dXJl"
    out = m.value(None, {"iban": "FR7630004000031234567890143", "access_token": "x", "t": token})
    assert out == {"iban": "FR7630004000031234567890143", "access_token": REDACTED, "t": REDACTED}


def test_masker_form_body_keeps_only_harmless_keys() -> None:
    stored = Masker().body(
        b"grant_type=client_credentials&client_id=demo&client_secret=hunter2&scope=a",
        "application/x-www-form-urlencoded",
        1000,
    )
    assert stored is not None
    assert "hunter2" not in stored
    assert "client_id=demo" in stored and "grant_type=client_credentials" in stored


def test_masker_non_json_body_is_masked_text() -> None:
    stored = Masker().body(b'{"iban": "FR7630004000031234567890143",', "application/json", 1000)
    assert stored is not None and stored.startswith("[not stored: 39 bytes, hmac-sha256 ")
    assert "FR7630004000031234567890143" not in stored


@pytest.mark.parametrize(
    ("raw", "ctype"),
    [
        (b"client_id=demo&client_secret=hunter2hunter2", "text/plain"),
        (b"client_id=demo&client_secret=hunter2hunter2\xff", "application/x-www-form-urlencoded"),
        (b"client_secret=hunter2hunter2", None),
        (b"\xfe\xffhunter2hunter2", "application/json"),
    ],
)
def test_a_body_no_rule_reads_is_stored_as_length_and_keyed_digest(
    raw: bytes, ctype: str | None
) -> None:
    key = b"k" * 32
    stored = Masker(digest_key=key).body(raw, ctype, 1000)
    digest = hmac.new(key, raw, hashlib.sha256).hexdigest()[:16]
    assert stored == f"[not stored: {len(raw)} bytes, hmac-sha256 {digest}]"
    # keyed: without the key, the same body gives another digest (no brute force offline)
    assert Masker(digest_key=b"o" * 32).body(raw, ctype, 1000) != stored


def test_fast_paths_match_the_plain_rules() -> None:
    rng = random.Random(11)
    for enabled in (True, False):
        for keep in (0, 1, 2):
            m = jr.Masker(enabled, keep)
            for _ in range(5000):
                key, value = rng.choice(KEYS), _random_value(rng)
                assert m.value(key, value) == _value_ref(m, key, value), (key, value)
                if isinstance(value, str):
                    assert m.text(value) == _text_ref(m, value)
                    for ks, ke in ((keep, keep), (1, 0), (0, 0), (3, 3)):
                        assert jr._hide(value, ks, ke) == _hide_ref(value, ks, ke)


def test_body_fast_path_is_the_plain_rule() -> None:
    rng = random.Random(5)
    bodies = list(BODIES)
    for _ in range(300):  # random documents: strings, digits, identifiers, floats, nesting
        doc = {
            rng.choice(
                ["iban", "nom", "x", "justification", "motif", "siretDemandeur"]
            ): rng.choice(
                ["FR7630004009550000135601429", "2026-11-27", "0", "Zoë 12", 12, 1.25, None]
            )
            for _ in range(rng.randrange(1, 8))
        }
        bodies.append(
            json.dumps({"criteresRecherche": doc}, ensure_ascii=rng.random() < 0.5).encode()
        )
    for enabled in (True, False):
        for keep in (0, 2):
            m = Masker(enabled, keep)
            for raw in bodies:
                for limit in (8192, 20):
                    try:
                        expected = _body_ref(m, raw, limit)
                    except RecursionError:
                        expected = "[not stored: nesting too deep]"
                    assert m.body(raw, "application/json", limit) == expected, raw[:80]


def test_dump_compact_is_json_dumps() -> None:
    docs = [
        {"a": 'é\u2028\x00\x1f"\\/', "b": [1, -2, True, None], "c": {"d": ""}},
        {"big": 2**70},  # orjson refuses: json spells it
        {"s": "\ud800"},
    ]
    for doc in docs:
        assert jr.dump_compact(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    assert jr.dump_compact({"f": 1e16}, plain=True) == '{"f":1e+16}'
