from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from ficoba_sandbox.app import create_app
from ficoba_sandbox.data.store import Store, build_store, default_personas_dir
from ficoba_sandbox.settings import Settings

from .helpers import FakeGateway, FixedClock

with warnings.catch_warnings():  # starlette 1.10 deprecates httpx in its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def store() -> Store:
    personas = default_personas_dir()
    assert personas is not None
    return build_store(42, 300, [personas])


@pytest.fixture(scope="session")
def backend_app(store: Store, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(state_dir=tmp_path_factory.mktemp("api"), size=300, max_body_bytes=16_384)
    return create_app(settings, clock=FixedClock(), store=store)


@pytest.fixture(scope="session")
def api(backend_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(FakeGateway(backend_app), raise_server_exceptions=False) as c:
        yield c
