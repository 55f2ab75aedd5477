"""The journal's SQLite file: its schema, its rows (masked on the way in), its bounds.

`<state_dir>/journal.sqlite3`, in WAL mode so that `journal tail|export` and the admin plane can
read it while the server writes. `Database` is what a writer (the server's journal-writer thread,
or the writer process) holds: one connection, batches of calls inserted in one transaction each,
and the bounds enforced after commits:
- retention: rows whose `ts` is older than `retention_days` (by the injected clock) go;
- rows: at most `max_rows`, the oldest go first;
- size: the live data (pages in use) stays under `max_bytes`; the oldest rows go first and freed
  pages are returned to the file system (incremental auto-vacuum). The WAL file is truncated at
  each checkpoint.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.private import create_private
from ficoba_sandbox.journal.masking import Masker, cap, dump_compact
from ficoba_sandbox.journal.record import AdminEvent, CallRecord, format_ts

JOURNAL_FILE = "journal.sqlite3"
#: 2: `granted_scopes`, `required_modality`; 3: `required_operation_scope` (added to an older
#: file when the server opens it)
SCHEMA_VERSION = 3

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
    "granted_scopes",
    "required_modality",
    "required_operation_scope",
)
#: the columns added since version 1, at the end of the table as `ALTER TABLE` puts them, so
#: that a migrated file and a new one have the same layout
ADDED_COLUMNS: tuple[str, ...] = ("granted_scopes", "required_modality", "required_operation_scope")

#: admin events (record.AdminEvent): their own table, so that neither a purge nor the bounds of
#: the calls' rows take them away (docs/security.md, "The admin plane")
EVENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    peer_ip TEXT,
    credential TEXT NOT NULL,
    details TEXT
);
"""
EVENT_COLUMNS: tuple[str, ...] = ("id", "ts", "action", "peer_ip", "credential", "details")
EVENT_INSERT_SQL = (
    "INSERT INTO admin_event (ts, action, peer_ip, credential, details) VALUES (?, ?, ?, ?, ?)"
)

_SCHEMA = (
    """
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
    details TEXT,
    granted_scopes TEXT,
    required_modality TEXT,
    required_operation_scope TEXT
);
CREATE INDEX IF NOT EXISTS ix_journal_client ON journal (client_id, id);
CREATE INDEX IF NOT EXISTS ix_journal_ts ON journal (ts);
"""
    + EVENT_SCHEMA
)

INSERT_SQL = (
    f"INSERT INTO journal ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' for _ in COLUMNS[1:])})"
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a journal made by an earlier version to this schema: the columns it lacks (NULL in
    its old rows), and the version in `meta`. Idempotent; the server's writer runs it when it
    opens the file."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(journal)")}
    with conn:
        for name in ADDED_COLUMNS:
            if name not in present:
                conn.execute(f"ALTER TABLE journal ADD COLUMN {name} TEXT")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )


def select_list(conn: sqlite3.Connection) -> str:
    """`COLUMNS` for a SELECT on this file: a file no server of this version opened yet (read by
    `journal tail` or `export`) lacks the newer columns, read as NULL."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(journal)")}
    return ", ".join(c if c in present else f"NULL AS {c}" for c in COLUMNS)


def release_free_pages(conn: sqlite3.Connection) -> None:
    """Give freed pages back to the file system, then truncate the WAL.

    `executescript`, not `execute`: the sqlite3 module steps a statement once, and
    `incremental_vacuum` frees one page per step.
    """
    conn.executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")


def event_row(event: AdminEvent) -> tuple[Any, ...]:
    """The stored row of an admin event (its details are our own values: nothing to mask)."""
    return (
        format_ts(event.ts),
        event.action,
        event.peer_ip,
        event.credential,
        dump_compact(event.details) if event.details else None,
    )


def make_schema(conn: sqlite3.Connection, fresh: bool) -> None:
    """The journal's tables, in WAL mode; `fresh`: the file was just made."""
    if fresh:
        # Must precede the first table: lets the file shrink when old rows are deleted.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(_SCHEMA)
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    conn.commit()
    migrate(conn)


