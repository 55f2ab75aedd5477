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
    ck.add_argument(
        "--portable", action="store_true",
        help="list each step's portability and fail unless every step is portable",
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
    rp.add_argument(
        "--portable-only", action="store_true",
        help="run only the portable steps (the others are listed as skipped)",
    )  # fmt: skip
    add_variable_options(rp)
    rp.add_argument("--timeout", type=float, default=30.0)
    rp.set_defaults(handler=cmd_replay)

    pa = sub.add_parser(
        "parity",
        help="run the portable steps of packs against two targets and report the differences",
        description="A target is a client file as `init` writes it (URLs, certificate, key, "
        "secret); the secret is never printed nor written to the report.",
    )
    pa.add_argument("paths", nargs="+", type=Path, help="pack files or directories")
    pa.add_argument("--a", dest="target_a", type=Path, required=True, help="client file of A")
    pa.add_argument("--b", dest="target_b", type=Path, required=True, help="client file of B")
    pa.add_argument(
        "--out", type=Path, default=Path("parity"),
        help="report path without extension: writes .html, .json and .md (default: parity)",
    )  # fmt: skip
    pa.add_argument("--table", type=Path, default=None, help="parity table (default: shipped)")
    pa.add_argument(
        "--latency-tolerance", type=float, default=1.0, metavar="SECONDS",
        help="response-time gap reported as a difference (default 1.0)",
    )  # fmt: skip
    pa.add_argument("--timeout", type=float, default=30.0)
    add_variable_options(pa)
    pa.set_defaults(handler=cmd_parity)


def add_variable_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE",
        help="a pack variable (${NAME} in a request), repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--vars", action="append", type=Path, default=[], metavar="FILE",
        help="a YAML or JSON mapping NAME: VALUE of pack variables (--var wins)",
    )  # fmt: skip


def read_variables(args: argparse.Namespace) -> dict[str, str]:
    """--vars files, then --var pairs; ValueError with a clear reason on bad input."""
    import yaml

    out: dict[str, str] = {}
    for f in args.vars:
        try:
            doc = yaml.safe_load(f.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{f}: cannot read the variables: {exc}") from None
        if not isinstance(doc, dict):
            raise ValueError(f"{f}: a variables file is a mapping NAME: VALUE")
        out.update({str(k): "" if v is None else str(v) for k, v in doc.items()})
    for pair in args.var:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--var {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.pack import (
        check,
        default_persona_ids,
        load_pack,
        pack_files,
        persona_ids,
        portability,
        variables_of,
    )

    ids = default_persona_ids() | persona_ids(args.personas_dir or [])
    files = pack_files(args.paths)
    errors = check(files, ids)
    for err in errors:
        print(err, file=sys.stderr)
    not_portable = 0
    if args.portable:
        bad = {e.path for e in errors}
        for f in files:
            if str(f) in bad:
                continue
            pack = load_pack(f, ids)
            print(f"{pack.name}  {f}")
            for i, step in enumerate(pack.steps, 1):
                p = portability(step)
                not_portable += not p.portable
                why = ", ".join(p.reasons) or ("declared" if p.declared is False else "")
                mark = "portable" if p.portable else "sandbox-only"
                extra = f" ({why})" if why and not p.portable else ""
                if p.portable and p.data:
                    extra = f" (declared portable despite {', '.join(p.data)})"
                names = variables_of(step)
                uses = f"  uses ${{{'}, ${'.join(names)}}}" if names else ""
                print(f"   {i:>2} {mark:<12} {step.name}{extra}{uses}")
    print(f"{len(files) - len(errors)}/{len(files)} packs valid"
          + (f", {not_portable} sandbox-only step(s)" if args.portable else ""))  # fmt: skip
    return 1 if errors or not files or not_portable else 0


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
    try:
        variables = read_variables(args)
    except ValueError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    runner = Runner(
        target, timeout=args.timeout, variables=variables, portable_only=args.portable_only
    )
    try:
        results = [runner.run_pack(p, str(f)) for f, p in packs]
    finally:
        runner.close()
    print(report(results))
    if args.junit is not None:
        args.junit.write_text(junit_xml(results), "utf-8")
    return 1 if failed_load or not packs or not all(r.ok for r in results) else 0


def cmd_parity(args: argparse.Namespace) -> int:
    from ficoba_sandbox.qa.pack import PackError, load_pack, pack_files
    from ficoba_sandbox.qa.runner import Runner, Target
    from ficoba_sandbox.recette import parity

    try:
        variables = read_variables(args)
        table = (parity.load_table(args.table.read_text("utf-8")) if args.table
                 else parity.default_table())  # fmt: skip
        # no admin plane: portable steps need none, and a DGFiP target has none
        targets = [Target.from_file(f, admin_url=None) for f in (args.target_a, args.target_b)]
        targets = [dataclasses.replace(t, admin_url=None, admin_token=None) for t in targets]
    except (OSError, KeyError, ValueError) as exc:
        print(f"parity: {exc}", file=sys.stderr)
        return 2
    packs = []
    for f in pack_files(args.paths):
        try:
            packs.append(load_pack(f))
        except PackError as exc:
            print(exc, file=sys.stderr)
            return 2
    if not packs:
        print("parity: no pack found", file=sys.stderr)
        return 2
    runners = [Runner(t, timeout=args.timeout, variables=variables) for t in targets]
    try:
        steps = parity.run_parity(runners[0], runners[1], packs, table=table,
                                  latency_tolerance=args.latency_tolerance)  # fmt: skip
    finally:
        for r in runners:
            r.close()
    name_a, name_b = (t.base_url for t in targets)
    for fmt in ("html", "json", "md"):
        out = args.out.with_name(args.out.name + "." + fmt)
        out.write_text(parity.render(steps, name_a, name_b, fmt=fmt), "utf-8")
    bad = parity.unexpected(steps)
    for sp, d in bad:
        print(f"unexpected  {sp.pack} / {sp.step}: {d.aspect}: A {d.a!r}, B {d.b!r}")
    n_exp = sum(d.expected for sp in steps for d in sp.differences)
    print(f"{sum(sp.skipped is None for sp in steps)} steps compared, {len(bad)} unexpected, "
          f"{n_exp} expected difference(s); report: {args.out}.html|.json|.md")  # fmt: skip
    return 1 if bad else 0
