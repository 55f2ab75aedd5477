"""`ficoba-sandbox init`, `ficoba-sandbox clients add|list|revoke` and `ficoba-sandbox ca
add|list` (the integrator's own CAs, docs/security.md)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from ficoba_sandbox.domain.access import MODALITIES, OPERATION_SCOPES
from ficoba_sandbox.gateway.admin_key import ADMIN_FILE, admin_url, ensure_admin_key
from ficoba_sandbox.gateway.clients import client_spec, enrol, ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import DEFAULT_CLIENT_VALIDITY_DAYS, PkiPaths, ensure_pki
from ficoba_sandbox.gateway.registry import (
    DEFAULT_MOTIFS,
    Registry,
    RegistryError,
)
from ficoba_sandbox.gateway.trust import TrustError, add_cas, extra_cas
from ficoba_sandbox.journal import JOURNAL_FILE, AdminEvent, append_event
from ficoba_sandbox.settings import Settings


def settings_from(args: argparse.Namespace, **mapping: str) -> Settings:
    """Settings from the environment (`FICOBA_SANDBOX_*`), overridden by the flags given."""
    values: dict[str, Any] = {}
    for arg, field in {"dir": "state_dir", **mapping}.items():
        value = getattr(args, arg, None)
        if value not in (None, []):
            values[field] = value
    return Settings(**values)


def _add_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="state directory D (env FICOBA_SANDBOX_STATE_DIR, default .sandbox)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="create the dev PKI, the demo client and the admin token in D (idempotent)",
        description="Create the sandbox CA, the server certificate (SANs localhost, 127.0.0.1, "
        "::1 and every --san), the token signing key and the demo client, whose credentials are "
        "written to D/demo-client.json, and the admin plane's token (D/admin.json). Never "
        "overwrites anything that exists.",
    )
    _add_dir(p)
    p.add_argument("--san", action="append", default=[], help="extra server name (repeatable)")
    p.add_argument("--host", default=None, help="public host used in the printed URLs")
    p.add_argument("--port", type=int, default=None, help="TLS port used in the printed URLs")
    p.set_defaults(handler=cmd_init)

    clients = sub.add_parser("clients", help="manage the client registry of D")
    csub = clients.add_subparsers(dest="clients_command", required=True, metavar="ACTION")

    add = csub.add_parser(
        "add",
        help="register a client: certificate, secret, rights; prints its credentials",
        description="Defaults: every modality and scope, quota 200/min, loopback IPs, a "
        "fictitious requester SIRET, motifs "
        + ", ".join(f"{m} ({len(t)} search types)" for m, t in DEFAULT_MOTIFS.items())
        + ". A running server sees the change at once.",
    )
    _add_dir(add)
    add.add_argument("--id", required=True, dest="client_id", help="client_id (also the CN)")
    add.add_argument("--modality", action="append", choices=MODALITIES, help="repeatable")
    add.add_argument(
        "--scope",
        action="append",
        help="repeatable; dgfip_ficoba_* data scope (the prefix may be left out)",
    )
    add.add_argument(
        "--operation-scope",
        action="append",
        choices=OPERATION_SCOPES,
        help="repeatable; the gateway's operation scope a token may carry (default: those of "
        "the resources the modalities open)",
    )
    add.add_argument(
        "--quota",
        type=int,
        default=None,
        help="calls per minute (default: the server's --default-quota, 200)",
    )
    add.add_argument("--ip", action="append", help="allowed caller network, CIDR (repeatable)")
    add.add_argument(
        "--hours",
        default=None,
        metavar="HH:MM-HH:MM",
        help="declared calling hours, Europe/Paris (a call outside them is a security event)",
    )
    add.add_argument("--siret", action="append", help="requester SIRET it may declare")
    add.add_argument("--siren", action="append", help="requester SIREN it may declare")
    add.add_argument(
        "--motif",
        action="append",
        help="CODE (every search type) or CODE:type,type (repeatable; first = main motif)",
    )
    add.add_argument("--code-etablissement", action="append", help="bank code (multiDet)")
    add.add_argument(
        "--cert-validity",
        type=int,
        default=DEFAULT_CLIENT_VALIDITY_DAYS,
        metavar="DAYS",
        help="client certificate validity (days)",
    )
    shape = add.add_mutually_exclusive_group()
    shape.add_argument("--expired", action="store_true", help="test only: an expired certificate")
    shape.add_argument(
        "--not-yet-valid", action="store_true", help="test only: a certificate valid in 30 days"
    )
    add.add_argument(
        "--no-client-credentials",
        action="store_true",
        help="test only: the client may not use the client_credentials grant",
    )
    add.add_argument(
        "--cert",
        type=Path,
        default=None,
        metavar="PEM",
        help="bring your own: the client certificate from your PKI (then its intermediates); "
        "no private key is needed nor issued",
    )
    add.add_argument(
        "--ca",
        type=Path,
        default=None,
        metavar="PEM",
        help="trust this CA bundle (your root and/or intermediates) first, as `ca add` does",
    )
    add.add_argument("--replace", action="store_true", help="re-issue an existing client")
    add.add_argument("--host", default=None, help="public host used in the URLs")
    add.add_argument("--port", type=int, default=None, help="TLS port used in the URLs")
    add.set_defaults(handler=cmd_clients_add)

    ca = sub.add_parser("ca", help="the CAs of your own PKI that the sandbox trusts")
    casub = ca.add_subparsers(dest="ca_command", required=True, metavar="ACTION")
    ca_add = casub.add_parser(
        "add",
        help="trust the CA certificates of a PEM bundle (roots, intermediates)",
        description="Client certificates they issue are accepted by the TLS listener (from its "
        "next start) and when a trusted proxy forwards them. Each CA certificate is a trust "
        "anchor: an intermediate alone will do.",
    )
    _add_dir(ca_add)
    ca_add.add_argument("bundle", type=Path, metavar="PEM")
    ca_add.set_defaults(handler=cmd_ca_add)
    ca_ls = casub.add_parser("list", help="list the CAs registered in D")
    _add_dir(ca_ls)
    ca_ls.set_defaults(handler=cmd_ca_list)

    ls = csub.add_parser("list", help="list the registered clients")
    _add_dir(ls)
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=cmd_clients_list)

    rv = csub.add_parser("revoke", help="revoke a client (its tokens stop working at once)")
    _add_dir(rv)
    rv.add_argument("client_id")
    rv.set_defaults(handler=cmd_clients_revoke)


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from(args, host="host", port="port")
    sans = [*settings.san, *args.san]
    paths, done = ensure_pki(settings.state_dir, sans)
    for line in done:
        print(line, file=sys.stderr)
    creds, created = ensure_demo_client(paths, public_origin(settings.host, settings.port))
    demo = paths.root / "demo-client.json"
    print(f"{'wrote' if created else 'kept existing'} {demo}", file=sys.stderr)
    if not settings.admin_token:  # the admin plane's key (docs/security.md, "The admin plane")
        url = admin_url(settings.admin_host, settings.admin_port)
        _, made = ensure_admin_key(paths.root, url)
        print(f"{'wrote' if made else 'kept existing'} {paths.root / ADMIN_FILE}", file=sys.stderr)
    print(json.dumps(creds, indent=2))
    return 0


def cmd_clients_add(args: argparse.Namespace) -> int:
    settings = settings_from(args, host="host", port="port")
    paths, _ = ensure_pki(settings.state_dir, settings.san)
    if args.cert is not None and (args.expired or args.not_yet_valid):
        print("error: --cert is your own certificate: --expired/--not-yet-valid", file=sys.stderr)
        return 2
    try:
        if args.ca is not None:
            _register_cas(paths, args.ca)
        own = _read(args.cert) if args.cert is not None else None
        spec = client_spec(
            args.client_id,
            modalities=args.modality or (),
            scopes=args.scope or (),
            operation_scopes=args.operation_scope,
            quota=args.quota,
            ips=args.ip or (),
            sirets=args.siret,
            sirens=args.siren or (),
            motifs=args.motif or (),
            codes_etablissement=args.code_etablissement or (),
            hours=args.hours,
            cert_validity_days=args.cert_validity,
            expired=args.expired,
            not_yet_valid=args.not_yet_valid,
            client_credentials=not args.no_client_credentials,
            cert_pem=own,
        )
        existed = args.replace and Registry(paths.root).get(args.client_id) is not None
        creds = enrol(
            PkiPaths(paths.root),
            spec,
            public_origin(settings.host, settings.port),
            replace=args.replace,
        )
    except (RegistryError, TrustError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if existed:  # the client's former certificate and secret stop working
        record_cli_event(settings, "client.replace", client_id=args.client_id)
    print(json.dumps(creds, indent=2))
    return 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrustError(f"{path}: {exc.strerror or exc}") from None


def _register_cas(paths: PkiPaths, bundle: Path) -> None:
    new = add_cas(paths, _read(bundle), str(bundle))
    for cert in new:
        print(f"trusted CA {cert.subject.rfc4514_string()}", file=sys.stderr)
    if new:
        print("a running server's TLS listener trusts them from its next start", file=sys.stderr)


def cmd_ca_add(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    paths, _ = ensure_pki(settings.state_dir, settings.san)
    try:
        _register_cas(paths, args.bundle)
    except TrustError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_ca_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    paths, _ = ensure_pki(settings.state_dir, settings.san)
    for cert in extra_cas(paths):
        until = cert.not_valid_after_utc.isoformat()
        print(f"{cert.subject.rfc4514_string()}  (until {until})")
    return 0


def cmd_clients_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    registry = Registry(settings.state_dir)
    fault = registry.check()
    if fault is not None:
        print(f"error: {fault}", file=sys.stderr)
        return 2
    records = list(registry)
    if args.json:
        out = [{k: v for k, v in r.to_json().items() if k != "secret_hash"} for r in records]
        print(json.dumps(out, indent=2))
        return 0
    print(f"{'client_id':<24} {'status':<8} {'cert until':<26} {'quota':>5}  ips / rights")
    for r in records:
        status = "revoked" if r.revoked else "active"
        print(
            f"{r.client_id:<24} {status:<8} {r.cert_not_after:<26} {r.quota_per_minute or '-':>5}  "
            f"{','.join(map(str, r.ips))} / {len(r.modalities)} modalities, "
            f"{len(r.scopes)} scopes, motifs {','.join(r.motifs)}, operations "
            f"{','.join(s for s in OPERATION_SCOPES if s in r.operation_scopes) or '-'}"
            f"{f', hours {r.hours}' if r.hours else ''}"
        )
    return 0


def cmd_clients_revoke(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        Registry(settings.state_dir).revoke(args.client_id)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record_cli_event(settings, "client.revoke", client_id=args.client_id)
    print(f"revoked {args.client_id}", file=sys.stderr)
    return 0


def record_cli_event(settings: Settings, action: str, **details: object) -> None:
    """An admin event done from the command line: by this machine's user, in the journal of D
    (docs/security.md, "The admin plane")."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's arbitrary user)
        user = f"uid {os.getuid()}"
    event = AdminEvent(action, "local", f"command line (user {user})", dict(details))
    append_event(Path(settings.state_dir) / JOURNAL_FILE, event)
