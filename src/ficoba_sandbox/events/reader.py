"""Reading the events file (`events tail`, `events export`, the recette report): its rotated
half first (`events.jsonl.1`), then the current one, oldest first; a line that does not parse
(a line cut by a kill) is skipped."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: the columns of `events export --format csv` (dotted ECS names)
CSV_COLUMNS = (
    "@timestamp",
    "event.action",
    "event.severity",
    "event.kind",
    "event.outcome",
    "client.id",
    "source.ip",
    "tls.client.hash.sha256",
    "trace.id",
    "message",
    "ficoba",
)


def events_path(state_dir: Path) -> Path:
    return Path(state_dir) / "events.jsonl"


def instant(line: dict[str, Any]) -> datetime | None:
    text = line.get("@timestamp")
    if not isinstance(text, str):
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def action(line: dict[str, Any]) -> str | None:
    event = line.get("event")
    return event.get("action") if isinstance(event, dict) else None


def client_of(line: dict[str, Any]) -> str | None:
    client = line.get("client")
    return client.get("id") if isinstance(client, dict) else None


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for text in lines:
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            yield line


def read_events(
    path: Path,
    *,
    since: datetime | None = None,
    types: Iterable[str] = (),
    client_id: str | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The ECS lines of the file and its rotated half, oldest first, filtered."""
    wanted = set(types)
    out: list[dict[str, Any]] = []
    for part in (path.with_name(path.name + ".1"), path):
        try:
            text = part.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        for line in parse_lines(text.splitlines()):
            at = instant(line)
            if since is not None and (at is None or at < since):
                continue
            if until is not None and (at is None or at > until):
                continue
            if wanted and action(line) not in wanted:
                continue
            if client_id is not None and client_of(line) != client_id:
                continue
            out.append(line)
    return out


def _dotted(line: dict[str, Any], name: str) -> Any:
    if name in line:
        return line[name]
    value: Any = line
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def to_csv(lines: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        row = []
        for name in CSV_COLUMNS:
            value = _dotted(line, name)
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            row.append("" if value is None else value)
        writer.writerow(row)
    return out.getvalue()


def summary(line: dict[str, Any]) -> str:
    """One line for a terminal: instant, severity, type, client, peer, evidence."""
    event = line.get("event") if isinstance(line.get("event"), dict) else {}
    assert isinstance(event, dict)
    source = line.get("source") if isinstance(line.get("source"), dict) else {}
    assert isinstance(source, dict)
    evidence = line.get("ficoba") or {}
    return (
        f"{line.get('@timestamp', '?')}  sev {event.get('severity', '?')}  "
        f"{event.get('action', '?'):<26} {client_of(line) or '-':<20} "
        f"{source.get('ip') or '-':<15} {json.dumps(evidence, ensure_ascii=False, sort_keys=True)}"
    )
