"""events/log.py: ECS lines written off the caller's thread, a private file rotated once, the
ring and the counts; a full queue drops and counts, never blocks."""

from __future__ import annotations

import json
import logging
import queue
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ficoba_sandbox.events import EventLog, EventType, SecurityEvent, Severity

AT = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def _event(kind: EventType = EventType.TOKEN_FORGED, **kw: object) -> SecurityEvent:
    fields: dict[str, object] = {"client_id": "c1", "peer_ip": "127.0.0.1", **kw}
    return SecurityEvent(kind, AT, **fields)  # type: ignore[arg-type]


def test_one_ecs_line_per_event(tmp_path: Path) -> None:
    log = EventLog(path=tmp_path / "events.jsonl")
    log.emit(_event(correlation_id="0b7d3c1e-1111-4222-8333-444455556666", evidence={"a": 1}))
    log.close()
    (line,) = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert line["@timestamp"] == "2026-12-05T09:30:00.000Z"  # the event's instant
    assert line["event"]["action"] == "token_forged" and line["event"]["kind"] == "alert"
    assert line["event"]["severity"] == int(Severity.CRITICAL)
    assert line["client"]["id"] == line["user"]["id"] == "c1"
    assert line["trace"]["id"] == "0b7d3c1e-1111-4222-8333-444455556666"
    assert line["ficoba"] == {"a": 1}
    assert "process" not in line and "log" not in line
    assert (tmp_path / "events.jsonl").stat().st_mode & 0o777 == 0o600


def test_rotated_once_each_file_private(tmp_path: Path) -> None:
    log = EventLog(path=tmp_path / "events.jsonl", max_bytes=2048)
    for _ in range(40):
        log.emit(_event())
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["events.jsonl", "events.jsonl.1"]
    for p in tmp_path.iterdir():
        assert p.stat().st_mode & 0o777 == 0o600
        assert p.stat().st_size <= 2048


def test_counts_every_type_ring_and_filters() -> None:
    log = EventLog(ring=3)
    for kind in (EventType.TOKEN_EXPIRED, EventType.IP_NOT_ALLOWED, EventType.IP_NOT_ALLOWED):
        log.emit(_event(kind))
    log.emit(_event(EventType.ENUMERATION, client_id="c2"))
    counts = log.counts()
    assert set(counts) == {str(t) for t in EventType}
    assert counts["ip_not_allowed"] == 2 and counts["token_expired"] == 1
    assert len(log.recent()) == 3  # the ring's bound
    assert [str(e.type) for e in log.recent(client_id="c2")] == ["enumeration"]
    assert len(log.recent(types=["ip_not_allowed"])) == 2
    assert log.recent(severity=Severity.HIGH)[0].level >= Severity.HIGH
    assert log.recent(since=AT + timedelta(seconds=1)) == []
    log.close()


def test_a_full_queue_drops_and_counts(tmp_path: Path) -> None:
    log = EventLog(path=tmp_path / "events.jsonl")
    assert log._listener is not None
    log._listener.stop()  # the writer stalls
    handler = log._logger.handlers[0]
    assert isinstance(handler, logging.handlers.QueueHandler)
    handler.queue = queue.Queue(2)
    for _ in range(5):
        log.emit(_event())
    assert log.dropped == 3
    assert log.counts()["token_forged"] == 5  # counted all the same
    log._listener = None
    log.close()
