"""The audit journal: one row per HTTP call, masked, bounded, durable (issue 6 item 2).

Storage is SQLite from the standard library, `<state_dir>/journal.sqlite3`, in WAL mode so the
`journal tail|export` commands can read it while the server writes. Writes never block the event
loop: `Journal.record()` only puts the call on a queue; one writer thread takes the calls in
batches (those of `batch_delay`, 50 ms, at most `batch_size`) and either masks and inserts them
itself (`writer="thread"`) or hands each batch to a child process that does (`writer="process"`,
the server's default: see "The writer process" below for why), then enforces the bounds (row
count, database size, retention). `flush()` waits for everything queued so far to be committed
(and cuts the delay short); `close()` flushes and stops the thread (and the child).

Masking happens in the writer, before anything touches the disk:
- secrets are never stored, masked or not: `Authorization` (only its scheme is kept),
  `client_secret`, tokens, assertions, passwords, anything shaped like a JWT;
- with masking on (the default), identifiers (IBAN, SPI, SIREN, SIRET: by key and by shape
  anywhere in the body or path) keep `mask_keep` characters at each end, names and addresses keep
  their first letter, free text (`justification`) keeps nothing. Lengths and separators survive so
  the QA toolkit can still explain a format error.

This module imports only the standard library, orjson and `domain` (ARCHITECTURE.md).

Masking is on the journal's hot path (in the child, or in the server with the thread writer),
hence the fast paths below: orjson where it gives json's own result, a memo of each key's
masking rule, short strings skipping the identifier patterns they cannot match, and one UTF-8
check per batch instead of one per value. Each fast path has a test comparing it with the plain
rule.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import logging
import operator
import pickle
import queue
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ficoba_sandbox.domain.clock import Clock, SystemClock
from ficoba_sandbox.domain.jsondoc import read_json

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
SCHEMA_VERSION = 1

#: Columns of a journal row, in storage and export order.
COLUMNS: tuple[str, ...] = (
    "id",
    "ts",
    "client_id",
    "client_id_source",
    "thumbprint",
    "peer_ip",
    "method",
    "path",
    "search_type",
    "motif",
    "correlation_id",
    "request_id",
    "reference_demande",
    "status",
    "error_code",
    "info_code",
    "latency_ms",
    "auth_scheme",
    "justification",
    "request_body",
    "details",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    client_id TEXT,
    client_id_source TEXT,
    thumbprint TEXT,
    peer_ip TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    search_type TEXT,
    motif TEXT,
    correlation_id TEXT,
    request_id TEXT,
    reference_demande TEXT,
    status INTEGER NOT NULL,
    error_code TEXT,
    info_code TEXT,
    latency_ms REAL NOT NULL,
    auth_scheme TEXT,
    justification TEXT,
    request_body TEXT,
    details TEXT
);
CREATE INDEX IF NOT EXISTS ix_journal_client ON journal (client_id, id);
CREATE INDEX IF NOT EXISTS ix_journal_ts ON journal (ts);
"""

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_ts(at: datetime) -> str:
    """Fixed-width UTC text, so string order is time order."""
    if at.tzinfo is UTC and at.year >= 1000:  # the clock's (domain.clock): same text, 3x cheaper
        # (strftime does not pad a year below 1000 on glibc; isoformat does)
        return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime(_TS_FORMAT)


