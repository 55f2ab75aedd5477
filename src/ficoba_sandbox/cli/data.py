"""`ficoba-sandbox data digest|export|stats`: QA tools over the seeded dataset."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ficoba_sandbox.data.store import Store


def _store(args: argparse.Namespace) -> Store:
    from ficoba_sandbox.data.build import build_store
    from ficoba_sandbox.data.personas import default_personas_dir

    dirs = [] if args.no_personas else [d for d in [default_personas_dir()] if d]
    dirs += [Path(p) for p in args.personas]
    return build_store(args.seed, args.size, dirs)


def _digest(args: argparse.Namespace) -> int:
    print(_store(args).digest())
    return 0


def _stats(args: argparse.Namespace) -> int:
    from ficoba_sandbox.data.stats import compute_stats

    print(json.dumps(compute_stats(_store(args)), ensure_ascii=False, indent=2))
    return 0


def _export(args: argparse.Namespace) -> int:
    from ficoba_sandbox.data.stats import export_text

    store = _store(args)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        for chunk in export_text(store, args.format):
            out.write(chunk)
    finally:
        if args.output:
            out.close()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = subparsers.add_parser("data", help="inspect the fictitious dataset")
    sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--size", type=int, default=10_000, help="natural persons generated")
        p.add_argument("--personas", action="append", default=[], help="extra persona directory")
        p.add_argument("--no-personas", action="store_true", help="skip fixtures/personas")

    p = sub.add_parser("digest", help="print the dataset's SHA-256 digest")
    common(p)
    p.set_defaults(handler=_digest)
    p = sub.add_parser("stats", help="counts by nature, type, right, closed, multi-holding")
    common(p)
    p.set_defaults(handler=_stats)
    p = sub.add_parser("export", help="every person and entity with identifiers and accounts")
    common(p)
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--output", help="file to write (default: standard output)")
    p.set_defaults(handler=_export)
