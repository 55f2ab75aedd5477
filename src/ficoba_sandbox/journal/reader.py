"""Reading the journal: queries by client, time and status (the CLI and the admin plane read
while the server writes: SQLite's WAL mode lets them)."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ficoba_sandbox.journal.database import EVENT_COLUMNS, JOURNAL_FILE, select_list
from ficoba_sandbox.journal.record import format_ts, parse_since


def row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    out = {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping
    if out.get("details"):
        with contextlib.suppress(ValueError):
            out["details"] = json.loads(out["details"])
    return out


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
        conn: sqlite3.Connection,
        *,
        client_id: str | None = None,
        since: str | datetime | None = None,
        status: int | str | None = None,
        after_id: int | None = None,
        newest_first: bool = True,
        limit: int | None = 100,
        until: str | datetime | None = None,
        code: str | None = None,
        search_type: str | None = None,
        correlation_id: str | None = None,
        row_id: int | None = None,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        # columns compared for equality: bound parameters, never text put in the SQL
        for column, value in (
            ("search_type", search_type),
            ("correlation_id", correlation_id),
            ("id", row_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if code is not None:
            where.append("(error_code = ? OR info_code = ?)")
            params += [code, code]
        if until is not None:
            where.append("ts <= ?")
            params.append(format_ts(parse_since(until)))
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
        sql = f"SELECT {select_list(conn)} FROM journal"
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
        until: str | datetime | None = None,
        code: str | None = None,
        search_type: str | None = None,
        correlation_id: str | None = None,
        row_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts, newest first by default. `status`: 429, "4xx", "error";
        `code`: the row's `erreur.code` or `messageInformatif.code`; `until` as `since`."""
        with contextlib.closing(self._connect()) as conn:
            sql, params = self._select(
                conn,
                client_id=client_id,
                since=since,
                status=status,
                after_id=after_id,
                newest_first=newest_first,
                limit=limit,
                until=until,
                code=code,
                search_type=search_type,
                correlation_id=correlation_id,
                row_id=row_id,
            )
            return [row_to_dict(r) for r in conn.execute(sql, params)]

    def iter_rows(
        self,
        client_id: str | None = None,
        since: str | datetime | None = None,
        status: int | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, oldest first, streamed (for export)."""
        with contextlib.closing(self._connect()) as conn:
            sql, params = self._select(
                conn,
                client_id=client_id,
                since=since,
                status=status,
                newest_first=False,
                limit=None,
            )
            for row in conn.execute(sql, params):
                yield row_to_dict(row)

    def last_at_path(self, client_id: str, method: str, path: str) -> str | None:
        """`ts` of the client's newest row with this method and path, or None."""
        sql = (
            "SELECT ts FROM journal WHERE client_id = ? AND method = ? AND path = ? "
            "ORDER BY id DESC LIMIT 1"
        )
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute(sql, [client_id, method, path]).fetchone()
        return str(row[0]) if row else None

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

    def events(
        self, since: str | datetime | None = None, limit: int | None = 100
    ) -> list[dict[str, Any]]:
        """Admin events (journal purges, the clock moved back, resets, revocations), newest
        first; none in a journal made before they were recorded."""
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM admin_event"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE ts >= ?"
            params.append(format_ts(parse_since(since)))
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with contextlib.closing(self._connect()) as conn:
            try:
                return [row_to_dict(r) for r in conn.execute(sql, params)]
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                raise
