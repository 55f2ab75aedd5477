"""A JSON document read from bytes exactly as Python's json reads it, fast.

The API reads request bodies with it and the journal reads them again to mask them: both must
see the document json would give (the echo of `criteresRecherche` is byte for byte what was
sent, CONTRACT §2.2), and both are on the path of every call.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _holds_float(document: Any) -> bool:
    stack = [document]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is float:
            return True
    return False


def read_json(raw: bytes) -> tuple[Any, bool]:
    """The document, and whether it held a float (a number with a fraction or an exponent: its
    spelling is then Python's to give back, not orjson's). `NaN`, `Infinity` are refused
    (ValueError), as are bytes that are not JSON (ValueError, RecursionError, UnicodeDecodeError).

    Python's json decides, with a hook that notices floats. orjson, several times faster, reads
    first: a document it accepts and that holds no float is the one json would give (orjson reads
    an integer beyond 64 bits as a float, so that case goes to json too); what it refuses (a lone
    surrogate, a BOM, NaN...) goes to json, which decides as it always has."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _holds_float(document):
            return document, False
    floats = False

    def read_float(text: str) -> float:
        nonlocal floats
        floats = True
        return float(text)

    return json.loads(raw, parse_constant=_refuse_constant, parse_float=read_float), floats