def parse_since(value: str | datetime, now: datetime | None = None) -> datetime:
    """An ISO 8601 instant (naive means UTC) or a relative age: `90s`, `15m`, `2h`, `7d`."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    rel = re.fullmatch(r"(\d+)\s*([smhd])", text)
    if rel:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[rel.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: int(rel.group(1))})
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------

#: Keys whose value is a secret: replaced by REDACTED whatever the masking setting.
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "client_secret",
        "secret",
        "password",
        "passwd",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_assertion",
        "assertion",
        "authorization",
        "api_key",
        "apikey",
        "code",  # OAuth authorization code, only in a form body
        "cookie",
        "private_key",
        "key",
    )
)
#: Keys of a form-encoded body (the token endpoint) kept as they are; every other one is redacted.
FORM_KEYS_KEPT = frozenset({"grant_type", "client_id", "scope"})
#: Identifier keys (IBAN, SPI, SIREN, SIRET, including the requester's).
IDENTIFIER_KEYS = frozenset(
    k.lower()
    for k in (
        "iban",
        "numeroSPI",
        "numeroSpi",
        "spi",
        "siren",
        "siret",
        "sirenDemandeur",
        "siretDemandeur",
        "numCpte",
        "numeroCompte",
    )
)
#: Names and address lines: keep the first letter.
NAME_KEYS = frozenset(
    k.lower()
    for k in (
        "nom",
        "nomNaissance",
        "nomUsage",
        "prenom",
        "prenoms",
        "raisonSociale",
        "sigle",
        "enseigne",
        "denomination",
        "libelleVoie",
        "libelleComplAdr",
        "libAdr1",
        "libAdr2",
        "libAdr3",
        "libAdr4",
    )
)
#: Free text: nothing kept.
FREE_TEXT_KEYS = frozenset({"justification"})

#: The masking rule of a key (its lower-case form in one of the sets above, in this order).
_OTHER, _SECRET, _IDENT, _NAME, _FREE = range(5)


def _rule_of(key: str) -> int:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return _SECRET
    if lowered in IDENTIFIER_KEYS:
        return _IDENT
    if lowered in NAME_KEYS:
        return _NAME
    if lowered in FREE_TEXT_KEYS:
        return _FREE
    return _OTHER


REDACTED = "[redacted]"
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d(?:[ ]?\d){8,}")  # SIREN (9), SPI (13), SIRET (14), bank numbers
_DIGIT_RE = re.compile(r"\d")  # both patterns above need one
_SHORTEST_IDENTIFIER = 9  # nothing shorter matches _IBAN_RE (14) or _DIGITS_RE (9)
#: the masked strings kept (`Masker._string`): at most this many, none longer than that
_MEMO_ENTRIES = 16_384
_MEMO_LONGEST = 200


def _hide(text: str, keep_start: int, keep_end: int) -> str:
    """Replace letters and digits by `*`, keeping the given counts of them at each end."""
    if text.isalnum():  # every character counts (IBAN, SIRET...): same result, by slicing
        n = len(text)
        if n <= keep_start + keep_end:
            return "*" * n
        return text[:keep_start] + "*" * (n - keep_start - keep_end) + text[n - keep_end :]
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(positions) <= keep_start + keep_end:
        keep_start, keep_end = 0, 0  # too short to reveal anything
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


@dataclass(frozen=True, slots=True)
class Masker:
    """What leaves the process: secrets always redacted; identifiers and names masked if `enabled`."""

    enabled: bool = True
    keep: int = 2  # characters kept at each end of an identifier (0: all hidden)
    #: key -> its rule (`_rule_of`), bounded; keys repeat on every call (the wire's field names)
    _rules: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    #: (rule, text) -> its masked form, bounded: most values repeat from call to call (the day's
    #: `dateDemande`, the requester, the motif, the path, the justification of a batch...)
    _masked_texts: dict[tuple[int, str], str] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _rule(self, key: str | None) -> int:
        if key is None:
            return _OTHER
        rule = self._rules.get(key)
        if rule is None:
            rule = _rule_of(key)
            if len(self._rules) < 4096:
                self._rules[key] = rule
        return rule

    def secrets(self, text: str) -> str:
        if "eyJ" not in text:  # every match starts with it: nothing to replace
            return text
        return _JWT_RE.sub(REDACTED, text)

    def identifier(self, text: str) -> str:
        return _hide(text, self.keep, self.keep) if self.enabled else text

    def name(self, text: str) -> str:
        return _hide(text, min(self.keep, 1), 0) if self.enabled else text

    def free_text(self, text: str) -> str:
        return _hide(text, 0, 0) if self.enabled else text

    def text(self, text: str) -> str:
        """Any string: secrets out, and identifier-shaped runs masked."""
        text = self.secrets(text)
        if (
            self.enabled
            and len(text) >= _SHORTEST_IDENTIFIER
            and _DIGIT_RE.search(text) is not None  # both patterns need digits
        ):
            text = _IBAN_RE.sub(lambda m: self.identifier(m.group(0)), text)
            text = _DIGITS_RE.sub(lambda m: self.identifier(m.group(0)), text)
        return text

    def value(self, key: str | None, value: Any) -> Any:
        """One JSON value under `key` (recursively)."""
        return self._masked(self._rule(key), value)

    def _string(self, rule: int, text: str) -> str:
        if len(text) > _MEMO_LONGEST:
            return self._string_of(rule, text)
        key = (rule, text)
        masked = self._masked_texts.get(key)
        if masked is None:
            if len(self._masked_texts) >= _MEMO_ENTRIES:
                self._masked_texts.clear()
            masked = self._masked_texts[key] = self._string_of(rule, text)
        return masked

    def _string_of(self, rule: int, text: str) -> str:
        if rule == _OTHER:
            return self.text(text)
        if rule == _SECRET:
            return REDACTED
        if rule == _IDENT:
            return self.identifier(self.secrets(text))
        if rule == _NAME:
            return self.name(self.secrets(text))
        return self.free_text(self.secrets(text))

    def _masked(self, rule: int, value: Any) -> Any:
        kind = type(value)
        if kind is str:  # the common case first
            return self._string(rule, value)
        if kind is dict or isinstance(value, Mapping):
            return {str(k): self._masked(self._rule(str(k)), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(rule, v) for v in value]
        if rule == _SECRET and value is not None:
            return REDACTED
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            if self.enabled and (rule == _IDENT or len(str(value)) >= 9):
                return self.identifier(str(value))
            return value
        return self._string(rule, str(value))

    def body(self, raw: bytes | None, content_type: str | None, limit: int) -> str | None:
        """The stored form of a request body: masked JSON, masked form, or a masked text excerpt."""
        if not raw:
            return None
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            try:
                pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                pairs = None
            if pairs is not None:
                kept = [
                    (k, self.text(v) if k.lower() in FORM_KEYS_KEPT else REDACTED) for k, v in pairs
                ]
                return _cap(urllib.parse.urlencode(kept, safe="[]"), limit)
        try:
            parsed, plain = read_json(raw)
        except (ValueError, RecursionError, UnicodeDecodeError):
            text = raw[: limit * 2].decode("utf-8", errors="replace")
            return _cap("[not JSON] " + self.text(text), limit)
        try:
            masked = self.value(None, parsed)
        except RecursionError:
            return "[not stored: nesting too deep]"
        return _cap(dump_compact(masked, plain), limit)


def dump_compact(value: Any, plain: bool = False) -> str:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, by orjson unless `plain`
    (orjson spells some floats differently: pass True when `value` may hold a float)."""
    if not plain:
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:  # a big integer, a lone surrogate, deep nesting...: json says it
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _release_free_pages(conn: sqlite3.Connection) -> None:
    """Give freed pages back to the file system, then truncate the WAL.

    `executescript`, not `execute`: the sqlite3 module steps a statement once, and
    `incremental_vacuum` frees one page per step.
    """
    conn.executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")


