"""`ficoba-sandbox scenarios check PATH...` and `ficoba-sandbox replay PATH...`."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sc = sub.add_parser("scenarios", help="scenario packs: check")
    scsub = sc.add_subparsers(dest="scenarios_command", required=True, metavar="ACTION")
    ck = scsub.add_parser("check", help="validate packs without running them (file: place: reason)")
    ck.add_argument("paths", nargs="+", type=Path, help="pack files or directories")
    ck.add_argument(
        "--personas-dir", action="append", type=Path, default=None,
        help="extra persona directories the server loads (persona names are checked)",
    )  # fmt: skip
    ck.set_defaults(handler=cmd_check)
    scsub.add_parser("schema", help="print the JSON Schema of a pack").set_defaults(
        handler=cmd_schema
    )

    rp = sub.add_parser(
        "replay",
        help="run scenario packs against a running sandbox (mutual TLS), report, JUnit",
        description="Credentials from --target (a client file such as D/demo-client.json), "
        "each overridable by the explicit options.",
    )
    rp.add_argument("paths", nargs="+", type=Path, help="pack files or directories")
    rp.add_argument("--target", type=Path, default=None, help="client credentials JSON file")
    rp.add_argument("--base-url", default=None, help="e.g. https://localhost:8443/ficoba-api/v2")
    rp.add_argument("--token-url", default=None)
    rp.add_argument("--cert", default=None)
    rp.add_argument("--key", default=None)
    rp.add_argument("--ca", default=None)
    rp.add_argument("--client-id", default=None)
    rp.add_argument("--client-secret", default=None)
    rp.add_argument("--siret", default=None, help="requester SIRET (default: the client file's)")
    rp.add_argument("--motif", default=None)
    rp.add_argument(
        "--admin-url",
        default=None,
        help="admin plane (default: D/admin.json's, else http://127.0.0.1:8081; '' = none)",
    )
    rp.add_argument(
        "--admin-token",
        default=None,
        help="admin token (default: FICOBA_SANDBOX_ADMIN_TOKEN, else D/admin.json's)",
    )
    rp.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="state directory whose admin.json to read (default: the --target file's)",
    )
    rp.add_argument("--junit", type=Path, default=None, help="write a JUnit XML report")
    rp.add_argument("--timeout", type=float, default=30.0)
    rp.set_defaults(handler=cmd_replay)


def cmd_check(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.pack import check, default_persona_ids, pack_files, persona_ids

    ids = default_persona_ids() | persona_ids(args.personas_dir or [])
    files = pack_files(args.paths)
    errors = check(files, ids)
    for err in errors:
        print(err, file=sys.stderr)
    print(f"{len(files) - len(errors)}/{len(files)} packs valid")
    return 1 if errors or not files else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.pack import schema_text

    sys.stdout.write(schema_text())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from ficoba_sandbox.gateway.admin_key import find_admin_access
    from ficoba_sandbox.qa.pack import PackError, load_pack, pack_files
    from ficoba_sandbox.qa.runner import Runner, Target, junit_xml, report

    overrides = {
        "base_url": args.base_url,
        "token_url": args.token_url,
        "cert": args.cert,
        "key": args.key,
        "ca": args.ca,
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "siret": args.siret,
        "motif": args.motif,
        "admin_url": args.admin_url or None,
        "admin_token": args.admin_token,
    }
    if args.dir is not None or args.target is None:
        admin = find_admin_access(args.dir, url=args.admin_url or None, token=args.admin_token)
        overrides.update(admin_url=admin.url, admin_token=admin.token)
    try:
        if args.target is not None:
            target = Target.from_file(args.target, **overrides)
        else:
            missing = [k for k in ("base_url", "token_url", "cert", "key", "ca", "client_id",
                                   "client_secret") if not overrides[k]]  # fmt: skip
            if missing:
                print(f"replay: give --target or --{', --'.join(m.replace('_', '-') for m in missing)}",
                      file=sys.stderr)  # fmt: skip
                return 2
            target = Target(**{k: v for k, v in overrides.items() if v is not None})
    except (OSError, KeyError, ValueError) as exc:
        print(f"replay: cannot read the target: {exc}", file=sys.stderr)
        return 2
    if args.admin_url == "":  # no admin plane: the local catalogue, admin steps fail
        target = dataclasses.replace(target, admin_url=None)
    packs = []
    failed_load = False
    for f in pack_files(args.paths):
        try:
            packs.append((f, load_pack(f)))
        except PackError as exc:
            print(exc, file=sys.stderr)
            failed_load = True
    runner = Runner(target, timeout=args.timeout)
    try:
        results = [runner.run_pack(p, str(f)) for f, p in packs]
    finally:
        runner.close()
    print(report(results))
    if args.junit is not None:
        args.junit.write_text(junit_xml(results), "utf-8")
    return 1 if failed_load or not packs or not all(r.ok for r in results) else 0
