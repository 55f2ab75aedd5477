"""The client registry: who may call, with which certificate, rights, IPs and requesters.

Stored in one file, `D/registry.json` (mode 0600), written atomically (temporary file + rename)
under an advisory lock `D/registry.lock`. A running server re-reads it when its `stat` changes,
so `ficoba-sandbox clients add|revoke` takes effect without a restart. Format::

    {
      "format": "ficoba-sandbox/registry/v1",
      "clients": {
        "<client_id>": {
          "client_id": "<client_id>",
          "secret_hash": "scrypt$<n>$<r>$<p>$<salt b64url>$<hash b64url>",
          "cert": {"x5t#S256": "<RFC 8705 thumbprint>", "subject": "<RFC 4514 DN>",
                   "not_after": "<ISO 8601>"},
          "grant_types": ["client_credentials"],
          "modalities": ["with_ficoba_iban", ...],       # DataPass modalities (access.MODALITIES)
          "scopes": ["dgfip_ficoba_compte", ...],        # DataPass data scopes (access.SCOPES)
          "operation_scopes": ["RechercheParSpi", ...],  # gateway operation scopes (absent:
                                                         # those of the modalities)
          "quota_per_minute": 500,                    # null: the server's --default-quota
          "ips": ["127.0.0.0/8", "::1/128"],             # caller IP allow-list (CIDR)
          "sirets": ["99000001000019"], "sirens": ["990000010"],   # requesters it may declare
          "motifs": {"0001": ["compte", "spi", ...]},    # motif -> search types (access.SearchType)
          "codes_etablissement": [],                     # banks it is linked to (multiDet; [] = any)
          "hours": "08:00-19:00",                        # declared hours, Europe/Paris (absent:
                                                         # none; a call outside: a security event)
          "revoked": false, "created_at": "<ISO 8601>", "revoked_at": null
        }
      }
    }

A file that cannot be read (not JSON, another format, a record that does not load, a file that
vanished after it was read) is a *fault*: the server keeps serving the last version it read,
logs one line naming the file and the position, and reports it (`Registry.fault`, the admin
plane's `ready`) until the file reads again (docs/reliability.md, "The client registry on disk").

Secrets are never stored: only their scrypt hash. Client secrets are 256-bit random strings, so
the hash cost is modest on purpose (the token endpoint hashes on every call).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ficoba_sandbox.domain.access import (
    MODALITIES,
    OPERATION_SCOPES,
    SCOPES,
    Caller,
    SearchType,
    operation_scopes_for,
)
from ficoba_sandbox.domain.private import private_dir
from ficoba_sandbox.domain.watch import Watch
from ficoba_sandbox.events.patterns import Hours
from ficoba_sandbox.gateway.networks import Network, ip_in, parse_networks
from ficoba_sandbox.gateway.pki import write_private

log = logging.getLogger(__name__)

FORMAT = "ficoba-sandbox/registry/v1"
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_IPS: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
GRANT_CLIENT_CREDENTIALS = "client_credentials"

#: The demo requester: fictitious SIREN 990000010 (Luhn-valid), establishment NIC 00001.
DEMO_SIRET = "99000001000019"
DEMO_SIREN = "990000010"

#: Default motifs: the first one allows every search type; the others exist so
#: integrators can exercise CAF031 (motif not allowed for the search type).
ALL_SEARCH_TYPES: tuple[SearchType, ...] = tuple(SearchType)
DEFAULT_MOTIFS: Mapping[str, tuple[SearchType, ...]] = {
    "0001": ALL_SEARCH_TYPES,
    "0002": (
        SearchType.COMPTE,
        SearchType.VERIF_IBAN_PP,
        SearchType.VERIF_IBAN_PM,
        SearchType.VERIF_IBAN_SIRET,
    ),
    "0003": (SearchType.MULTIDET_PP, SearchType.MULTIDET_PM, SearchType.MULTIDET_SIRET),
}

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class RegistryError(ValueError):
    """A registry operation could not be done (bad id, unknown client, bad value)."""


# --------------------------------------------------------------------------- secrets


def new_secret() -> str:
    """256 random bits in hex: safe on a command line (a URL-safe secret may start with "-",
    which argparse and curl read as an option), in a URL and in HTTP Basic."""
    return secrets.token_hex(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


_DUMMY_HASH: str | None = None


def verify_secret(secret: str, stored: str | None) -> bool:
    """Constant-time check of `secret` against a stored hash. `stored=None` still costs a hash."""
    global _DUMMY_HASH
    if stored is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_secret(new_secret())
        stored = _DUMMY_HASH
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            secret.encode("utf-8", "surrogatepass"),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, UnicodeEncodeError):
        return False
    return (
        hmac.compare_digest(digest, base64.urlsafe_b64decode(expected))
        and stored is not _DUMMY_HASH
    )


# --------------------------------------------------------------------------- records


def _networks(values: Iterable[str]) -> tuple[Network, ...]:
    try:
        return parse_networks(values)
    except ValueError as exc:
        raise RegistryError(f"invalid IP network: {exc}") from None


def _quota(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class ClientRecord:
    client_id: str
    secret_hash: str
    cert_x5t_s256: str
    cert_subject: str = ""
    cert_not_after: str = ""
    grant_types: frozenset[str] = frozenset({GRANT_CLIENT_CREDENTIALS})
    modalities: frozenset[str] = frozenset(MODALITIES)
    scopes: frozenset[str] = frozenset(SCOPES)
    #: the gateway's operation scopes (access.OPERATION_SCOPES) the client may ask a token for
    operation_scopes: frozenset[str] = frozenset(OPERATION_SCOPES)
    #: calls per minute; None: the server's default (`--default-quota`)
    quota_per_minute: int | None = None
    ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=lambda: _networks(DEFAULT_IPS)
    )
    sirets: frozenset[str] = frozenset()
    sirens: frozenset[str] = frozenset()
    motifs: Mapping[str, frozenset[SearchType]] = field(default_factory=dict)
    codes_etablissement: frozenset[str] = frozenset()
    revoked: bool = False
    created_at: str = ""
    revoked_at: str | None = None
    #: the hours it declared it calls in, `HH:MM-HH:MM` Europe/Paris (events.Hours); None: any
    hours: str | None = None
    #: granted scopes -> the Caller built for them (a record is immutable, and so is a Caller:
    #: one per token scope set, not one per call); not part of the record's value
    _callers: dict[frozenset[str] | None, Caller] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def ip_allowed(self, ip: str | None) -> bool:
        return ip_in(ip, self.ips)

    def operation_scopes_of(self, granted_scopes: Iterable[str]) -> frozenset[str]:
        """The operation scopes a token carrying `granted_scopes` may use now: those it carries
        that the client still holds (a registry change narrows the tokens already issued)."""
        return self.operation_scopes.intersection(granted_scopes)

    def caller(self, granted_scopes: Iterable[str] | None = None) -> Caller:
        """The `Caller` handed to the backend; scopes narrowed to those the token carries."""
        key = None if granted_scopes is None else frozenset(granted_scopes)
        built = self._callers.get(key)
        if built is None:
            built = Caller(
                client_id=self.client_id,
                modalities=self.modalities,
                scopes=self.scopes if key is None else self.scopes & key,
                sirets=self.sirets,
                sirens=self.sirens,
                motifs=dict(self.motifs),
                codes_etablissement=self.codes_etablissement,
            )
            if len(self._callers) < 64:
                self._callers[key] = built
        return built

    # -- (de)serialisation

    def to_json(self) -> dict[str, Any]:
        order = {t: i for i, t in enumerate(SearchType)}
        return {
            "client_id": self.client_id,
            "secret_hash": self.secret_hash,
            "cert": {
                "x5t#S256": self.cert_x5t_s256,
                "subject": self.cert_subject,
                "not_after": self.cert_not_after,
            },
            "grant_types": sorted(self.grant_types),
            "modalities": [m for m in MODALITIES if m in self.modalities],
            "scopes": [s for s in SCOPES if s in self.scopes],
            "operation_scopes": [s for s in OPERATION_SCOPES if s in self.operation_scopes],
            "quota_per_minute": self.quota_per_minute,
            "ips": [str(n) for n in self.ips],
            "sirets": sorted(self.sirets),
            "sirens": sorted(self.sirens),
            "motifs": {
                m: [str(t) for t in sorted(types, key=order.__getitem__)]
                for m, types in self.motifs.items()
            },
            "codes_etablissement": sorted(self.codes_etablissement),
            "revoked": self.revoked,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            **({"hours": self.hours} if self.hours else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClientRecord:
        cert = data.get("cert") or {}
        modalities = frozenset(data.get("modalities", MODALITIES))
        return cls(
            client_id=str(data["client_id"]),
            secret_hash=str(data["secret_hash"]),
            cert_x5t_s256=str(cert.get("x5t#S256", "")),
            cert_subject=str(cert.get("subject", "")),
            cert_not_after=str(cert.get("not_after", "")),
            grant_types=frozenset(data.get("grant_types", [GRANT_CLIENT_CREDENTIALS])),
            modalities=modalities,
            scopes=frozenset(data.get("scopes", SCOPES)),
            operation_scopes=(
                frozenset(data["operation_scopes"])
                if "operation_scopes" in data
                else operation_scopes_for(modalities)
            ),
            quota_per_minute=_quota(data.get("quota_per_minute")),
            ips=_networks(data.get("ips", DEFAULT_IPS)),
            sirets=frozenset(data.get("sirets", ())),
            sirens=frozenset(data.get("sirens", ())),
            motifs={
                str(m): frozenset(SearchType(t) for t in types)
                for m, types in (data.get("motifs") or {}).items()
            },
            codes_etablissement=frozenset(data.get("codes_etablissement", ())),
            revoked=bool(data.get("revoked", False)),
            created_at=str(data.get("created_at", "")),
            revoked_at=data.get("revoked_at"),
            hours=parse_hours(data.get("hours")),
        )


def parse_hours(value: Any) -> str | None:
    """Declared hours, checked (`HH:MM-HH:MM`, Europe/Paris); None when absent."""
    if value is None or value == "":
        return None
    try:
        return str(Hours.parse(str(value)))
    except ValueError as exc:
        raise RegistryError(str(exc)) from None


def validate_client_id(client_id: str) -> str:
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise RegistryError(
            f"invalid client id {client_id!r}: 1-64 characters among letters, digits, '.', '_', '-',"
            " starting with a letter or digit"
        )
    return client_id


def parse_motif(spec: str) -> tuple[str, frozenset[SearchType]]:
    """`CODE` (every search type) or `CODE:type,type` (types from `access.SearchType`)."""
    code, _, types = spec.partition(":")
    code = code.strip()
    if not re.fullmatch(r"\d{3,4}", code):
        raise RegistryError(f"invalid motif {code!r}: 3 or 4 digits expected")
    if not types.strip():
        return code, frozenset(SearchType)
    try:
        return code, frozenset(SearchType(t.strip()) for t in types.split(",") if t.strip())
    except ValueError:
        known = ", ".join(t.value for t in SearchType)
        raise RegistryError(f"invalid search type in motif {spec!r}; known: {known}") from None


# --------------------------------------------------------------------------- the registry file


def read_registry(path: Path) -> dict[str, ClientRecord] | None:
    """The clients of the registry file `path`; None when there is no such file. A file that does
    not load raises `RegistryError` naming the file and, for JSON, the line and column."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path}: not JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise RegistryError(f"{path}: unknown format {found!r} (expected {FORMAT!r})")
    clients = data.get("clients", {})
    if not isinstance(clients, dict):
        raise RegistryError(f'{path}: "clients" is not an object')
    records: dict[str, ClientRecord] = {}
    for cid, entry in clients.items():
        try:
            records[cid] = ClientRecord.from_json(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RegistryError(f"{path}: client {cid!r} does not load: {exc!r}") from None
    return records


class Registry:
    """`D/registry.json`, re-read when it changes on disk. A lookup looks at the file first,
    except on the API's hot path (`recent=True`), which looks at it every
    `domain.watch.RECHECK_SECONDS` at most and reads it again before it refuses anyone.

    A version that does not load leaves the last one read in place and sets `fault` (logged once
    per change of the file); the next version that loads clears it."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir).resolve() / "registry.json"
        self._lock = threading.Lock()
        self._watch = Watch(self.path)
        self._clients: dict[str, ClientRecord] = {}
        self._loaded = False
        #: why the file on disk is not the version served (None: it is)
        self.fault: str | None = None

    # -- reading

    def _current(self, recent: bool = False) -> dict[str, ClientRecord]:
        with self._lock:
            if not recent:
                self._watch.look_now()
            if self._watch.changed():
                self._reload()
            return self._clients

    def _reload(self) -> None:
        try:
            clients = read_registry(self.path)
            if clients is None and self._loaded:
                raise RegistryError(f"{self.path}: the file is gone")
        except RegistryError as exc:
            self.fault = str(exc)
            log.error("client registry not reloaded, still serving the last version read: %s", exc)
            return
        if self.fault is not None:
            log.warning(
                "client registry readable again: %s (%d clients)", self.path, len(clients or {})
            )
            self.fault = None
        self._clients = clients or {}
        self._loaded = clients is not None

    def _read(self) -> dict[str, ClientRecord]:
        """The file's clients, for a change made under the lock (a file that does not load is
        refused, never overwritten)."""
        return read_registry(self.path) or {}

    def check(self) -> str | None:
        """Look at the file now; the fault, if any (the admin plane's readiness)."""
        self._current()
        return self.fault

    def get(self, client_id: str, *, recent: bool = False) -> ClientRecord | None:
        """The client's record; `recent`: as read within `RECHECK_SECONDS` will do."""
        return self._current(recent).get(client_id)

    def active(self, client_id: str, *, recent: bool = False) -> ClientRecord | None:
        """The record of a client that is not revoked."""
        record = self.get(client_id, recent=recent)
        return None if record is None or record.revoked else record

    def __iter__(self) -> Iterator[ClientRecord]:
        return iter(sorted(self._current().values(), key=lambda c: c.client_id))

    # -- writing (command line)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, ClientRecord]]:
        private_dir(self.path.parent)
        lock_fd = os.open(self.path.with_name("registry.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(lock_fd, "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                clients = self._read()
                yield clients
                self._write(clients)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, clients: Mapping[str, ClientRecord]) -> None:
        doc = {
            "format": FORMAT,
            "clients": {cid: clients[cid].to_json() for cid in sorted(clients)},
        }
        write_private(self.path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
        with self._lock:
            self._watch.look_now()  # a write through this instance applies at once

    def put(self, record: ClientRecord) -> None:
        validate_client_id(record.client_id)
        with self._locked() as clients:
            clients[record.client_id] = record

    def revoke(self, client_id: str) -> ClientRecord:
        with self._locked() as clients:
            if client_id not in clients:
                raise RegistryError(f"unknown client {client_id!r}")
            record = replace(
                clients[client_id],
                revoked=True,
                revoked_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            clients[client_id] = record
            return record
