"""The few request or response headers a layer reads, from the raw ASGI list, in one pass.

Each layer (gateway, journal, resources) reads two to five headers on every call; decoding the
whole list into a dict each time was measurable work (docs/shipping.md, fifth pass). Only the
names asked for are decoded. ASGI servers send names lower-cased; others may not, so a name not
found as sent is looked up lower-cased too.
"""

from __future__ import annotations

from collections.abc import Iterable


def _name(k: bytes, names: frozenset[bytes]) -> bytes | None:
    if k in names:
        return k
    k = k.lower()
    return k if k in names else None


def pick(
    raw: Iterable[tuple[bytes, bytes]] | None, names: frozenset[bytes], *, first: bool = True
) -> dict[str, str]:
    """`names` among the raw headers, decoded (latin-1); the first occurrence of each wins (the
    last with `first=False`)."""
    out: dict[str, str] = {}
    for k, v in raw or ():
        found = _name(k, names)
        if found is None:
            continue
        name = found.decode("latin-1")
        if not first or name not in out:
            out[name] = v.decode("latin-1")
    return out


def pick_all(
    raw: Iterable[tuple[bytes, bytes]] | None, names: frozenset[bytes]
) -> dict[str, list[str]]:
    """`names` among the raw headers, decoded, every occurrence kept in order (a check that
    refuses a repeated header must see it)."""
    out: dict[str, list[str]] = {}
    for k, v in raw or ():
        found = _name(k, names)
        if found is not None:
            out.setdefault(found.decode("latin-1"), []).append(v.decode("latin-1"))
    return out
