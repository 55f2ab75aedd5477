"""cli/events.py: `events tail` and `events export` read the events file (and its rotated half)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ficoba_sandbox.cli import main
from ficoba_sandbox.events import EventLog, EventType, SecurityEvent


@pytest.fixture
def state(tmp_path: Path) -> Path:
    log = EventLog(path=tmp_path / "events.jsonl")
    log.emit(SecurityEvent(EventType.TOKEN_EXPIRED, datetime(2026, 12, 1, tzinfo=UTC), "a"))
    log.emit(SecurityEvent(EventType.ENUMERATION, datetime(2026, 12, 5, tzinfo=UTC), "b"))
    log.close()
    return tmp_path


def test_export_filters(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "export", "-d", str(state), "--type", "enumeration"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["event"]["action"] for x in lines] == ["enumeration"]
    assert main(["events", "export", "-d", str(state), "--since", "2026-12-02"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["events", "export", "-d", str(state), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["event.action"] for r in rows] == ["token_expired", "enumeration"]
    assert rows[0]["client.id"] == "a"


def test_tail_and_bad_input(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "tail", "-d", str(state), "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "enumeration" in out and "token_expired" not in out
    assert main(["events", "export", "-d", str(state), "--since", "not a date"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["events", "tail", "-d", str(state / "nowhere")]) == 1
