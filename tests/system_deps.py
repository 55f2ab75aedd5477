"""Skipping for a missing system binary is fine on a developer's machine, never in CI: there
`.ci/install-system-deps` must have installed it, and a skip would hide a broken install step."""

from __future__ import annotations

import os

import pytest


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)
