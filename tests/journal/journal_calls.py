"""`call(i)`: a journal record of a search, for the journal's tests (import it as
`journal_calls`: tests/journal is on the path, a module named `conftest` is not importable)."""

from __future__ import annotations

from datetime import UTC, datetime

from ficoba_sandbox.journal import CallRecord


def call(i: int = 0, *, client: str = "c1", status: int = 200, ts: datetime | None = None,
         body: bytes | None = None) -> CallRecord:  # fmt: skip
    return CallRecord(
        ts=ts or datetime.now(UTC),
        method="POST",
        path="/ficoba-api/v2/comptes/spi",
        status=status,
        latency_ms=1.5,
        client_id=client,
        correlation_id=f"corr-{i}",
        request_body=body,
        content_type="application/json",
    )
