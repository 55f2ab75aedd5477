"""Every security event type (docs/security.md, "Security events") provoked against a real
mutual-TLS listener (`run_api_server`, as `serve` runs it) by real clients: exactly one event of
the type, with its ECS fields in the events file, and none for a client that behaves."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum import iban

from ficoba_sandbox.api.security import PROVOKABLE
from ficoba_sandbox.app import create_app
from ficoba_sandbox.domain.clock import paris
from ficoba_sandbox.events import KINDS, EventType
from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from ficoba_sandbox.gateway.pki import PkiPaths, client_ssl_context, ensure_pki
from ficoba_sandbox.qa.drills import make_plan, write_plan
from ficoba_sandbox.settings import Settings
from gateway_support import free_port, run_api_server

pytestmark = pytest.mark.tls

SEARCH = "/ficoba-api/v2/comptes/numCpte"


@dataclass
class Server:
    dir: Path
    app: Any
    origin: str

    @property
    def events(self) -> Any:
        return self.app.sandbox.events

    def enrol(self, client_id: str, **fields: Any) -> dict[str, Any]:
        spec = ClientSpec(client_id=client_id, **fields)
        return enrol(PkiPaths(self.dir), spec, self.origin, replace=True)

    def context(self, creds: dict[str, Any] | None) -> ssl.SSLContext:
        ca = self.dir / "pki" / "ca.pem"
        if creds is None:
            return ssl.create_default_context(cafile=str(ca))
        return client_ssl_context(ca, Path(creds["cert"]), Path(creds["key"]))

    def http(self, creds: dict[str, Any] | None) -> httpx.Client:
        return httpx.Client(base_url=self.origin, verify=self.context(creds), timeout=10)

    def token(self, http: httpx.Client, creds: dict[str, Any]) -> str:
        r = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def wait(self, kind: EventType | None, client_id: str | None, count: int) -> list[Any]:
        """The events of `kind` (every kind: None) of `client_id` once `count` of them came (they
        are derived after the answer leaves), and a moment later (nothing more comes)."""
        types = [str(kind)] if kind is not None else []
        deadline = time.monotonic() + 5
        while len(self.events.recent(types=types, client_id=client_id)) < count:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(0.15)
        return list(self.events.recent(types=types, client_id=client_id))

    def lines(self) -> list[dict[str, Any]]:
        """The ECS lines of the events file, once the writer thread wrote them all."""
        self.events.flush()
        path = self.dir / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("events")
    ensure_pki(root)
    settings = Settings(
        state_dir=root,
        size=300,
        host="127.0.0.1",
        port=free_port(),
        journal_writer="thread",
        events_auth_burst=3,
        events_auth_peer_burst=0,
        events_enumeration_distinct=4,
        events_enumeration_no_result=3,
        events_retry_after_repeats=2,
        token_backoff_client_failures=0,
        token_backoff_peer_failures=0,
    )
    app = create_app(settings)
    with run_api_server(settings, app):
        yield Server(root, app, f"https://localhost:{settings.port}")


def _body(creds: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "dateDemande": datetime.now(paris()).date().isoformat(),
        "motif": creds["motifs"][0],
        "siretDemandeur": creds["siret_demandeur"],
        "sirenDemandeur": "",
        "justification": "Recette ficoba-sandbox",
        "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "1"},
    }
    body.update(changes)
    return body


def _search(
    http: httpx.Client,
    token: str,
    creds: dict[str, Any],
    *,
    correlation_id: str | None = None,
    **changes: Any,
) -> httpx.Response:
    return http.post(
        SEARCH,
        json=_body(creds, **changes),
        headers={
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        },
    )


def _ecs_line(server: Server, kind: EventType, client_id: str | None) -> dict[str, Any]:
    lines = [
        line
        for line in server.lines()
        if line["event"]["action"] == str(kind)
        and (client_id is None or line.get("client", {}).get("id") == client_id)
    ]
    assert lines, f"no ECS line for {kind}"
    return lines[-1]


def _check_ecs(line: dict[str, Any], kind: EventType, *, client: bool, cert: bool) -> None:
    """The ECS field set of an event of `kind` (docs/security.md, "ECS fields")."""
    spec = KINDS[kind]
    event = line["event"]
    assert event["kind"] == ("alert" if spec.alert else "event")
    assert event["category"] == list(spec.category)
    assert event["type"] == list(spec.ecs_type)
    assert event["action"] == str(kind)
    assert event["outcome"] in ("failure", "success")
    assert isinstance(event["severity"], int) and event["severity"] >= 1
    assert datetime.fromisoformat(line["@timestamp"].replace("Z", "+00:00"))
    assert line["message"] == spec.message
    assert line["ecs.version"]
    assert line["source"]["ip"] == "127.0.0.1"
    assert isinstance(line["ficoba"], dict)
    if client:
        assert line["client"]["id"] == line["user"]["id"]
    if cert:
        digest = line["tls"]["client"]["hash"]["sha256"]
        assert len(digest) == 64 and digest == digest.upper()


# -- one scenario per type: (kind, provoke(server) -> the client id the event names) --------


def _handshake_no_certificate(server: Server) -> None:
    port = int(server.origin.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        server.context(None).wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        try:  # TLS 1.3: the server's refusal arrives with the first read
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            tls.recv(1)
        except (ssl.SSLError, OSError):
            pass


def _handshake_expired(server: Server) -> None:
    creds = server.enrol("ev-expired-cert", expired=True)
    with server.http(creds) as http, pytest.raises(httpx.HTTPError):
        http.get("/ficoba-api/v2/etatSante")


def _auth_failed(server: Server) -> str:
    creds = server.enrol("ev-auth-failed")
    with server.http(creds) as http:
        r = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], "not-the-secret-" + "x" * 20),
        )
    assert r.status_code == 401
    return str(creds["client_id"])


def _auth_burst(server: Server) -> str:
    creds = server.enrol("ev-auth-burst")
    with server.http(creds) as http:
        for _ in range(5):  # 3 make a burst; the 2 more are in the same window: no second one
            r = http.post(
                "/token",
                data={"grant_type": "client_credentials", "client_id": creds["client_id"],
                      "client_secret": "wrong-secret-" + "y" * 20},
            )  # fmt: skip
            assert r.status_code == 401
    return str(creds["client_id"])


def _binding_violation(server: Server) -> str:
    owner, other = server.enrol("ev-bound-owner"), server.enrol("ev-bound-other")
    with server.http(owner) as http:
        token = server.token(http, owner)
    with server.http(other) as http:
        r = _search(http, token, owner)
    assert r.status_code == 401, r.text
    return str(owner["client_id"])


def _forged(server: Server) -> str:
    creds = server.enrol("ev-forged")
    with server.http(creds) as http:
        token = server.token(http, creds)
        head, payload, signature = token.split(".")
        forged = base64.urlsafe_b64decode(signature + "==")
        forged = bytes([forged[0] ^ 1]) + forged[1:]
        token = f"{head}.{payload}.{base64.urlsafe_b64encode(forged).rstrip(b'=').decode()}"
        r = _search(http, token, creds)
    assert r.status_code == 401, r.text
    return str(creds["client_id"])


def _expired(server: Server) -> str:
    creds = server.enrol("ev-expired-token")
    clock = server.app.sandbox.clock
    ttl = server.app.sandbox.settings.token_ttl
    with server.http(creds) as http:
        clock.advance(timedelta(seconds=-(ttl + 120)))
        try:
            token = server.token(http, creds)
        finally:
            clock.advance(timedelta(seconds=ttl + 120))
        r = _search(http, token, creds)
    assert r.status_code == 401, r.text
    return str(creds["client_id"])


def _revoked(server: Server) -> str:
    creds = server.enrol("ev-revoked")
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = http.post(
            "/revoke", data={"token": token}, auth=(creds["client_id"], creds["client_secret"])
        )
        assert r.status_code == 200, r.text
        r = _search(http, token, creds)
    assert r.status_code == 401, r.text
    return str(creds["client_id"])


def _ip_not_allowed(server: Server) -> str:
    creds = server.enrol("ev-ip", ips=["10.0.0.0/8"])
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = _search(http, token, creds)
    assert r.status_code == 403, r.text
    return str(creds["client_id"])


def _requester(server: Server) -> str:
    creds = server.enrol("ev-requester")
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = _search(http, token, creds, siretDemandeur="13000453400017")
    assert r.json()["erreur"]["code"] == "CAF030", r.text
    return str(creds["client_id"])


def _motif(server: Server) -> str:
    creds = server.enrol("ev-motif")
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = _search(http, token, creds, motif="0999")
    assert r.json()["erreur"]["code"] == "CAF003", r.text
    return str(creds["client_id"])


def _access(server: Server) -> str:
    creds = server.enrol("ev-access", modalities=["with_ficoba_spi"])
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = _search(http, token, creds)
    assert r.status_code == 403 and r.json()["erreur"]["code"] == "900910", r.text
    return str(creds["client_id"])


def _quota(server: Server) -> str:
    creds = server.enrol("ev-quota", quota=2)
    with server.http(creds) as http:
        token = server.token(http, creds)
        statuses = [_search(http, token, creds).status_code for _ in range(3)]
    assert statuses == [200, 200, 429], statuses
    return str(creds["client_id"])


def _retry_after(server: Server) -> str:
    creds = server.enrol("ev-retry", quota=1)
    with server.http(creds) as http:
        token = server.token(http, creds)
        statuses = [_search(http, token, creds).status_code for _ in range(5)]
    assert statuses == [200, 429, 429, 429, 429], statuses
    return str(creds["client_id"])


def _enumeration(server: Server) -> str:
    creds = server.enrol("ev-enum")
    with server.http(creds) as http:
        token = server.token(http, creds)
        for n in range(6):  # 4 distinct make the pattern; one event per window
            criteres = {"iban": _iban(n), "verificationCompte": "1"}
            r = _search(http, token, creds, criteresRecherche=criteres)
            assert r.status_code == 200, r.text
    return str(creds["client_id"])


def _iban(n: int) -> str:
    """A fictitious French IBAN, its RIB key and check digits right (ISO 13616)."""
    bank, branch, account = "30004", "00955", f"{n:011d}"
    key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{key:02d}"
    return "FR" + iban.calc_check_digits("FR00" + bban) + bban


def _out_of_hours(server: Server) -> str:
    hour = datetime.now(paris()).hour
    start = (hour + 2) % 24
    creds = server.enrol("ev-hours", hours=f"{start:02d}:00-{start + 1:02d}:00")
    with server.http(creds) as http:
        token = server.token(http, creds)
        assert _search(http, token, creds).status_code == 200
    return str(creds["client_id"])


def _correlation(server: Server) -> str:
    creds = server.enrol("ev-correlation")
    reused = str(uuid.uuid4())
    with server.http(creds) as http:
        token = server.token(http, creds)
        for _ in range(3):  # reported once per id and window
            assert _search(http, token, creds, correlation_id=reused).status_code == 200
    return str(creds["client_id"])


SCENARIOS: dict[str, tuple[EventType, Callable[[Server], str]]] = {
    "client-auth-failed": (EventType.CLIENT_AUTH_FAILED, _auth_failed),
    "client-auth-burst": (EventType.CLIENT_AUTH_BURST, _auth_burst),
    "token-binding": (EventType.TOKEN_BINDING_VIOLATION, _binding_violation),
    "token-forged": (EventType.TOKEN_FORGED, _forged),
    "token-expired": (EventType.TOKEN_EXPIRED, _expired),
    "token-revoked": (EventType.TOKEN_REVOKED, _revoked),
    "ip": (EventType.IP_NOT_ALLOWED, _ip_not_allowed),
    "requester": (EventType.REQUESTER_NOT_REGISTERED, _requester),
    "motif": (EventType.MOTIF_NOT_REGISTERED, _motif),
    "access": (EventType.ACCESS_REFUSED, _access),
    "quota": (EventType.QUOTA_SATURATED, _quota),
    "retry-after": (EventType.RETRY_AFTER_IGNORED, _retry_after),
    "enumeration": (EventType.ENUMERATION, _enumeration),
    "out-of-hours": (EventType.OUT_OF_HOURS, _out_of_hours),
    "correlation": (EventType.CORRELATION_ID_REUSED, _correlation),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_client_event_once_with_its_ecs_fields(server: Server, name: str) -> None:
    kind, provoke = SCENARIOS[name]
    client_id = provoke(server)
    events = server.wait(kind, client_id, 1)
    assert len(events) == 1, [e.document() for e in events]
    line = _ecs_line(server, kind, client_id)
    _check_ecs(line, kind, client=True, cert=True)
    if kind not in (EventType.CLIENT_AUTH_FAILED, EventType.CLIENT_AUTH_BURST):
        assert line["trace"]["id"] == events[0].correlation_id


@pytest.mark.parametrize(
    ("provoke", "reason"),
    [(_handshake_no_certificate, "no_certificate"), (_handshake_expired, "certificate_expired")],
)
def test_a_refused_handshake_is_one_event(
    server: Server, provoke: Callable[[Server], None], reason: str
) -> None:
    kind = EventType.TLS_HANDSHAKE_REFUSED
    before = len(server.events.recent(types=[str(kind)]))
    provoke(server)
    events = server.wait(kind, None, before + 1)[before:]
    assert [e.evidence["reason"] for e in events] == [reason]
    assert events[0].client_id is None
    line = [x for x in server.lines() if x["event"]["action"] == str(kind)][-1]
    _check_ecs(line, kind, client=False, cert=False)
    assert line["ficoba"]["reason"] == reason and "client" not in line


@pytest.mark.parametrize("kind", PROVOKABLE)
def test_each_event_on_demand(server: Server, kind: EventType) -> None:
    """`X-Sandbox-Security-Event` (docs/qa.md): the event, once, on a call that is served."""
    creds = server.enrol(f"ev-demand-{kind}".replace("_", "-"))
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = http.post(
            SEARCH,
            json=_body(creds),
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": str(uuid.uuid4()),
                     "X-Sandbox-Security-Event": str(kind)},
        )  # fmt: skip
    assert r.status_code == 200, r.text
    (event,) = server.wait(kind, str(creds["client_id"]), 1)
    assert event.evidence["provoked"] is True
    _check_ecs(_ecs_line(server, kind, str(creds["client_id"])), kind, client=True, cert=True)


def test_an_unknown_event_on_demand_is_caf002(server: Server) -> None:
    creds = server.enrol("ev-demand-unknown")
    with server.http(creds) as http:
        token = server.token(http, creds)
        r = http.post(
            SEARCH,
            json=_body(creds),
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": str(uuid.uuid4()),
                     "X-Sandbox-Security-Event": "meteor_strike"},
        )  # fmt: skip
    assert r.status_code == 400 and r.json()["erreur"]["code"] == "CAF002"
    assert "enumeration" in r.json()["erreur"]["message"]
    assert server.wait(None, str(creds["client_id"]), 1) == []


def test_the_recette_drills_report_what_they_stand_for(server: Server) -> None:
    """`recette start --drills token_expiry,throttling` (qa/drills.py): the expired token at the
    3rd call, the 429 at the 7th, and the 429s of a client that does not wait its Retry-After."""
    creds = server.enrol("ev-drills")
    client_id = str(creds["client_id"])
    write_plan(server.dir, make_plan(client_id, ["token_expiry", "throttling"]))
    statuses = []
    with server.http(creds) as http:
        token = server.token(http, creds)
        for _ in range(3):
            statuses.append(_search(http, token, creds).status_code)
        token = server.token(http, creds)  # a new token after the expiry drill
        for _ in range(6):
            statuses.append(_search(http, token, creds).status_code)
    assert statuses[2] == 401 and statuses[6:] == [429, 429, 429], statuses
    assert len(server.wait(EventType.TOKEN_EXPIRED, client_id, 1)) == 1
    assert len(server.wait(EventType.QUOTA_SATURATED, client_id, 1)) == 1
    assert len(server.wait(EventType.RETRY_AFTER_IGNORED, client_id, 1)) == 1


def test_a_client_that_behaves_triggers_nothing(server: Server) -> None:
    creds = server.enrol("ev-good", hours="00:00-24:00")
    with server.http(creds) as http:
        token = server.token(http, creds)
        for _ in range(3):
            assert _search(http, token, creds).status_code == 200
        http.post(
            "/revoke", data={"token": token}, auth=(creds["client_id"], creds["client_secret"])
        )
    assert server.wait(None, str(creds["client_id"]), 1) == []


def test_no_secret_in_the_events_file(server: Server) -> None:
    """The secrets the scenarios sent (wrong ones included) and the tokens they used are not in
    the events file (the session's secret sweep checks every secret it knows, too)."""
    _auth_burst(server)
    _forged(server)
    text = (server.dir / "events.jsonl").read_text()
    server.events.flush()
    text = (server.dir / "events.jsonl").read_text()
    assert "wrong-secret-" not in text and "not-the-secret-" not in text
    assert "eyJ" not in text  # no JWT
    for path in (server.dir / "clients").glob("*.json"):
        secret = json.loads(path.read_text())["client_secret"]
        assert secret not in text
    assert (server.dir / "events.jsonl").stat().st_mode & 0o777 == 0o600
