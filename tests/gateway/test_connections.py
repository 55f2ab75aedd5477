"""gateway/connections.py: slow and idle clients bounded on a real mutual-TLS listener, with real
sockets. Bounds are short here (1-1.5 s) so that the tests are quick; each connection the
server should close is given its bound plus a margin, and an old server kept them all open."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.gateway import connections
from ficoba_sandbox.gateway.pki import client_ssl_context
from ficoba_sandbox.settings import Settings
from gateway_support import fetch_token, free_port, run_api_server

pytestmark = pytest.mark.tls

HEADER, BODY, KEEP_ALIVE, HANDSHAKE, CAP = 1.0, 1.5, 1, 1.0, 3
#: how late a close may come after its bound (a loaded machine)
MARGIN = 1.5
GW = "/ficoba-api/v2"


@dataclass
class Listener:
    port: int
    ctx: ssl.SSLContext
    demo: dict[str, Any]

    def connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return self.ctx.wrap_socket(raw, server_hostname="localhost")

    def http(self, token: str | None = None) -> httpx.Client:
        """A client with the demo client's token (`token`, else a new one)."""
        if token is None:
            with self.http("") as http:
                token = fetch_token(http, self.demo)
        return httpx.Client(
            base_url=f"https://localhost:{self.port}",
            verify=self.ctx,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    def token(self) -> str:
        with self.http("") as http:
            return fetch_token(http, self.demo)


@pytest.fixture(scope="module")
def listener(sandbox_dir: Path, demo_creds: dict[str, Any]) -> Iterator[Listener]:
    settings = Settings(
        state_dir=sandbox_dir,
        size=500,
        host="127.0.0.1",
        port=free_port(),
        header_timeout=HEADER,
        body_timeout=BODY,
        keep_alive_timeout=KEEP_ALIVE,
        tls_handshake_timeout=HANDSHAKE,
        max_connections=CAP,
    )
    with run_api_server(settings, create_app(settings)) as paths:
        ctx = client_ssl_context(paths.ca_cert, Path(demo_creds["cert"]), Path(demo_creds["key"]))
        yield Listener(settings.port, ctx, demo_creds)


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (reading only), or None if still open."""
    start = time.monotonic()
    sock.settimeout(0.05)
    while time.monotonic() - start < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except (TimeoutError, ssl.SSLWantReadError):
            continue
        except OSError:
            return time.monotonic() - start
    return None


def _trickle(sock: ssl.SSLSocket, data: bytes, every: float, until: float) -> float | None:
    """Send `data` one byte every `every` seconds; seconds until the server closed, or None."""
    start = time.monotonic()
    for byte in data:
        try:
            sock.send(bytes([byte]))
        except OSError:
            return time.monotonic() - start
        closed = _closed_within(sock, every)
        if closed is not None:
            return time.monotonic() - start
        if time.monotonic() - start > until:
            return None
    return None


def _etat_sante(http: httpx.Client) -> int:
    return http.get(f"{GW}/etatSante", headers={"X-Correlation-ID": str(uuid.uuid4())}).status_code


def test_slowloris_headers_are_cut_while_others_are_answered(listener: Listener) -> None:
    head = f"GET {GW}/etatSante HTTP/1.1\r\nHost: localhost\r\n" + "X-Pad: a\r\n" * 50
    results: list[float | None] = []
    with listener.connect() as slow:
        trickler = threading.Thread(
            target=lambda: results.append(_trickle(slow, head.encode(), 0.1, HEADER + MARGIN))
        )
        trickler.start()
        with listener.http() as http:
            answered = 0
            while trickler.is_alive():
                assert _etat_sante(http) == 200
                answered += 1
                time.sleep(0.05)
        trickler.join()
    assert answered > 0
    assert results[0] is not None, "a slowloris connection was held past the header bound"
    assert HEADER - 0.2 <= results[0] <= HEADER + MARGIN


def test_a_connection_without_a_request_is_closed(listener: Listener) -> None:
    with listener.connect() as idle:
        closed = _closed_within(idle, HEADER + MARGIN)
    assert closed is not None and closed >= HEADER - 0.2


def test_a_connection_without_a_tls_handshake_is_closed(listener: Listener) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as raw:
        closed = _closed_within(raw, HANDSHAKE + MARGIN)
    assert closed is not None and closed >= HANDSHAKE - 0.2


def test_a_slow_body_is_cut(listener: Listener) -> None:
    body = json.dumps({"motif": "0001", "pad": "x" * 200}).encode()
    token = listener.token()
    head = (
        f"POST {GW}/comptes/numCpte HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"X-Correlation-ID: {uuid.uuid4()}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with listener.connect() as slow:
        slow.sendall(head)
        closed = _trickle(slow, body, 0.1, BODY + MARGIN)
    assert closed is not None, "a slow body was held past its bound"
    assert BODY - 0.2 <= closed <= BODY + MARGIN


def test_an_idle_keep_alive_connection_is_closed(listener: Listener) -> None:
    token = listener.token()
    with listener.connect() as sock:
        sock.sendall(
            f"GET {GW}/etatSante HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
            f"X-Correlation-ID: {uuid.uuid4()}\r\n\r\n".encode()
        )
        answer = b""
        while b"descriptif" not in answer:
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200 ")
        closed = _closed_within(sock, KEEP_ALIVE + MARGIN)
    assert closed is not None


def test_beyond_the_connection_cap_a_request_is_refused_in_the_api_format(
    listener: Listener,
) -> None:
    token = listener.token()
    time.sleep(0.2)  # its connection gone
    held = [listener.connect() for _ in range(CAP)]
    try:
        with listener.http(token) as http:  # one more: answered 503 CAT001, then closed
            r = http.get(f"{GW}/etatSante", headers={"X-Correlation-ID": str(uuid.uuid4())})
        assert r.status_code == 503, r.text
        assert r.json()["erreur"]["code"] == "CAT001"
        assert r.headers["connection"] == "close" and r.headers["retry-after"] == "1"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)  # the server sees them go
    with listener.http(token) as http:
        assert _etat_sante(http) == 200


def test_connections_closed_at_a_deadline_are_logged_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(connections.time, "monotonic", lambda: now[0])
    closed = connections.ClosedLog()
    with caplog.at_level(logging.WARNING, logger=connections.__name__):
        for _ in range(500):  # an attack: 500 connections cut within a second
            closed.note(connections.HEAD, HEADER)
        now[0] += connections.LOG_EVERY
        closed.note(connections.BODY, BODY)
    lines = [r.getMessage() for r in caplog.records if r.name == connections.__name__]
    assert len(lines) == 2
    assert lines[0].startswith("closed 1 slow connection(s)")
    assert lines[1].startswith("closed 500 slow connection(s) in the last 60 s")
    assert "request body not received within 1.5 s" in lines[1]
