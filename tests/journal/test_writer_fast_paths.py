"""The journal writer's fast paths give what the plain rules give: `format_ts` by isoformat,
`Masker.body` by orjson, one UTF-8 check per batch. Each plain rule is written out here as the
oracle."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ficoba_sandbox import journal as jr
from ficoba_sandbox.journal import CallRecord, Journal, Masker


def _refuse(name: str) -> object:
    raise ValueError(name)


def _body_ref(m: Masker, raw: bytes, limit: int) -> str:
    """`Masker.body` for a JSON body by the plain rule: json.loads as the API reads a body (NaN
    and Infinity are not JSON), mask, json.dumps."""
    try:
        parsed = json.loads(raw, parse_constant=_refuse)
    except (ValueError, RecursionError, UnicodeDecodeError):
        text = raw[: limit * 2].decode("utf-8", errors="replace")
        return jr._cap("[not JSON] " + m.text(text), limit)
    dumped = json.dumps(m.value(None, parsed), ensure_ascii=False, separators=(",", ":"))
    return jr._cap(dumped, limit)


def test_format_ts_fast_path_is_strftime() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        at = datetime(1, 1, 1, tzinfo=UTC) + timedelta(
            days=rng.randrange(0, 3_000_000), microseconds=rng.randrange(0, 86_400 * 10**6)
        )
        if rng.random() < 0.1:
            at = at.replace(microsecond=0)  # isoformat would drop a zero fraction by default
        assert jr.format_ts(at) == at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), at
    # other zones and naive instants still go through the plain rule
    paris = datetime(2026, 3, 29, 3, 30, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert jr.format_ts(paris) == "2026-03-29T01:30:00.000005Z"
    assert jr.format_ts(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"


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


def test_a_lone_surrogate_in_a_batch_is_stored_and_the_rest_with_it(tmp_path: Path) -> None:
    """One value SQLite cannot encode: the batch is written again with it made storable, and
    neither it nor its neighbours are lost."""
    j = Journal.in_dir(tmp_path, masker=Masker(enabled=False))
    try:
        now = datetime.now(UTC)
        calls = [
            CallRecord(
                ts=now,
                method="POST",
                path="/p",
                status=200,
                latency_ms=1.0,
                client_id=f"c{i}",
                motif="\ud800" if i == 1 else "M",
            )
            for i in range(3)
        ]
        j._insert(j._conn, calls)
        rows = j.query(limit=10, newest_first=False)
        assert [r["client_id"] for r in rows] == ["c0", "c1", "c2"]
        assert rows[1]["motif"] == "\\ud800"
        assert j.healthy
    finally:
        j.close()