def append_event(path: Path, event: AdminEvent) -> None:
    """Store one admin event in the journal file `path`, made as the server makes it when missing
    (the command line records events with no server running). It waits for the server's writes
    (busy timeout) and does not block its readers (WAL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        make_schema(conn, fresh)
        with conn:
            conn.execute(EVENT_INSERT_SQL, event_row(event))


def storable(value: Any) -> Any:
    """Text SQLite can bind: a client may send lone surrogates (`"\\ud800"`), which decode as
    JSON but cannot be encoded as UTF-8 (docs/pitfalls.md); they are kept visible as `\\ud800`.
    Without this one bad request would fail every later batch and close the journal."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


@dataclass(eq=False)
class Database:
    """A journal file and how rows go into it (masked) and out of it (bounds)."""

    path: Path
    clock: Clock
    masker: Masker
    max_rows: int = 200_000
    max_bytes: int = 256 * 1024 * 1024
    retention_days: float = 30
    body_max_chars: int = 8192
    busy_timeout: float = 30.0  # how long a write waits for another one's lock

    def open_writer(self, *, child: bool = False) -> sqlite3.Connection:
        """The writer's connection; the server's also makes the file (schema, WAL mode)."""
        fresh = not self.path.exists()
        if fresh and not child:
            create_private(self.path)  # 0600, and so its -wal and -shm (domain/private.py)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if child:
            # The server made the file (schema, WAL mode) before starting this process: only
            # this connection's own settings, nothing that needs the write lock (a busy
            # journal must not stop the child from starting; its inserts wait and retry).
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA journal_size_limit = 4194304")
            return conn
        make_schema(conn, fresh)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA journal_size_limit = 4194304")
        return conn

    def side_connection(self) -> sqlite3.Connection:
        """A short-lived connection (admin operations, late writes after close)."""
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        return conn

    def insert(self, conn: sqlite3.Connection, calls: list[CallRecord]) -> int:
        """Mask and insert `calls` in one transaction; returns how many."""
        rows = [self.row_of(call) for call in calls]
        try:
            with conn:  # one transaction per batch
                conn.executemany(INSERT_SQL, rows)
        except UnicodeEncodeError:
            # a lone surrogate somewhere (docs/pitfalls.md): the transaction was rolled back;
            # the batch again, every text made storable (checking each value up front costs more)
            rows = [tuple(storable(v) for v in row) for row in rows]
            with conn:
                conn.executemany(INSERT_SQL, rows)
        return len(rows)

    def row_of(self, call: CallRecord) -> tuple[Any, ...]:
        """The stored row of a call: masked, capped."""
        m = self.masker

        def t(value: str | None, limit: int = 200) -> str | None:
            """Our own identifiers and codes: secrets scrubbed, nothing else touched."""
            if value is None:
                return None
            if type(value) is not str:
                value = str(value)
            if "eyJ" in value:
                value = m.secrets(value)
            return value if len(value) <= limit else cap(value, limit)

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
            cap(m.text(call.path), 300),  # a client may put anything in a path
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
            # read back as JSON (`reader.row_to_dict`): a float's spelling does not matter here
            dump_compact(masked_details) if masked_details else None,
            t(call.granted_scopes, 1000),
            t(call.required_modality, 64),
            t(call.required_operation_scope, 64),
        )

    def purge(self, client_id: str | None = None, event: AdminEvent | None = None) -> int:
        """Delete every row (or one client's rows); `event`, its record, goes in with the
        deletion, in the same transaction (one without the other never lands). Returns how many
        rows went."""
        with contextlib.closing(self.side_connection()) as conn:
            if client_id is None:
                cur = conn.execute("DELETE FROM journal")
            else:
                cur = conn.execute("DELETE FROM journal WHERE client_id = ?", (client_id,))
            if event is not None:
                event.details["purged"] = cur.rowcount
                conn.execute(EVENT_INSERT_SQL, event_row(event))
            conn.commit()
            release_free_pages(conn)
            return cur.rowcount

    def record_event(self, event: AdminEvent) -> None:
        """Store one admin event now."""
        append_event(self.path, event)

    def prune(self, conn: sqlite3.Connection) -> int:
        """Enforce the bounds now. Returns the number of rows deleted."""
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
            release_free_pages(conn)
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
