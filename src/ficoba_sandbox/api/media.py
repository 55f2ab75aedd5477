"""Media types of the API: JSON in, JSON out (protocol v11 §1.4-1.5)."""

from __future__ import annotations

#: `application/json`, and the vendor type of the protocol (§1.5)
MEDIA_JSON = ("application/json", "application/vnd.dgfip.ficoba3.v1.1+json")


def _media(value: str) -> tuple[str, float]:
    """A media range and its `q` weight (RFC 9110 §12.5.1)."""
    parts = [p.strip() for p in value.split(";")]
    q = 1.0
    for p in parts[1:]:
        if p.lower().startswith("q="):
            try:
                q = float(p[2:])
            except ValueError:
                q = 0.0
    return parts[0].lower(), q


def accepts_json(accept: str | None) -> bool:
    """`Accept` absent, or listing JSON (application/json, the vendor type, any +json,
    application/*, */*) with q > 0."""
    if not accept or not accept.strip():
        return True
    for item in accept.split(","):
        media, q = _media(item)
        if q <= 0:
            continue
        if media in (*MEDIA_JSON, "application/*", "*/*") or media.endswith("+json"):
            return True
    return False


def is_json_content(content_type: str | None) -> bool:
    """`Content-Type` application/json or the vendor type; absent is tolerated (read as JSON)."""
    if content_type is None or not content_type.strip():
        return True
    return _media(content_type)[0] in MEDIA_JSON
