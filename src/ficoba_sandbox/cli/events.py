"""`ficoba-sandbox events tail|export`: the security events file, D/events.jsonl (ECS JSON lines;
docs/security.md, "Security events"), also while the server runs."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ficoba_sandbox.events import EventType
from ficoba_sandbox.events.reader import events_path, parse_lines, read_events, summary, to_csv
from ficoba_sandbox.journal import parse_since


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "events",
        help="read the security events (tail, export)",
        description="Read the security events file (ECS JSON lines), also while the server runs.",
    )
    sub = parser.add_subparsers(dest="events_command", required=True, metavar="ACTION")

    tail = sub.add_parser("tail", help="print the last events, optionally follow new ones")
    _common(tail)
    tail.add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")
    tail.add_argument("-f", "--follow", action="store_true", help="keep printing new events")
    tail.add_argument(
        "--format", choices=("text", "jsonl"), default="text", help="output (default text)"
    )
    tail.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    tail.set_defaults(handler=_tail)

    export = sub.add_parser("export", help="write the events as JSON Lines or CSV, oldest first")
    _common(export)
    export.add_argument(
        "--since", help="ISO 8601 instant (UTC if no offset) or an age: 90s, 15m, 2h, 7d"
    )
    export.add_argument(
        "--type",
        action="append",
        choices=[str(t) for t in EventType],
        metavar="TYPE",
        help="only this event type (repeatable): " + ", ".join(str(t) for t in EventType),
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        "-d",
        type=Path,
        default=Path(".sandbox"),
        help="state directory (default .sandbox)",
    )
    parser.add_argument(
        "--file", type=Path, help="the events file (default D/events.jsonl, as --events-file)"
    )
    parser.add_argument("--client", help="only this client_id")


def _path(args: argparse.Namespace) -> Path:
    return Path(args.file) if args.file is not None else events_path(args.dir)


def _print(line: dict[str, Any], fmt: str) -> None:
    if fmt == "jsonl":
        print(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    else:
        print(summary(line))


def _tail(args: argparse.Namespace) -> int:
    path = _path(args)
    if not path.exists() and not args.follow:
        print(f"ficoba-sandbox: no events file at {path}", file=sys.stderr)
        return 1
    lines = read_events(path, client_id=args.client)
    for line in lines[-args.lines :] if args.lines > 0 else []:
        _print(line, args.format)
    sys.stdout.flush()
    if not args.follow:
        return 0
    offset = path.stat().st_size if path.exists() else 0
    inode = path.stat().st_ino if path.exists() else None
    try:
        while True:
            time.sleep(args.interval)
            if not path.exists():
                continue
            stat = path.stat()
            if stat.st_ino != inode or stat.st_size < offset:  # rotated: the new file anew
                inode, offset = stat.st_ino, 0
            if stat.st_size == offset:
                continue
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            complete = chunk.rfind(b"\n") + 1  # a line being written waits for its end
            offset += complete
            for line in parse_lines(chunk[:complete].decode("utf-8", "replace").splitlines()):
                if args.client is None or (line.get("client") or {}).get("id") == args.client:
                    _print(line, args.format)
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 0


def _export(args: argparse.Namespace) -> int:
    path = _path(args)
    if not path.exists():
        print(f"ficoba-sandbox: no events file at {path}", file=sys.stderr)
        return 1
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError:
        print(
            f"error: --since {args.since!r}: an ISO 8601 instant or an age (15m)", file=sys.stderr
        )
        return 2
    lines = read_events(path, since=since, types=args.type or (), client_id=args.client)
    if args.format == "csv":
        text = to_csv(lines)
    else:
        text = "".join(
            json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines
        )
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
