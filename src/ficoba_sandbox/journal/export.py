"""Journal rows as JSON lines and CSV (`journal export`, the admin plane)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from ficoba_sandbox.journal.database import COLUMNS


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
