"""The masker's fast paths (all-alphanumeric `_hide`, no `eyJ` / no digit short-cuts, str and
dict first in `value`) give what the plain rules give."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ficoba_sandbox import journal as jr


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
