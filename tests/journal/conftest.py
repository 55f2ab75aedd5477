"""Fixtures of the journal tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ficoba_sandbox.journal import Journal, Masker


@pytest.fixture(params=["thread", "process"])
def journal(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Journal]:
    """Each journal test runs with both writers (journal.WRITERS)."""
    j = Journal.in_dir(tmp_path, masker=Masker(), writer=request.param)
    yield j
    j.close()
