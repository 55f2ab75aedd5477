"""Durations as the sandbox's users write them: `200ms`, `1.5s`, `90s`, `15m`, `2h`, `7d`.

One grammar for every option and route that takes one (`--latency`, `--request-timeout`, the
admin plane's clock, `journal --since`, scenario packs): a number, then its unit, always.
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds. Raises ValueError on anything but a non-negative number with its unit."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(
            f"duration {text!r}: expected a number with a unit (ms, s, m, h, d), e.g. 200ms or 15m"
        )
    return float(m[1]) * _SECONDS[m[2]]
