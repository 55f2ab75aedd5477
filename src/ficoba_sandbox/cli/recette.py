"""`ficoba-sandbox recette start|stop|status|report`: drills and the acceptance report.

`start` and `stop` write `D/recette/drills/<client>.json`, which a server running on the same `D`
picks up at the client's next call (no connection to the server needed), and add a `RECETTE` row
to the journal. `report` reads the journal and the registry of `D`; it exits 1 when a criterion
fails (2 with `--strict` when one was not exercised), so CI can gate on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _dir(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    from ficoba_sandbox.settings import Settings

    return Path(Settings.model_validate({}).state_dir)  # FICOBA_SANDBOX_STATE_DIR or .sandbox


def _start(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.drills import (
        KINDS,
        DrillError,
        make_plan,
        parse_drills,
        record_event,
        write_plan,
    )
    from ficoba_sandbox.recette.collect import RecetteError, profile_of

    state_dir = _dir(args)
    try:
        profile_of(state_dir, args.client)
        plan = make_plan(args.client, parse_drills(args.drills))
    except (RecetteError, DrillError) as exc:
        print(f"recette start: {exc}", file=sys.stderr)
        return 2
    path = write_plan(state_dir, plan)
    record_event(state_dir, args.client, "start", plan)
    print(f"drills armed for {args.client} ({path}):")
    for drill in plan.drills:
        print(f"  call {drill.at_call:>3}: {drill.name:<13} {KINDS[drill.name].en}")
    print("Counted in the client's resource calls from now on. `recette stop` disarms them.")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.drills import disarm, record_event

    state_dir = _dir(args)
    plan = disarm(state_dir, args.client)
    if plan is None:
        print(f"recette stop: no drills armed for {args.client}", file=sys.stderr)
        return 0
    record_event(state_dir, args.client, "stop", plan)
    print(f"drills disarmed for {args.client}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.drills import read_plan

    plan = read_plan(_dir(args), args.client)
    print(json.dumps(plan.to_json() if plan else None, indent=2))
    return 0


def _report(args: argparse.Namespace) -> int:
    from ficoba_sandbox.recette.collect import RecetteError, build_recette
    from ficoba_sandbox.recette.criteria import NOT_EXERCISED
    from ficoba_sandbox.recette.render import render

    try:
        recette = build_recette(_dir(args), args.client, args.since)
    except (RecetteError, ValueError) as exc:
        print(f"recette report: {exc}", file=sys.stderr)
        return 2
    text = render(recette, args.format, args.lang)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    ev = recette.evaluation
    print(
        f"recette {args.client}: {ev.verdict}"
        + (f" (failed: {', '.join(ev.failed)})" if ev.failed else ""),
        file=sys.stderr,
    )
    if ev.failed:
        return 1
    if args.strict and any(r.verdict == NOT_EXERCISED for r in ev.results):
        return 2
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recette", help="functional acceptance: drills and the report for DGFiP")
    rsub = p.add_subparsers(dest="recette_command", required=True, metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--dir", type=Path, default=None, help="state directory D")
        q.add_argument("--client", required=True, help="client_id under test")

    s = rsub.add_parser("start", help="arm the drills for a client's run")
    common(s)
    s.add_argument(
        "--drills",
        default="all",
        help="all (default) or a comma-separated list of: "
        "token_expiry, throttling, maintenance, error_500, slow",
    )
    s.set_defaults(handler=_start)
    s = rsub.add_parser("stop", help="disarm the drills")
    common(s)
    s.set_defaults(handler=_stop)
    s = rsub.add_parser("status", help="print the client's drill plan")
    common(s)
    s.set_defaults(handler=_status)
    s = rsub.add_parser("report", help="judge the client from the journal and write the report")
    common(s)
    s.add_argument("--since", default=None, help="ISO 8601 instant or age (90s, 15m, 2h, 7d)")
    s.add_argument("--format", choices=("html", "json", "md"), default="html")
    s.add_argument("--lang", choices=("fr", "en"), default="fr")
    s.add_argument("--output", default=None, help="file to write (default: standard output)")
    s.add_argument(
        "--strict", action="store_true", help="exit 2 when a criterion was not exercised"
    )
    s.set_defaults(handler=_report)
