"""Admin plane test fixtures.

- `admin`: an `httpx.Client` on the live admin plane of `qa_server` (tests/conftest.py); after
  the test, `POST reset` puts the sandbox back (faults off, schedule back, clock back, the demo
  client's quota reset).
- `api`: an `httpx.Client` on the live API of `qa_server`: the demo client's certificate, a
  token, one correlation id.
- `closed_entry`: the catalogue's `closed-account` entry (`path`, `body`), a call the API
  answers 200 for the demo client.
- `admin_of(app)`: an `httpx.Client` over ASGI (loopback peer), sending the token, on the admin
  plane of another app's sandbox, e.g. one of `open_app`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway_support import QAServer


@pytest.fixture
def admin(qa_server: QAServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=qa_server.admin_url, headers=qa_server.admin_headers) as c:
        yield c
        c.post("/__sandbox/reset", params={"client_id": qa_server.demo["client_id"]})


@pytest.fixture
def api(qa_server: QAServer) -> Iterator[httpx.Client]:
    t = qa_server.target()
    with httpx.Client(verify=t.ssl_context(), timeout=30) as http:
        r = http.post(t.token_url, data={"grant_type": "client_credentials"},
                      auth=(t.client_id, t.client_secret))  # fmt: skip
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        http.headers["X-Correlation-ID"] = str(uuid.uuid4())
        yield http


@pytest.fixture
def closed_entry(admin: httpx.Client) -> dict[str, Any]:
    entry: dict[str, Any] = admin.get("/__sandbox/magic/closed-account").json()
    return entry
