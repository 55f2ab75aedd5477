"""domain/jsondoc.py: a body read as Python's json reads it (the document, and whether it held
a float), whichever parser did the work."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ficoba_sandbox.domain.jsondoc import read_json


def test_floats_are_told_apart_from_integers() -> None:
    assert read_json(b'{"n": 1, "s": "1.5"}') == ({"n": 1, "s": "1.5"}, False)
    assert read_json(b'{"n": 1e3}')[1]


def _json_reading(raw: bytes) -> tuple[object, bool] | str:
    """Python's json alone, with a hook that notices floats: the reference."""
    floats = False

    def read_float(text: str) -> float:
        nonlocal floats
        floats = True
        return float(text)

    def refuse(name: str) -> object:
        raise ValueError(name)

    try:
        return json.loads(raw, parse_constant=refuse, parse_float=read_float), floats
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        return type(exc).__name__


def _read_json(raw: bytes) -> tuple[object, bool] | str:
    try:
        return read_json(raw)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        return type(exc).__name__


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
@settings(max_examples=300, deadline=None)
def test_read_json_reads_as_pythons_json(value: object) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert repr(_read_json(raw)) == repr(_json_reading(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":"\\ud800"}',  # a lone surrogate: json reads it, orjson does not
        b'{"a": 123456789012345678901234567890}',  # beyond 64 bits: an int, never a float
        b"\xef\xbb\xbf{}",  # a BOM
        b'{"a":NaN}',
        b'{"a":1,"a":2}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a": "1.5", "b": 10, "c": -0, "d": 1E2}',
        b"\xff",
    ],
)
def test_read_json_on_the_edges(raw: bytes) -> None:
    assert repr(_read_json(raw)) == repr(_json_reading(raw))
