"""Fixtures of the journal tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ficoba_sandbox.journal import Journal, Masker


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.in_dir(tmp_path, masker=Masker())
    yield j
    j.close()
