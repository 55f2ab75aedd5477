"""`api/headers.py`: only the names asked for, decoded; first (or last) occurrence; names sent
in another case found too."""

from __future__ import annotations

from ficoba_sandbox.api.headers import pick, pick_all

RAW = [
    (b"host", b"h"),
    (b"x-correlation-id", b"a"),
    (b"Authorization", b"Bearer t"),  # not lower-cased by whoever built the scope
    (b"x-correlation-id", b"b"),
    (b"user-agent", b"caf\xe9"),  # latin-1
]
NAMES = frozenset({b"x-correlation-id", b"authorization", b"user-agent", b"accept"})


def test_pick_first_and_last() -> None:
    assert pick(RAW, NAMES) == {
        "x-correlation-id": "a",
        "authorization": "Bearer t",
        "user-agent": "café",
    }
    assert pick(RAW, NAMES, first=False)["x-correlation-id"] == "b"
    assert pick(None, NAMES) == {} and pick(RAW, frozenset()) == {}


def test_pick_all_keeps_every_occurrence_in_order() -> None:
    assert pick_all(RAW, NAMES) == {
        "x-correlation-id": ["a", "b"],
        "authorization": ["Bearer t"],
        "user-agent": ["café"],
    }
    assert pick_all((), NAMES) == {}