def _storable(value: Any) -> Any:
    """Text SQLite can bind: a client may send lone surrogates (`"\\ud800"`), which decode as
    JSON but cannot be encoded as UTF-8 (PITFALLS.md); they are kept visible as `\\ud800`.
    Without this one bad request would fail every later batch and close the journal."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"…[truncated, {len(text)} chars]"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CallRecord:
    """One call as seen on the wire, before masking. The journal's writer (its thread, or the
    child process) masks it."""

    ts: datetime
    method: str
    path: str
    status: int
    latency_ms: float
    client_id: str | None = None
    client_id_source: str | None = None  # gateway | form | basic | token_claim | certificate
    thumbprint: str | None = None  # x5t#S256 of the client certificate
    peer_ip: str | None = None
    search_type: str | None = None
    motif: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    reference_demande: str | None = None
    error_code: str | None = None  # erreur.code, or the OAuth `error` on /token
    info_code: str | None = None  # messageInformatif.code (HTTP 200 "no result")
    auth_scheme: str | None = None  # "Bearer", "Basic", "other"; never the credentials
    justification: str | None = None  # "absent" | "empty" | "present"
    request_body: bytes | None = None  # raw; masked before storage
    content_type: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Flush:
    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()
_REVIVE = object()  # (_REVIVE, proc): that writer process died; another if anything waits
_INSERT_SQL = (
    f"INSERT INTO journal ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' for _ in COLUMNS[1:])})"
)


def _row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    out = {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping
    if out.get("details"):
        with contextlib.suppress(ValueError):
            out["details"] = json.loads(out["details"])
    return out


# --------------------------------------------------------------------------------------------
# Read side (used by the CLI while the server runs)
# --------------------------------------------------------------------------------------------


def _status_clause(status: int | str | None) -> tuple[str, list[Any]]:
    if status is None or status == "":
        return "", []
    if isinstance(status, int):
        return "status = ?", [status]
    text = str(status).strip().lower()
    if text.isdigit():
        return "status = ?", [int(text)]
    if re.fullmatch(r"[1-5]xx", text):
        base = int(text[0]) * 100
        return "status BETWEEN ? AND ?", [base, base + 99]
    if text in {"error", "rejected"}:
        return "status >= ?", [400]
    raise ValueError(f"status filter must be a code, 4xx-style class or 'error': {status!r}")


class JournalReader:
    """Queries over a journal file. Opens its own connection per call (safe from any thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_dir(cls, state_dir: Path) -> JournalReader:
        return cls(Path(state_dir) / JOURNAL_FILE)

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise FileNotFoundError(f"no journal at {self.path}")
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        return conn

    def _select(
        self,
        *,
        client_id: str | None = None,
        since: str | datetime | None = None,
        status: int | str | None = None,
        after_id: int | None = None,
        newest_first: bool = True,
        limit: int | None = 100,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if client_id is not None:
            where.append("client_id = ?")
            params.append(client_id)
        if since is not None:
            where.append("ts >= ?")
            params.append(format_ts(parse_since(since)))
        clause, extra = _status_clause(status)
        if clause:
            where.append(clause)
            params.extend(extra)
        if after_id is not None:
            where.append("id > ?")
            params.append(after_id)
        sql = f"SELECT {', '.join(COLUMNS)} FROM journal"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        return sql, params

    def query(
        self,
        client_id: str | None = None,
        since: str | datetime | None = None,
        status: int | str | None = None,
        limit: int = 100,
        *,
        after_id: int | None = None,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts, newest first by default. `status`: 429, "4xx", "error"."""
        sql, params = self._select(
            client_id=client_id,
            since=since,
            status=status,
            after_id=after_id,
            newest_first=newest_first,
            limit=limit,
        )
        with contextlib.closing(self._connect()) as conn:
            return [_row_to_dict(r) for r in conn.execute(sql, params)]

    def iter_rows(
        self,
        client_id: str | None = None,
        since: str | datetime | None = None,
        status: int | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, oldest first, streamed (for export)."""
        sql, params = self._select(
            client_id=client_id, since=since, status=status, newest_first=False, limit=None
        )
        with contextlib.closing(self._connect()) as conn:
            for row in conn.execute(sql, params):
                yield _row_to_dict(row)

    def tail(self, n: int = 20, client_id: str | None = None) -> list[dict[str, Any]]:
        """The last `n` rows, oldest first."""
        return list(reversed(self.query(client_id=client_id, limit=n)))

    def last_rejected(self, client_id: str) -> dict[str, Any] | None:
        """The client's most recent call answered with a status >= 400, or None."""
        rows = self.query(client_id=client_id, status="error", limit=1)
        return rows[0] if rows else None

    def count(self, client_id: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM journal" + (" WHERE client_id = ?" if client_id else "")
        with contextlib.closing(self._connect()) as conn:
            return int(conn.execute(sql, [client_id] if client_id else []).fetchone()[0])


# --------------------------------------------------------------------------------------------
# The journal (writer side)
# --------------------------------------------------------------------------------------------


class Journal(JournalReader):
    """Append-only, masked, bounded audit journal with a background writer: a thread that masks
    and writes (`writer="thread"`), or hands the batches to a child process that does
    (`writer="process"`).

    Bounds, enforced by the writer after commits (and by `prune()`):
    - retention: rows whose `ts` is older than `retention_days` (by the injected clock) go;
    - rows: at most `max_rows`, the oldest go first;
    - size: the live data (pages in use) stays under `max_bytes`; the oldest rows go first and
      freed pages are returned to the file system (incremental auto-vacuum). The WAL file is
      truncated at each checkpoint.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock | None = None,
        masker: Masker | None = None,
        max_rows: int = 200_000,
        max_bytes: int = 256 * 1024 * 1024,
        retention_days: float = 30,
        body_max_chars: int = 8192,
        batch_size: int = 500,
        prune_every: float = 5.0,
        batch_delay: float = 0.05,
        writer: str = "thread",
        busy_timeout: float = 30.0,
    ) -> None:
        if writer not in (*WRITERS, "child"):
            raise ValueError(f"journal writer must be one of {', '.join(WRITERS)}: {writer!r}")
        super().__init__(path)
        self.writer = writer
        self.clock: Clock = clock or SystemClock()
        self.masker = masker or Masker()
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.retention_days = retention_days
        self.body_max_chars = body_max_chars
        self.batch_size = batch_size
        self.prune_every = prune_every
        self.batch_delay = batch_delay
        self.busy_timeout = busy_timeout  # how long a write waits for another one's lock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake = threading.Event()  # cuts the batching delay short (flush, close)
        self._closed = False
        self._lock = threading.Lock()  # guards _conn use outside the writer (after close)
        self._healthy = True
        self.last_error: str | None = None
        self.written = 0
        self._conn = self._open_writer()
        self._last_prune = 0.0
        self._process: _WriterProcess | None = None
        if writer == "child":  # inside the writer process: `_child_main` drives `_insert`
            return
        self.prune()
        if writer == "process":
            self._process = _WriterProcess(self)
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    @classmethod
    def in_dir(cls, state_dir: Path, **kwargs: Any) -> Journal:  # type: ignore[override]
        return cls(Path(state_dir) / JOURNAL_FILE, **kwargs)

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock | None = None, **kwargs: Any) -> Journal:
        """`<state_dir>/journal.sqlite3` with the `mask_journal` and `journal_*` settings."""
        options: dict[str, Any] = {
            "clock": clock,
            "masker": Masker(
                enabled=bool(getattr(settings, "mask_journal", True)),
                keep=int(getattr(settings, "journal_mask_keep", 2)),
            ),
        }
        for name in ("max_rows", "max_bytes", "retention_days", "writer"):
            value = getattr(settings, f"journal_{name}", None)
            if value is not None:
                options[name] = value
        options.update(kwargs)
        return cls.in_dir(Path(settings.state_dir), **options)

    # -- connection ---------------------------------------------------------------------------

    def _open_writer(self) -> sqlite3.Connection:
        fresh = not self.path.exists()
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if self.writer == "child":
            # The server made the file (schema, WAL mode) before starting this process: only
            # this connection's own settings, nothing that needs the write lock (a busy
            # journal must not stop the child from starting; its inserts wait and retry).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA journal_size_limit = 4194304")
            return conn
        if fresh:
            # Must precede the first table: lets the file shrink when old rows are deleted.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA journal_size_limit = 4194304")
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        conn.commit()
        return conn

    # -- producer side ------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """False while the last write failed (the entries stay queued and are retried)."""
        if self._process is None or self._process.fallback:
            return self._healthy
        return self._process.healthy

    def record(self, call: CallRecord) -> None:
        """Queue one call. Never blocks, never raises on the caller's path."""
        if self._closed:
            # Late call after shutdown: write it synchronously rather than lose it.
            with self._lock:
                try:
                    self._write([call])
                except sqlite3.Error:
                    log.exception("journal: late write failed")
            return
        self._queue.put(call)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every call queued before now is committed. False on timeout."""
        if self._closed or not self._thread.is_alive():
            return self._queue.empty()
        marker = _Flush()
        self._queue.put(marker)
        self._wake.set()
        return marker.done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush, stop the writer, checkpoint the WAL. Idempotent."""
        if self._closed:
            return
        self._queue.put(_STOP)
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            # Anything the writer could not commit (a failing disk) gets one last chance.
            leftovers = self._process.stop(timeout) if self._process is not None else []
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if isinstance(item, CallRecord):
                    leftovers.append(item)
            if leftovers:
                try:
                    self._write(leftovers)
                except sqlite3.Error:
                    log.exception("journal: %d entries lost at close", len(leftovers))
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._closed = True
            # Calls queued while we were closing: written with a connection of their own.
            late = []
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if isinstance(item, CallRecord):
                    late.append(item)
                elif isinstance(item, _Flush):
                    item.done.set()
            if late:
                try:
                    self._write(late)
                except sqlite3.Error:
                    log.exception("journal: %d entries lost at close", len(late))

    # -- admin operations -------------------------------------------------------------------

    def query(self, *args: Any, flush: bool = True, **kwargs: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        """As `JournalReader.query`, after committing what is queued (read-your-writes).

        Blocks for the flush: call it from a worker thread (a plain `def` FastAPI endpoint).
        """
        if flush:
            self.flush(timeout=5.0)
        return super().query(*args, **kwargs)

    def last_rejected(self, client_id: str) -> dict[str, Any] | None:
        self.flush(timeout=5.0)
        return super().last_rejected(client_id)

    def purge(self, client_id: str | None = None) -> int:
        """Delete every row (or one client's rows). Returns how many went."""
        self.flush(timeout=5.0)
        with contextlib.closing(self._side_connection()) as conn:
            if client_id is None:
                cur = conn.execute("DELETE FROM journal")
            else:
                cur = conn.execute("DELETE FROM journal WHERE client_id = ?", (client_id,))
            conn.commit()
            _release_free_pages(conn)
            return cur.rowcount

    def prune(self) -> int:
        """Enforce retention, row and size bounds now. Returns the number of rows deleted."""
        with contextlib.closing(self._side_connection()) as conn:
            return self._prune(conn)

    def _side_connection(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        return conn

    # -- writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        pending: list[CallRecord] = []
        markers: list[_Flush] = []
        stop = False
        while True:
            if not pending and not markers:
                item = self._queue.get()  # block until there is work
                if isinstance(item, CallRecord) and self.batch_delay > 0:
                    # Let the calls of the next few milliseconds join this one: one transaction
                    # (and one wake-up of this thread) per batch rather than per call. flush()
                    # and close() cut the wait short.
                    self._wake.wait(self.batch_delay)
                    self._wake.clear()
            else:
                try:
                    item = self._queue.get(timeout=0.2 if not self._healthy else 0.0)
                except queue.Empty:
                    item = None
            while item is not None:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Flush):
                    markers.append(item)
                elif type(item) is tuple and item[0] is _REVIVE:
                    if self._process is not None and not stop:
                        self._process.revive(item[1])
                else:
                    pending.append(item)
                if len(pending) >= self.batch_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if pending:
                try:
                    if self._process is not None:
                        self._process.deliver(pending)  # it keeps them until they are written
                    else:
                        self._write(pending)
                except Exception as exc:  # keep the entries, retry; tell the middleware
                    self._healthy = False
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.error("journal write failed, will retry: %s", self.last_error)
                    if stop:
                        # close() gives the leftovers a last try
                        for call in pending:
                            self._queue.put(call)
                        return
                    time.sleep(0.2)
                    continue
                pending = []
                self._healthy = True
            if time.monotonic() - self._last_prune >= self.prune_every:
                try:
                    self._prune(self._conn)
                except sqlite3.Error:
                    log.exception("journal: prune failed")
            if self._queue.empty() or stop:
                for marker in markers:
                    if self._process is not None:
                        self._process.settle(marker)  # done when the process has written
                    else:
                        marker.done.set()
                markers = []
            if stop and self._queue.empty():
                return

    def _write(self, calls: list[CallRecord]) -> None:
        if self._closed:  # after close(): a short-lived connection of our own
            with contextlib.closing(self._side_connection()) as conn:
                self._insert(conn, calls)
        else:
            self._insert(self._conn, calls)

    def _insert(self, conn: sqlite3.Connection, calls: list[CallRecord]) -> None:
        rows = [self._to_row(call) for call in calls]
        try:
            with conn:  # one transaction per batch
                conn.executemany(_INSERT_SQL, rows)
        except UnicodeEncodeError:
            # a lone surrogate somewhere (PITFALLS.md): the transaction was rolled back; the
            # batch again, every text made storable (checking each value up front costs more)
            rows = [tuple(_storable(v) for v in row) for row in rows]
            with conn:
                conn.executemany(_INSERT_SQL, rows)
        self.written += len(rows)

    def _to_row(self, call: CallRecord) -> tuple[Any, ...]:
        m = self.masker

        def t(value: str | None, cap: int = 200) -> str | None:
            """Our own identifiers and codes: secrets scrubbed, nothing else touched."""
            if value is None:
                return None
            if type(value) is not str:
                value = str(value)
            if "eyJ" in value:
                value = m.secrets(value)
            return value if len(value) <= cap else _cap(value, cap)

        details = {k: v for k, v in call.details.items() if v is not None}
        if call.content_type:
            details["content_type"] = call.content_type[:100]
        masked_details = m.value(None, details) if details else None
        return (
            format_ts(call.ts),
            t(call.client_id),
            call.client_id_source,
            call.thumbprint,
            t(call.peer_ip, 64),
            call.method[:16],
            _cap(m.text(call.path), 300),  # a client may put anything in a path
            t(call.search_type, 64),
            t(call.motif, 32),
            t(call.correlation_id, 128),
            t(call.request_id, 128),
            t(call.reference_demande, 64),
            int(call.status),
            t(call.error_code, 32),
            t(call.info_code, 32),
            round(float(call.latency_ms), 3),
            call.auth_scheme,
            call.justification,
            m.body(call.request_body, call.content_type, self.body_max_chars),
            # read back as JSON (`_row_to_dict`): a float's spelling does not matter here
            dump_compact(masked_details) if masked_details else None,
        )

    def _prune(self, conn: sqlite3.Connection) -> int:
        self._last_prune = time.monotonic()
        deleted = 0
        with conn:
            if self.retention_days and self.retention_days > 0:
                horizon = self.clock.now() - timedelta(days=self.retention_days)
                deleted += conn.execute(
                    "DELETE FROM journal WHERE ts < ?", (format_ts(horizon),)
                ).rowcount
            if self.max_rows and self.max_rows > 0:
                deleted += conn.execute(
                    "DELETE FROM journal WHERE id <= "
                    "(SELECT id FROM journal ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (self.max_rows,),
                ).rowcount
        if self.max_bytes and self.max_bytes > 0:
            deleted += self._shrink(conn)
        if deleted or conn.execute("PRAGMA freelist_count").fetchone()[0]:
            _release_free_pages(conn)
        return deleted

    def _used_bytes(self, conn: sqlite3.Connection) -> int:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * page_size)

    def _shrink(self, conn: sqlite3.Connection) -> int:
        deleted = 0
        for _ in range(50):
            used = self._used_bytes(conn)
            if used <= self.max_bytes:
                break
            rows = conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
            if rows == 0:
                break
            # Aim at 90% of the bound, from the average row size; at least 1% of the rows.
            per_row = used / rows
            target = max(int((used - 0.9 * self.max_bytes) / per_row) + 1, rows // 100, 1)
            with conn:
                deleted += conn.execute(
                    "DELETE FROM journal WHERE id IN "
                    "(SELECT id FROM journal ORDER BY id ASC LIMIT ?)",
                    (target,),
                ).rowcount
        return deleted


# --------------------------------------------------------------------------------------------
# The writer process (writer="process")
# --------------------------------------------------------------------------------------------
#
# Why a process: the writer thread shares the server's GIL. Measured on the benchmark (bench/,
# docs/shipping.md), its Python work (masking, building rows) cost the event loop several times
# what it costs alone: the two threads hand the GIL back and forth and pull the same objects
# between CPU caches. A child process masks and inserts on its own interpreter; the server only
# pickles each batch (C code, in the journal-writer thread) and writes it to a pipe.
#
# Protocol, length-prefixed pickles over the child's stdin/stdout (our own two processes):
#   server -> child: ("open", path, options) once, then ("rows", seq, [CallRecord fields...]),
#                    ("flush", token), ("stop",)
#   child -> server: ("ack", seq) once a batch is committed, ("status", False, error) while a
#                    write fails (the child retries it), ("flushed", token) in order.
# Nothing is dropped: a batch stays in the server until it is acknowledged; if the child dies
# it is started again and the unacknowledged batches are sent again (a batch committed just
# before a crash may then appear twice: a duplicate, never a loss). If it cannot be kept
# running, the server writes itself (the thread writer) and says so in the log.

WRITERS = ("thread", "process")
_FIELDS = tuple(f.name for f in dataclasses.fields(CallRecord))
_FRAME = struct.Struct(">I")
_CHILD_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from ficoba_sandbox.journal import _child_main; _child_main()"
)
_MAX_RESTARTS = 3  # child starts in a row without a single acknowledged batch


def _write_frame(stream: Any, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: Any) -> Any:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _child_main() -> None:
    """The writer process: batches in on stdin, acknowledgements out on stdout."""
    # The server drives the shutdown (Journal.close sends "stop"); a Ctrl-C reaching the whole
    # process group must not kill the child before the server has handed over its last batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    logging.basicConfig(level=logging.WARNING)
    _, path, options = _read_frame(inp)
    journal = Journal(Path(path), writer="child", **options)
    try:
        while True:
            try:
                message = _read_frame(inp)
            except EOFError:  # the server is gone
                return
            if message[0] == "rows":
                calls = [CallRecord(*fields) for fields in message[2]]
                while True:
                    try:
                        journal._insert(journal._conn, calls)
                        break
                    except Exception as exc:  # a failing disk: say so, keep the batch, retry
                        _write_frame(out, ("status", False, f"{type(exc).__name__}: {exc}"))
                        time.sleep(0.2)
                _write_frame(out, ("ack", message[1]))
            elif message[0] == "flush":
                _write_frame(out, ("flushed", message[1]))
            elif message[0] == "stop":
                return
    finally:
        with contextlib.suppress(sqlite3.Error):
            journal._conn.close()


class _WriterProcess:
    """The child process, seen from the server's journal-writer thread (which alone calls
    `deliver`, `settle` and `stop`); a reader thread takes the child's replies."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.options = {
            "masker": journal.masker,
            "body_max_chars": journal.body_max_chars,
            "busy_timeout": journal.busy_timeout,
        }
        self.lock = threading.Lock()  # unacked, flushes: the reader thread settles them
        self.unacked: dict[int, list[CallRecord]] = {}  # in the order they were sent
        self.flushes: dict[int, _Flush] = {}
        self.seq = 0
        self.restarts = 0  # in a row, without an acknowledgement
        self.fallback = False  # the child could not be kept running: the thread writes
        self.healthy = True
        self.stopping = False  # set by stop(): a child ending then is not revived
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: threading.Thread | None = None
        try:
            self._start()
        except (OSError, ValueError) as exc:  # no interpreter to start (embedded Python...)
            log.error("journal: no writer process (%s); writing from the server itself", exc)
            self.fallback = True

    # -- the child

    def _start(self) -> subprocess.Popen[bytes]:
        package_root = str(Path(__file__).resolve().parent.parent)
        proc = self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD_CODE, package_root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        _write_frame(proc.stdin, ("open", str(self.journal.path), self.options))
        self.reader = threading.Thread(
            target=self._replies, args=(proc,), name="journal-replies", daemon=True
        )
        self.reader.start()
        return proc

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _replies(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            while True:
                message = _read_frame(proc.stdout)
                if message[0] == "ack":
                    with self.lock:
                        calls = self.unacked.pop(message[1], None)
                    self.journal.written += len(calls or ())
                    self.healthy = True
                    self.restarts = 0
                elif message[0] == "status":
                    self.healthy = bool(message[1])
                    self.journal.last_error = message[2]
                    log.error(
                        "journal write failed in the writer process, will retry: %s", message[2]
                    )
                elif message[0] == "flushed":
                    with self.lock:
                        marker = self.flushes.pop(message[1], None)
                    if marker is not None:
                        marker.done.set()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass
        # The child is gone. The next delivery would start another, but a batch or a flush
        # it had not answered may be waiting with nothing else coming: the writer thread
        # decides (it alone talks to the child).
        if not self.stopping:
            self.journal._queue.put((_REVIVE, proc))

    def revive(self, proc: subprocess.Popen[bytes]) -> None:
        """Start another child if `proc`, whose replies ended, is still the current one and left
        batches or flushes unanswered. (Its output closing means it is exiting, even if it has
        not been reaped yet: `_restart` kills and waits for it.)"""
        with self.lock:
            outstanding = bool(self.unacked or self.flushes)
        if outstanding and not self.fallback and proc is self.proc:
            self._restart()

    def _restart(self) -> None:
        """Start a new child and send it everything not yet acknowledged, in order."""
        self._kill()
        self.restarts += 1
        if self.restarts > _MAX_RESTARTS:
            self._fall_back()
            return
        try:
            proc = self._start()
            with self.lock:
                batches = list(self.unacked.items())
                flushes = list(self.flushes)
            for seq, calls in batches:
                _write_frame(proc.stdin, ("rows", seq, [_fields(c) for c in calls]))
            for token in flushes:  # after every batch: conservative, and still in order
                _write_frame(proc.stdin, ("flush", token))
        except (OSError, ValueError) as exc:
            log.error("journal: the writer process could not be started: %s", exc)
            self._restart()

    def _fall_back(self) -> None:
        """Write in this process from now on (the thread writer), starting with what the
        children did not acknowledge."""
        log.error("journal: the writer process keeps failing; writing from the server itself")
        self.fallback = True
        self._drain()

    def _drain(self) -> None:
        """Write the unacknowledged batches here, oldest first; one that fails stays (the
        journal-writer thread retries), and so do the flushes waiting behind it."""
        while True:
            with self.lock:
                if not self.unacked:
                    markers = list(self.flushes.values())
                    self.flushes.clear()
                    break
                seq, calls = next(iter(self.unacked.items()))
            self.journal._write(calls)
            with self.lock:
                self.unacked.pop(seq, None)
        for marker in markers:
            marker.done.set()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if stream is not None:
                        stream.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        if not self._alive():
            self._restart()  # it sends what is outstanding, this message's content included
            return
        try:
            _write_frame(self.proc.stdin, message)  # type: ignore[union-attr]
        except (OSError, ValueError):
            self._restart()

    # -- the journal-writer thread's side

    def deliver(self, calls: list[CallRecord]) -> None:
        if self.fallback:
            self._drain()
            self.journal._write(calls)
            self.healthy = True
            return
        self.seq += 1
        with self.lock:
            self.unacked[self.seq] = list(calls)
        self._send(("rows", self.seq, [_fields(c) for c in calls]))

    def settle(self, marker: _Flush) -> None:
        if self.fallback:
            marker.done.set()
            return
        self.seq += 1
        with self.lock:
            self.flushes[self.seq] = marker
        self._send(("flush", self.seq))

    def stop(self, timeout: float) -> list[CallRecord]:
        """Ask the child to finish, wait for it; what it did not acknowledge is returned (the
        journal writes it itself)."""
        self.stopping = True
        if self._alive():
            with contextlib.suppress(OSError, ValueError):
                _write_frame(self.proc.stdin, ("stop",))  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                log.error("journal: the writer process did not stop in %ss", timeout)
        if self.reader is not None:
            self.reader.join(timeout)
        self._kill()
        with self.lock:
            leftovers = [c for calls in self.unacked.values() for c in calls]
            self.unacked.clear()
            markers = list(self.flushes.values())
            self.flushes.clear()
        for marker in markers:
            marker.done.set()
        return leftovers


#: a CallRecord's fields as a tuple, in one C call (the journal-writer thread converts whole
#: batches: it holds the GIL meanwhile)
_fields: Callable[[CallRecord], tuple[Any, ...]] = operator.attrgetter(*_FIELDS)


# --------------------------------------------------------------------------------------------
# Export formats (CLI and admin plane)
# --------------------------------------------------------------------------------------------


def to_jsonl(row: Mapping[str, Any]) -> str:
    return json.dumps(dict(row), ensure_ascii=False, separators=(",", ":"))


def csv_header() -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(COLUMNS)
    return buf.getvalue()


def to_csv(row: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    values = []
    for col in COLUMNS:
        v = row.get(col)
        if isinstance(v, dict | list):
            v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        values.append("" if v is None else v)
    csv.writer(buf).writerow(values)
    return buf.getvalue()
