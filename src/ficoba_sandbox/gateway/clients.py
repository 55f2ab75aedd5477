"""Enrolling clients: certificate + secret + registry entry + the credentials file.

Used by `ficoba-sandbox init` (the demo client) and `ficoba-sandbox clients add`. The credentials
file (`D/demo-client.json`, `D/clients/<id>.json`, mode 0600) has exactly these keys:
`client_id`, `client_secret`, `cert`, `key`, `ca` (absolute paths), `token_url`, `base_url`,
`siret_demandeur`, `motifs`, and for browsers `p12` (the key, certificate and sandbox CA as one
PKCS#12 file, mode 0600) with its `p12_password`. A client registered with its own certificate
(bring-your-own, `clients add --cert`) has `key: null`, `p12: null`, no `p12_password`, and one
more key, `key_note`, saying why: the private key stays with the integrator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from stdnum import luhn

from ficoba_sandbox.domain.access import (
    MODALITIES,
    OPERATION_SCOPES,
    SCOPES,
    SearchType,
    operation_scopes_for,
)
from ficoba_sandbox.gateway.pki import (
    DEFAULT_CLIENT_VALIDITY_DAYS,
    PkiPaths,
    new_p12_password,
    write_client_cert,
    write_client_p12,
    write_private,
    write_public,
    x5t_s256,
)
from ficoba_sandbox.gateway.registry import (
    DEFAULT_IPS,
    DEFAULT_MOTIFS,
    DEMO_SIREN,
    DEMO_SIRET,
    GRANT_CLIENT_CREDENTIALS,
    ClientRecord,
    Registry,
    RegistryError,
    _networks,
    hash_secret,
    new_secret,
    parse_hours,
    parse_motif,
    validate_client_id,
)
from ficoba_sandbox.gateway.trust import ChainVerifier, TrustError, der_bytes, load_bundle

DEMO_CLIENT_ID = "demo-client"
GATEWAY_PREFIX = "/ficoba-api/v2"
CREDENTIAL_KEYS = (
    "client_id",
    "client_secret",
    "cert",
    "key",
    "ca",
    "p12",
    "token_url",
    "base_url",
    "siret_demandeur",
    "motifs",
    "p12_password",
)


def public_origin(host: str, port: int) -> str:
    """The https origin clients should use: `localhost` for loopback/wildcard binds."""
    if host in ("127.0.0.1", "::1", "0.0.0.0", "::", "localhost", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{port}"


def fictitious_siret(seed: str) -> str:
    """A Luhn-valid SIRET of the fictitious range 99xxxxxxx, derived from `seed`."""
    digits = str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:6]
    siren = "99" + digits
    siren += luhn.calc_check_digit(siren)
    base = siren + "0001"
    return base + luhn.calc_check_digit(base)


@dataclass
class ClientSpec:
    client_id: str
    modalities: Iterable[str] = MODALITIES
    scopes: Iterable[str] = SCOPES
    #: the gateway's operation scopes; None: those of the modalities (access.operation_scopes_for)
    operation_scopes: Iterable[str] | None = None
    quota: int | None = None  # calls per minute; None: the server's --default-quota
    ips: Iterable[str] = DEFAULT_IPS
    sirets: Iterable[str] | None = None
    sirens: Iterable[str] = ()
    motifs: Mapping[str, Iterable[SearchType]] = field(default_factory=lambda: dict(DEFAULT_MOTIFS))
    codes_etablissement: Iterable[str] = ()
    cert_validity_days: int = DEFAULT_CLIENT_VALIDITY_DAYS
    expired: bool = False
    not_yet_valid: bool = False
    grant_types: Iterable[str] = (GRANT_CLIENT_CREDENTIALS,)
    #: bring-your-own: the PEM of the client's certificate from the integrator's PKI (then its
    #: intermediates, if any), instead of one the sandbox CA issues
    cert_pem: bytes | None = None
    #: declared hours, `HH:MM-HH:MM` Europe/Paris (a call outside them: a security event)
    hours: str | None = None


def full_scope(value: str) -> str:
    """A data scope as the registry keeps it: `dgfip_ficoba_*` (the prefix may be left out)."""
    return value if value.startswith("dgfip_ficoba_") else f"dgfip_ficoba_{value}"


def client_spec(
    client_id: str,
    *,
    modalities: Iterable[str] = (),
    scopes: Iterable[str] = (),
    operation_scopes: Iterable[str] | None = None,
    quota: int | None = None,
    ips: Iterable[str] = (),
    sirets: Iterable[str] | None = None,
    sirens: Iterable[str] = (),
    motifs: Iterable[str] = (),
    codes_etablissement: Iterable[str] = (),
    hours: str | None = None,
    cert_validity_days: int = DEFAULT_CLIENT_VALIDITY_DAYS,
    expired: bool = False,
    not_yet_valid: bool = False,
    client_credentials: bool = True,
    cert_pem: bytes | None = None,
) -> ClientSpec:
    """A new client as `ficoba-sandbox clients add` and the QA console's form ask for it, their
    defaults applied: every modality and data scope, the loopback networks, the default motifs
    (`motifs`: `CODE` or `CODE:type,type`, RegistryError when one does not parse), operation
    scopes from the modalities (None), a fictitious requester SIRET (None)."""
    return ClientSpec(
        client_id=client_id,
        modalities=list(modalities) or MODALITIES,
        scopes=[full_scope(s) for s in scopes] or list(SCOPES),
        operation_scopes=operation_scopes,
        quota=quota,
        ips=list(ips) or ClientSpec.ips,
        sirets=sirets,
        sirens=list(sirens),
        motifs=dict(parse_motif(m) for m in motifs) if motifs else dict(DEFAULT_MOTIFS),
        codes_etablissement=list(codes_etablissement),
        cert_validity_days=cert_validity_days,
        expired=expired,
        not_yet_valid=not_yet_valid,
        grant_types=ClientSpec.grant_types if client_credentials else (),
        hours=hours,
        cert_pem=cert_pem,
    )


def enrol(
    paths: PkiPaths, spec: ClientSpec, origin: str, *, replace: bool = False
) -> dict[str, Any]:
    """Issue certificate and secret, register, write `D/clients/<id>.json`; return credentials."""
    client_id = validate_client_id(spec.client_id)
    registry = Registry(paths.root)
    existing = registry.get(client_id)
    if existing is not None and not replace:
        raise RegistryError(f"client {client_id!r} already exists (use --replace to re-issue)")
    operation_scopes = (
        frozenset(spec.operation_scopes)
        if spec.operation_scopes is not None
        else operation_scopes_for(spec.modalities)
    )
    bad = (
        sorted(set(spec.modalities) - set(MODALITIES))
        + sorted(set(spec.scopes) - set(SCOPES))
        + sorted(operation_scopes - set(OPERATION_SCOPES))
    )
    if bad:
        raise RegistryError(f"unknown modality or scope: {', '.join(bad)}")
    if spec.quota is not None and spec.quota < 1:
        raise RegistryError("quota must be at least 1 call per minute")
    motifs = {code: frozenset(types) for code, types in spec.motifs.items()}
    if not motifs:
        raise RegistryError("at least one motif is needed")
    sirets = list(spec.sirets) if spec.sirets is not None else [fictitious_siret(client_id)]
    for siret in sirets:
        if not (len(siret) == 14 and siret.isdigit() and luhn.is_valid(siret)):
            raise RegistryError(f"invalid SIRET {siret!r} (14 digits, Luhn)")
    sirens = list(spec.sirens)
    for siren in sirens:
        if not (len(siren) == 9 and siren.isdigit() and luhn.is_valid(siren)):
            raise RegistryError(f"invalid SIREN {siren!r} (9 digits, Luhn)")
    ips = _networks(spec.ips)

    if spec.cert_pem is not None:
        cert = _own_cert(paths, client_id, spec.cert_pem)
    else:
        cert = write_client_cert(
            paths,
            client_id,
            validity_days=spec.cert_validity_days,
            expired=spec.expired,
            not_yet_valid=spec.not_yet_valid,
        )
    p12_password = None if spec.cert_pem is not None else new_p12_password()
    if p12_password is not None:
        write_client_p12(paths, client_id, p12_password)
    secret = new_secret()
    record = ClientRecord(
        client_id=client_id,
        secret_hash=hash_secret(secret),
        cert_x5t_s256=x5t_s256(cert),
        cert_subject=cert.subject.rfc4514_string(),
        cert_not_after=cert.not_valid_after_utc.isoformat(),
        grant_types=frozenset(spec.grant_types),
        modalities=frozenset(spec.modalities),
        scopes=frozenset(spec.scopes),
        operation_scopes=operation_scopes,
        quota_per_minute=spec.quota,
        ips=ips,
        sirets=frozenset(sirets),
        sirens=frozenset(sirens),
        motifs=motifs,
        codes_etablissement=frozenset(spec.codes_etablissement),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        hours=parse_hours(spec.hours),
    )
    registry.put(record)
    creds = {
        "client_id": client_id,
        "client_secret": secret,
        "cert": str(paths.client_cert(client_id)),
        "key": None if spec.cert_pem is not None else str(paths.client_key(client_id)),
        "ca": str(paths.ca_cert),
        "p12": None if p12_password is None else str(paths.client_p12(client_id)),
        "token_url": f"{origin}/token",
        "base_url": f"{origin}{GATEWAY_PREFIX}",
        "siret_demandeur": sirets[0] if sirets else "",
        "motifs": list(motifs),
    }
    if p12_password is not None:
        creds["p12_password"] = p12_password
    else:
        creds["key_note"] = (
            "bring-your-own certificate: the sandbox has no private key for it (so no .p12 "
            "either); use the key that goes with it in your own PKI"
        )
    write_credentials(paths.client_credentials(client_id), creds)
    return creds


def _own_cert(paths: PkiPaths, client_id: str, pem: bytes) -> x509.Certificate:
    """Store an integrator's client certificate (the first of `pem`; the others are its
    intermediates) once it chains to a trusted CA now: a certificate the TLS listener would
    refuse at the handshake is refused here, with the reason. A key the sandbox issued
    earlier for this id goes, with its .p12: they belong to another certificate."""
    try:
        leaf, *intermediates = load_bundle(pem, "--cert")
        refused = ChainVerifier.of(paths).explain(
            der_bytes(leaf), tuple(der_bytes(c) for c in intermediates), datetime.now(UTC)
        )
    except TrustError as exc:
        raise RegistryError(str(exc)) from None
    if refused:
        raise RegistryError(f"--cert: {refused} (register its CA first: --ca or `ca add`)")
    write_public(paths.client_cert(client_id), pem)
    paths.client_key(client_id).unlink(missing_ok=True)
    paths.client_p12(client_id).unlink(missing_ok=True)
    return leaf


def write_credentials(path: Path, creds: Mapping[str, Any]) -> None:
    write_private(path, (json.dumps(dict(creds), indent=2) + "\n").encode("utf-8"))


def demo_spec() -> ClientSpec:
    return ClientSpec(client_id=DEMO_CLIENT_ID, sirets=[DEMO_SIRET], sirens=[DEMO_SIREN])


def follow_served_origin(paths: PkiPaths, origin: str) -> dict[str, Any]:
    """The demo client's credentials, their URLs on `origin` (the address served now, which may
    not be the one of `init`): `D/demo-client.json` and its copy in `D/clients/` are rewritten
    when they name another. Returns the credentials."""
    demo_file = paths.root / "demo-client.json"
    creds: dict[str, Any] = json.loads(demo_file.read_text("utf-8"))
    urls = {"token_url": f"{origin}/token", "base_url": f"{origin}{GATEWAY_PREFIX}"}
    if all(creds.get(k) == v for k, v in urls.items()):
        return creds
    creds.update(urls)
    for path in (demo_file, paths.client_credentials(DEMO_CLIENT_ID)):
        if path.exists():
            write_credentials(path, {**json.loads(path.read_text("utf-8")), **urls})
    return creds


def ensure_demo_client(paths: PkiPaths, origin: str) -> tuple[dict[str, Any], bool]:
    """`D/demo-client.json`, created once (never overwritten). Returns (credentials, created)."""
    demo_file = paths.root / "demo-client.json"
    if demo_file.exists():
        return json.loads(demo_file.read_text("utf-8")), False
    creds = enrol(paths, demo_spec(), origin, replace=True)
    write_credentials(demo_file, creds)
    return creds, True
