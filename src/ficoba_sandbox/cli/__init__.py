"""The `ficoba-sandbox` command line. Each command group lives in its own module of this package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ficoba_sandbox import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ficoba-sandbox", description="Sandbox of the DGFiP FICOBA API v2"
    )
    parser.add_argument("--version", action="version", version=f"ficoba-sandbox {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Command groups register themselves; imported here (the CLI may import every layer).
    from ficoba_sandbox.cli import data, events, gateway, journal, ops, qa, recette, serve

    for group in (data, journal, events, gateway, serve, ops, recette, qa):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ficoba_sandbox.data.personas import PersonaError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except PersonaError as exc:
        # A broken persona file stops the start with its name, the place and the reason, as
        # one line: no traceback (fixtures/personas/README.md).
        print(f"ficoba-sandbox: invalid persona file: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
