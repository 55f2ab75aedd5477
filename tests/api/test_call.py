"""api/call.py: the request read once: the headers the steps read (every occurrence, in order,
whatever the case they were sent in), the body's JSON parsed once."""

from __future__ import annotations

from datetime import UTC, datetime

from ficoba_sandbox.api.call import (
    ACCEPT,
    AUTHORIZATION,
    CORRELATION_ID,
    USER_AGENT,
    Call,
    RequestHeaders,
)
from ficoba_sandbox.gateway.peer import Peer

RAW = [
    (b"host", b"h"),
    (b"x-correlation-id", b"a"),
    (b"Authorization", b"Bearer t"),  # not lower-cased by whoever built the scope
    (b"x-correlation-id", b"b"),
    (b"user-agent", b"caf\xe9"),  # latin-1
]


def test_headers_keep_every_occurrence_in_order() -> None:
    headers = RequestHeaders(RAW)
    assert headers.all(CORRELATION_ID) == ["a", "b"]
    assert headers.first(CORRELATION_ID) == "a"
    assert headers.all(AUTHORIZATION) == ["Bearer t"]
    assert headers.first(USER_AGENT) == "café"
    assert headers.first(ACCEPT) is None and headers.all(ACCEPT) == []
    assert headers.first(b"host") is None  # not a header any step reads


def _call(body: bytes) -> Call:
    return Call(
        method="POST",
        path="/x",
        query=b"",
        raw_headers=[],
        headers=RequestHeaders([]),
        peer=Peer(None, None),
        at=datetime.now(UTC),
        received=datetime.now(UTC),
        started=0.0,
        body=body,
    )


def test_the_body_is_parsed_once() -> None:
    call = _call(b'{"a": [1, 2.5]}')
    first = call.json()
    assert first == {"a": [1, 2.5]} and call.floats and not call.json_error
    assert call.json() is first


def test_bodies_the_resources_refuse() -> None:
    for body in (b"{", b'{"a": NaN}', b"\xff", b"[" * 100_000 + b"]" * 100_000):
        call = _call(body)
        assert call.json() is None and call.json_error, body[:10]
    empty = _call(b"  ")
    assert empty.json() is None and not empty.json_error
