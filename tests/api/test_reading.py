"""api/reading.py: a raw body read with FICOBA's codes: lone surrogates, a body that is not an object, the echo, the aliases."""

from __future__ import annotations

import json

import pytest

from ficoba_sandbox.api import reading
from ficoba_sandbox.domain.errors import FicobaError


def _code(f, *a, **kw) -> str:
    with pytest.raises(FicobaError) as e:
        f(*a, **kw)
    return e.value.code


def test_lone_surrogate_is_caf002() -> None:
    # Lone surrogates decode as JSON: the envelope's reader refuses them (CAF002).
    body = json.loads('{"dateDemande":"2024-02-08","justification":"\\ud800"}')
    assert _code(reading.read_envelope, body) == "CAF002"
    assert _code(reading.check_texts, {"\udc00": "x"}) == "CAF002"


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_body_not_an_object_is_cat002(body) -> None:
    assert _code(reading.read_envelope, body) == "CAT002"


def test_echo_fills_missing_envelope_fields_and_keeps_criteria() -> None:
    crit = {"a": None, "b": {}, "c": ""}
    out = reading.echo({"motif": "020", "criteresRecherche": crit, "referenceDemande": "string"})
    assert out == {
        "dateDemande": "",
        "motif": "020",
        "siretDemandeur": "",
        "sirenDemandeur": "",
        "justification": "",
        "criteresRecherche": crit,
    }


def test_surrogate_check_fast_path_is_the_walk() -> None:
    """`controler_textes` skips its walk when orjson accepts the document: the verdict (and the
    attribute named) is the walk's on documents with and without lone surrogates."""
    import random

    rng = random.Random(7)
    pieces = ["a", "é", "\ud800", "\udfff", "x\udc00y", "", "0", 2**70, 12, None, True]

    def doc(depth: int = 0) -> object:
        r = rng.random()
        if depth < 3 and r < 0.3:
            return {str(rng.choice(pieces)): doc(depth + 1) for _ in range(rng.randrange(0, 4))}
        if depth < 3 and r < 0.45:
            return [doc(depth + 1) for _ in range(rng.randrange(0, 3))]
        return rng.choice(pieces)

    def verdict(f, value) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
        try:
            f(value, "body")
        except FicobaError as e:
            return e.code, e.message
        return None

    seen = set()
    for _ in range(3000):
        value = doc()
        expected = verdict(reading._check_texts, value)
        assert verdict(reading.check_texts, value) == expected, value
        seen.add(expected is None)
    assert seen == {True, False}  # both verdicts were met


def test_text_field_reads_the_name_then_each_alias_in_order() -> None:
    assert reading.text_field({"a": " x "}, "a", "b") == "x"
    assert reading.text_field({"b": "y", "c": "z"}, "a", "b", "c") == "y"  # the first alias present
    assert (
        reading.text_field({"a": None, "b": "y"}, "a", "b") == ""
    )  # present but null: no alias read
    assert reading.text_field({"c": "z"}, "a", "b") == ""
    assert reading.text_field(None, "a") == ""
    assert _code(reading.text_field, {"b": 3}, "a", "b") == "CAF002"
    with pytest.raises(FicobaError) as e:
        reading.text_field({"b": 3}, "a", "b")
    assert "a" in e.value.message  # named after the field, not the alias
