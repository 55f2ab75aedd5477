"""The audit journal: one row per HTTP call, masked, bounded, durable (docs/journal.md).

- `record`: a call as recorded (`CallRecord`), an admin event (`AdminEvent`), the time format;
- `masking`: what is masked, redacted, kept (`Masker`);
- `database`: the SQLite file, its rows, its bounds;
- `writer`: `Journal`, queued writes off the event loop (a thread, or `process`: a child);
- `reader`: queries (`JournalReader`); `export`: JSON lines and CSV.

It imports only the standard library, orjson and `domain` (docs/architecture.md).
"""

from ficoba_sandbox.journal.database import COLUMNS, JOURNAL_FILE, append_event
from ficoba_sandbox.journal.export import csv_header, to_csv, to_jsonl
from ficoba_sandbox.journal.masking import Masker
from ficoba_sandbox.journal.reader import JournalReader
from ficoba_sandbox.journal.record import AdminEvent, CallRecord, format_ts, parse_since
from ficoba_sandbox.journal.writer import Journal

__all__ = [
    "COLUMNS",
    "JOURNAL_FILE",
    "AdminEvent",
    "CallRecord",
    "Journal",
    "JournalReader",
    "Masker",
    "append_event",
    "csv_header",
    "format_ts",
    "parse_since",
    "to_csv",
    "to_jsonl",
]
