"""gateway/handshakes.py: refused TLS handshakes logged (one line each, reason and peer) and counted
by reason, on a real mutual-TLS listener (`api_server`, as `serve` runs it) with real handshakes."""

from __future__ import annotations

import logging
import socket
import ssl
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.gateway import handshakes
from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.settings import Settings
from gateway_support import free_port, run_api_server

pytestmark = pytest.mark.tls


@dataclass
class Listener:
    port: int
    dir: Path
    app: Any

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"

    def counts(self) -> dict[str, int]:
        return dict(self.app.sandbox.levels.handshakes.by_reason)

    def context(self, creds: dict[str, Any] | None) -> ssl.SSLContext:
        ca = self.dir / "pki" / "ca.pem"
        if creds is None:
            return ssl.create_default_context(cafile=str(ca))
        return client_ssl_context(ca, Path(creds["cert"]), Path(creds["key"]))


@pytest.fixture(scope="module")
def listener(sandbox_dir: Path) -> Iterator[Listener]:
    settings = Settings(state_dir=sandbox_dir, size=500, host="127.0.0.1", port=free_port())
    app = create_app(settings)
    with run_api_server(settings, app):
        yield Listener(settings.port, sandbox_dir, app)


def _refused_once(
    listener: Listener,
    caplog: pytest.LogCaptureFixture,
    attempt: Callable[[], None],
    reason: str,
    sentence: str,
) -> None:
    """`attempt` fails; the server logs exactly one line for it, and its reason counts one more."""
    before = listener.counts()
    with caplog.at_level(logging.WARNING, logger=handshakes.__name__):
        attempt()
        deadline = time.monotonic() + 5
        while sum(listener.counts().values()) == sum(before.values()):
            assert time.monotonic() < deadline, "the refused handshake was not counted"
            time.sleep(0.02)
        time.sleep(0.1)  # nothing more comes
    lines = [r.getMessage() for r in caplog.records if r.name == handshakes.__name__]
    assert len(lines) == 1, lines
    assert lines[0].startswith("TLS handshake refused from 127.0.0.1:"), lines[0]
    assert lines[0].endswith(": " + sentence), lines[0]
    after = listener.counts()
    assert after.get(reason, 0) == before.get(reason, 0) + 1
    assert sum(after.values()) == sum(before.values()) + 1


def _fails(origin: str, verify: ssl.SSLContext | bool = True) -> Callable[[], None]:
    def attempt() -> None:
        with httpx.Client(verify=verify) as http, pytest.raises(httpx.TransportError):
            http.post(origin + "/token", data={"grant_type": "client_credentials"})

    return attempt


def test_no_client_certificate(listener: Listener, caplog: pytest.LogCaptureFixture) -> None:
    _refused_once(
        listener,
        caplog,
        _fails(listener.origin, listener.context(None)),
        handshakes.NO_CERTIFICATE,
        "no client certificate",
    )


