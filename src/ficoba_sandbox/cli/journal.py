"""`ficoba-sandbox journal tail|export|events`: read the audit journal (works while the server
runs); `events` lists the admin events (docs/security.md, "The admin plane")."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ficoba_sandbox.journal import JournalReader, csv_header, parse_since, to_csv, to_jsonl


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "journal",
        help="read the audit journal (tail, export, events)",
        description="Read the audit journal in D/journal.sqlite3, also while the server runs.",
    )
    sub = parser.add_subparsers(dest="journal_command", required=True, metavar="ACTION")

    tail = sub.add_parser("tail", help="print the last calls, optionally follow new ones")
    _common(tail)
    tail.add_argument("-n", "--lines", type=int, default=20, help="how many calls (default 20)")
    tail.add_argument("-f", "--follow", action="store_true", help="keep printing new calls")
    tail.add_argument(
        "--format", choices=("text", "jsonl"), default="text", help="output (default text)"
    )
    tail.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    tail.set_defaults(handler=_tail)

    export = sub.add_parser("export", help="write the journal as JSON Lines or CSV, oldest first")
    _common(export)
    export.add_argument(
        "--since", help="ISO 8601 instant (UTC if no offset) or an age: 90s, 15m, 2h, 7d"
    )
    export.add_argument("--status", help="a status (429), a class (4xx) or 'error' (>= 400)")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    events = sub.add_parser(
        "events",
        help="the admin events: purges, clock moved back, resets, revocations (newest first)",
    )
    _add_dir(events)
    events.add_argument("--since", help="ISO 8601 instant or an age: 90s, 15m, 2h, 7d")
    events.add_argument("-n", "--lines", type=int, default=100, help="how many (default 100)")
    events.add_argument("--format", choices=("text", "jsonl"), default="text")
    events.set_defaults(handler=_events)


def _add_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        "-d",
        type=Path,
        default=Path(".sandbox"),
        help="state directory (default .sandbox)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    _add_dir(parser)
    parser.add_argument("--client", help="only this client_id")


def _reader(args: argparse.Namespace) -> JournalReader | None:
    reader = JournalReader.in_dir(args.dir)
    if not reader.path.exists():
        print(f"ficoba-sandbox: no journal at {reader.path}", file=sys.stderr)
        return None
    return reader


def format_line(row: dict[str, Any]) -> str:
    """One call on one line: time, client, status, code, method, path, search type, ids, latency,
    then the rights at stake: the modality the search type requires, the token's scopes."""
    code = row.get("error_code") or row.get("info_code") or "-"
    parts = [
        row.get("ts") or "-",
        row.get("client_id") or "-",
        str(row.get("status")),
        code,
        f"{row.get('method')} {row.get('path')}",
        row.get("search_type") or "-",
        f"motif={row.get('motif') or '-'}",
        f"corr={row.get('correlation_id') or '-'}",
        f"ref={row.get('reference_demande') or '-'}",
        f"{row.get('latency_ms', 0):.1f}ms",
    ]
    if row.get("required_modality"):
        parts.append(f"modality={row['required_modality']}")
    if row.get("required_operation_scope"):
        parts.append(f"operation_scope={row['required_operation_scope']}")
    if row.get("granted_scopes") is not None:
        parts.append(f"scopes={','.join(row['granted_scopes'].split()) or '-'}")
    return "  ".join(str(p) for p in parts)


def _emit(row: dict[str, Any], fmt: str, out: TextIO) -> None:
    out.write((to_jsonl(row) if fmt == "jsonl" else format_line(row)) + "\n")


def _tail(args: argparse.Namespace) -> int:
    reader = _reader(args)
    if reader is None:
        return 1
    out = sys.stdout
    rows = reader.tail(max(args.lines, 0), client_id=args.client)
    last_id = rows[-1]["id"] if rows else 0
    if not rows and args.follow:
        newest = reader.query(limit=1)
        last_id = newest[0]["id"] if newest else 0
    for row in rows:
        _emit(row, args.format, out)
    out.flush()
    if not args.follow:
        return 0
    try:
        while True:
            time.sleep(args.interval)
            new = reader.query(
                client_id=args.client, after_id=last_id, newest_first=False, limit=1000
            )
            for row in new:
                _emit(row, args.format, out)
                last_id = row["id"]
            if new:
                out.flush()
    except KeyboardInterrupt:
        return 0


def _export(args: argparse.Namespace) -> int:
    reader = _reader(args)
    if reader is None:
        return 1
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError:
        print(f"ficoba-sandbox: --since: not an instant or an age: {args.since!r}", file=sys.stderr)
        return 2
    try:
        rows = reader.iter_rows(client_id=args.client, since=since, status=args.status)
        out: TextIO
        with (
            args.output.open("w", encoding="utf-8", newline="") if args.output else _Stdout() as out
        ):
            if args.format == "csv":
                out.write(csv_header())
            count = 0
            for row in rows:
                out.write(to_csv(row) if args.format == "csv" else to_jsonl(row) + "\n")
                count += 1
    except ValueError as exc:
        print(f"ficoba-sandbox: {exc}", file=sys.stderr)
        return 2
    if args.output:
        print(f"{count} calls written to {args.output}", file=sys.stderr)
    return 0


def event_line(event: dict[str, Any]) -> str:
    """One admin event on one line: time, action, who (address, credential), details."""
    details = event.get("details") or {}
    extra = " ".join(f"{k}={v}" for k, v in details.items()) if isinstance(details, dict) else ""
    who = f"{event.get('peer_ip') or '-'} ({event.get('credential') or '-'})"
    return "  ".join(p for p in (event["ts"], event["action"], who, extra) if p)


def _events(args: argparse.Namespace) -> int:
    reader = _reader(args)
    if reader is None:
        return 1
    try:
        events = reader.events(since=args.since, limit=max(args.lines, 0))
    except ValueError as exc:
        print(f"ficoba-sandbox: --since: {exc}", file=sys.stderr)
        return 2
    for event in events:
        sys.stdout.write((to_jsonl(event) if args.format == "jsonl" else event_line(event)) + "\n")
    return 0


class _Stdout:
    def __enter__(self) -> TextIO:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
