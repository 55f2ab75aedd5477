"""The dataset the data tests share: seed 42, size 4 000 (about 0.3 s to build), with the shipped
personas; built once per session."""

from __future__ import annotations

import pytest

from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store


@pytest.fixture(scope="session")
def store() -> Store:
    personas = default_personas_dir()
    assert personas is not None
    return build_store(42, 4_000, [personas])