def test_certificate_from_another_ca(
    listener: Listener, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    other, _ = ensure_pki(tmp_path / "other")
    rogue = enrol(other, ClientSpec(client_id="rogue-client"), "https://x")
    _refused_once(
        listener,
        caplog,
        _fails(listener.origin, listener.context(rogue)),
        handshakes.UNKNOWN_CA,
        "certificate from an unknown CA",
    )


@pytest.mark.parametrize(
    ("shape", "reason", "sentence"),
    [
        ("expired", handshakes.CERTIFICATE_EXPIRED, "certificate expired"),
        ("not_yet_valid", handshakes.CERTIFICATE_NOT_YET_VALID, "certificate not yet valid"),
    ],
)
def test_expired_or_not_yet_valid_certificate(
    listener: Listener,
    caplog: pytest.LogCaptureFixture,
    enrol_client: Callable[..., Any],
    shape: str,
    reason: str,
    sentence: str,
) -> None:
    creds = enrol_client(f"hs-{shape}", **{shape: True})
    _refused_once(
        listener, caplog, _fails(listener.origin, listener.context(creds)), reason, sentence
    )


def test_plain_http_on_the_tls_port(listener: Listener, caplog: pytest.LogCaptureFixture) -> None:
    _refused_once(
        listener,
        caplog,
        _fails(f"http://127.0.0.1:{listener.port}"),
        handshakes.PLAIN_HTTP,
        "not TLS (plain HTTP on the TLS port)",
    )


def test_tls_1_1(
    listener: Listener, caplog: pytest.LogCaptureFixture, demo_creds: dict[str, Any]
) -> None:
    ctx = listener.context(demo_creds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the point: an old protocol
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # else OpenSSL 3 will not offer TLS 1.1 at all
    except (ValueError, ssl.SSLError):  # pragma: no cover - OpenSSL built without old protocols
        pytest.skip("this OpenSSL cannot offer TLS 1.1")

    def attempt() -> None:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as raw:
            try:
                ctx.wrap_socket(raw, server_hostname="localhost").close()
            except ssl.SSLError as exc:
                if "NO_PROTOCOLS_AVAILABLE" in str(exc.reason):  # pragma: no cover
                    pytest.skip("this OpenSSL cannot offer TLS 1.1")
            else:  # pragma: no cover - the point of the test
                pytest.fail("a TLS 1.1 handshake succeeded")

    _refused_once(
        listener,
        caplog,
        attempt,
        handshakes.PROTOCOL_VERSION,
        "wrong protocol version (TLS 1.2 or 1.3 required)",
    )


def test_client_refusing_the_server_certificate(
    listener: Listener, caplog: pytest.LogCaptureFixture, demo_creds: dict[str, Any]
) -> None:
    # the client presents its certificate but trusts only the system CAs, not the sandbox CA
    ctx = ssl.create_default_context()
    ctx.load_cert_chain(demo_creds["cert"], demo_creds["key"])
    _refused_once(
        listener,
        caplog,
        _fails(listener.origin, ctx),
        handshakes.SERVER_CERTIFICATE_REFUSED,
        handshakes.SENTENCES[handshakes.SERVER_CERTIFICATE_REFUSED],
    )


def test_counts_on_the_admin_plane(
    listener: Listener, admin_of: Callable[[Any], httpx.Client]
) -> None:
    before = listener.counts()
    _fails(listener.origin, listener.context(None))()
    deadline = time.monotonic() + 5
    while listener.counts() == before:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = admin_of(listener.app).get("/__sandbox/service-levels")
    assert r.status_code == 200, r.text
    refused = r.json()["tls_handshakes_refused"]
    assert refused["by_reason"]["no_certificate"] == before.get("no_certificate", 0) + 1
    assert refused["total"] == sum(before.values()) + 1


def test_the_recette_report_served_by_the_server_says_them(
    listener: Listener, admin_of: Callable[[Any], httpx.Client]
) -> None:
    """A client whose certificate is refused never reaches the journal: the recette report the
    admin plane serves says how many handshakes the server refused, by reason, in each format."""
    creds = enrol(PkiPaths(listener.dir), ClientSpec("handshake-recette"), listener.origin)
    _fails(listener.origin, listener.context(None))()
    deadline = time.monotonic() + 5
    while not listener.counts().get("no_certificate"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    total = sum(listener.counts().values())
    admin = admin_of(listener.app)
    report = admin.get(f"/__sandbox/recette/{creds['client_id']}?format=json")
    assert report.status_code == 200, report.text
    refused = report.json()["header"]["tls_handshakes_refused"]
    assert refused["total"] == total and refused["by_reason"]["no_certificate"] >= 1
    md = admin.get(f"/__sandbox/recette/{creds['client_id']}?format=md&lang=en").text
    assert f"TLS handshakes the server refused since its start** : {total} (" in md
    page = admin.get(f"/__sandbox/recette/{creds['client_id']}?format=html").text
    assert "Poignées de main TLS refusées" in page and "no_certificate" in page


def test_a_flood_is_logged_in_a_bounded_number_of_lines(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(handshakes.time, "monotonic", lambda: now[0])
    refusals = handshakes.HandshakeRefusals(burst=3, window=60)
    with caplog.at_level(logging.WARNING, logger=handshakes.__name__):
        for port in range(500):  # a flood: 500 refused handshakes within a second
            refusals.note(ssl.SSLError(), ("127.0.0.1", 40000 + port))
        now[0] += 60
        refusals.note(ConnectionResetError(), ("::1", 50000))
    lines = [r.getMessage() for r in caplog.records if r.name == handshakes.__name__]
    assert len(lines) == 5, lines
    assert lines[0] == "TLS handshake refused from 127.0.0.1:40000: TLS error: unknown"
    assert lines[3] == "497 more refused TLS handshake(s) not logged in the last 60 s"
    assert lines[4] == (
        "TLS handshake refused from [::1]:50000: "
        "the client closed the connection during the handshake"
    )
    assert refusals.describe() == {"total": 501, "by_reason": {"other": 500, "client_closed": 1}}


def test_a_port_probe_is_no_refused_handshake(
    listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    before = listener.counts()
    with caplog.at_level(logging.WARNING, logger=handshakes.__name__):
        socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
        time.sleep(0.3)
    assert listener.counts() == before
    assert not [r for r in caplog.records if r.name == handshakes.__name__]
