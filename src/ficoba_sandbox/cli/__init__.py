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
    from ficoba_sandbox.cli import data

    data.register(sub)
    from ficoba_sandbox.cli import journal

    journal.register(sub)
    from ficoba_sandbox.cli import gateway, serve

    gateway.register(sub)
    serve.register(sub)
    from ficoba_sandbox.cli import ops

    ops.register(sub)
    from ficoba_sandbox.cli import recette

    recette.register(sub)
    from ficoba_sandbox.cli import qa

    qa.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
