"""Fixtures for the service-levels tests: a real redis-server, and a stand-in app.

The stand-in app (`quota_stub_app.py`) has the shape of the real one as far as this middleware
cares: an outer "gateway" that authenticates (here: `Authorization: Bearer <client_id>`, test
only) and sets `request.state.caller`, the service-levels middleware inside it, and resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from quota_helpers import redis_server

from ficoba_sandbox.domain.clock import SystemClock


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def fresh_redis_url(redis_url: str) -> str:
    """The session Redis, emptied."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_url


@pytest.fixture
def clock() -> SystemClock:
    c = SystemClock()
    c.freeze(datetime(2026, 3, 10, 10, 0, 0, tzinfo=UTC))
    return c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
