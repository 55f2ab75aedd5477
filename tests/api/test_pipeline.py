"""api/pipeline.py: the steps in the README's order; one request of each outcome, its bytes and
headers from the one error writer and its journal row; the journal fails closed, is flushed at
shutdown, and loses nothing under concurrent clients over real mutual TLS."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ficoba_sandbox.api import pipeline
from ficoba_sandbox.api.errors import error_body
from ficoba_sandbox.app import SandboxApp, create_app
from ficoba_sandbox.domain.access import SCOPES
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.gateway.latency import Latency
from ficoba_sandbox.journal import Journal
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.drills import make_plan, write_plan
from ficoba_sandbox.settings import Settings
from gateway_support import envelope, free_port, run_tls_server, served_state, spawn_serve

ROOT = Path(__file__).resolve().parents[2]
GW = "/ficoba-api/v2"
BE = "/fcb-masrestit/api/v2"
FROZEN = datetime(2026, 6, 1, 9, 30, 0, 123000, tzinfo=UTC)


def test_the_readme_table_is_the_pipeline(app: SandboxApp) -> None:
    """The README's "check, in order" table names the steps, in the order the code runs them."""
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme.split("| step | check, in order | failure |", 1)[1].split("\n\n", 1)[0]
    named = re.findall(r"^\| `(\w+)` \|", table, flags=re.M)
    assert named == [step.__name__ for step in app.pipeline.steps]
    # and the list at the top of the module, for whoever reads the code first
    listed = (pipeline.__doc__ or "").split("\n\n")[1]
    assert re.findall(r"^    (\w+) ", listed, flags=re.M) == named


# --- one request of each outcome -------------------------------------------------------------


NUM = {"iban": magic.IBAN_CLOSED, "verificationCompte": "0"}


@dataclass
class Case:
    name: str
    status: int
    code: str | None
    refused_by: str | None
    #: (client, method, path, body or raw bytes, headers) -> the response
    send: Callable[[Any], httpx.Response]
    setup: Callable[[Any], None] = field(default=lambda ctx: None)


@dataclass
class Context:
    app: SandboxApp
    creds: dict[str, Any]
    client: httpx.Client
    make_client: Callable[..., httpx.Client]
    enrol: Callable[..., dict[str, Any]]

    def post(self, path: str, body: Any, client: httpx.Client | None = None, **kw: Any) -> Any:
        return (client or self.client).post(f"{GW}/comptes/{path}", json=body, **kw)


def _quota_of_one(ctx: Context) -> httpx.Response:
    creds = ctx.enrol("pipeline-quota", quota=1)
    client = ctx.make_client(ctx.app, creds)
    assert ctx.post("numCpte", envelope(creds, NUM), client).status_code == 200
    return ctx.post("numCpte", envelope(creds, NUM), client)


def _drill(ctx: Context) -> httpx.Response:
    creds = ctx.enrol("pipeline-drill")
    write_plan(ctx.app.sandbox.settings.state_dir, make_plan(creds["client_id"], ["error_500"]))
    client = ctx.make_client(ctx.app, creds)
    for _ in range(2):  # the drill fires at the third search
        assert ctx.post("numCpte", envelope(creds, NUM), client).status_code == 200
    return ctx.post("numCpte", envelope(creds, NUM), client)


def _fault(ctx: Context) -> httpx.Response:
    creds = ctx.enrol("pipeline-fault")
    ctx.app.sandbox.faults.set(creds["client_id"], error_rate=1.0, error_code="HTTP509")
    return ctx.post("numCpte", envelope(creds, NUM), ctx.make_client(ctx.app, creds))


def _latency(ctx: Context) -> httpx.Response:
    levels = ctx.app.sandbox.levels
    levels.latency, levels.request_timeout = Latency.parse("numCpte=100ms"), 0.01
    try:
        return ctx.post("numCpte", envelope(ctx.creds, NUM))
    finally:
        levels.latency, levels.request_timeout = Latency.parse(None), None


def _maintenance(ctx: Context) -> httpx.Response:
    ctx.app.sandbox.levels.force_down()
    try:
        return ctx.client.get(f"{GW}/etatSante")
    finally:
        ctx.app.sandbox.levels.release()


def _no_modality(ctx: Context) -> httpx.Response:
    # the operation scope registered, the modality not: the backend's right refuses
    creds = ctx.enrol(
        "pipeline-rights",
        modalities=["with_ficoba_spi"],
        operation_scopes=["RechercheParNumCompte", "RechercheParSpi"],
    )
    return ctx.post("numCpte", envelope(creds, NUM), ctx.make_client(ctx.app, creds))


def _no_operation_scope(ctx: Context) -> httpx.Response:
    # every right registered; the token asked for the spi operation only
    client = ctx.make_client(ctx.app, ctx.creds, scope="RechercheParSpi")
    return ctx.post("numCpte", envelope(ctx.creds, NUM), client)


def _crash(ctx: Context) -> httpx.Response:
    backend = ctx.app.sandbox.backend

    def crash(*args: Any) -> Any:
        raise ZeroDivisionError

    backend.run = crash  # type: ignore[method-assign]
    try:
        return ctx.post("numCpte", envelope(ctx.creds, NUM))
    finally:
        del backend.run


CASES = [
    Case("search", 200, None, None, lambda c: c.post("numCpte", envelope(c.creds, NUM))),
    Case("no correlation id", 400, "910000", "correlation_ids",
         lambda c: c.post("numCpte", envelope(c.creds, NUM), headers={"X-Correlation-ID": "x"})),
    Case("no correlation id, backend prefix", 400, "CAT005", "correlation_ids",
         lambda c: c.client.get(f"{BE}/etatSante", headers={"X-Correlation-ID": ""})),
    Case("no token", 401, "900902", "bearer_token",
         lambda c: c.post("numCpte", envelope(c.creds, NUM), headers={"Authorization": ""})),
    Case("malformed bearer", 400, "900901", "bearer_token",
         lambda c: c.post("numCpte", envelope(c.creds, NUM),
                          headers={"Authorization": "Bearer a b"})),
    Case("forged token", 401, "900901", "bearer_token",
         lambda c: c.post("numCpte", envelope(c.creds, NUM),
                          headers={"Authorization": "Bearer abc.def.ghi"})),
    Case("foreign IP", 403, "HTTP403", "ip_allow_list",  # the demo client: loopback only
         lambda c: c.post("numCpte", envelope(c.creds, NUM),
                          c.make_client(c.app, c.creds, client_ip="192.0.2.1"))),
    Case("unknown resource", 404, "HTTP404", "route",
         lambda c: c.post("inconnu", envelope(c.creds, NUM))),
    Case("wrong method", 405, "HTTP405", "route", lambda c: c.client.get(f"{GW}/comptes/spi")),
    Case("operation scope", 403, "900910", "operation_scope", _no_operation_scope),
    Case("quota", 429, "900804", "quota", _quota_of_one),
    Case("maintenance", 503, "CAT001", "availability", _maintenance),
    Case("drill", 500, "CAT004", "drills", _drill),
    Case("fault", 509, "HTTP509", "faults", _fault),
    Case("latency", 408, "HTTP408", "latency", _latency),
    Case("not JSON accepted", 406, "HTTP406", "body",
         lambda c: c.post("numCpte", envelope(c.creds, NUM), headers={"Accept": "text/html"})),
    Case("too large", 413, "HTTP413", "body",
         lambda c: c.post("numCpte", envelope(c.creds, NUM, justification="x" * 70_000))),
    Case("not JSON", 400, "CAT002", "body",
         lambda c: c.client.post(f"{GW}/comptes/numCpte", content=b'{"a":',
                                 headers={"Content-Type": "application/json"})),
    Case("envelope", 400, "CAF001", "body",
         lambda c: c.post("numCpte", envelope(c.creds, NUM, motif=""))),
    Case("unknown scenario", 400, "CAF002", "magic",
         lambda c: c.post("numCpte", envelope(c.creds, NUM),
                          headers={"X-Sandbox-Scenario": "no-such-thing"})),
    Case("selectors", 400, "CAF018", "search_type",
         lambda c: c.post("verifIban", envelope(c.creds, {
             "iban": magic.IBAN_JOINT, "recherchePP": "0", "recherchePM": "0",
             "rechercheSirenSiret": "0"}))),
    Case("modality", 403, "900910", "rights", _no_modality),
    Case("motif", 400, "CAF003", "rights",
         lambda c: c.post("numCpte", envelope(c.creds, NUM, motif="9876"))),
    Case("backend rule", 400, "CAF024", "resource",
         lambda c: c.post("numCpte", envelope(c.creds, NUM, dateDemande="2027-01-01"))),
    Case("magic technical error", 500, "CAT003", "resource",
         lambda c: c.post("numCpte", envelope(c.creds, dict(magic.BY_NAME["sql-error"].criteres)))),
    Case("crash", 500, "CAT004", None, _crash),
]  # fmt: skip


@pytest.fixture(scope="module")
def outcomes_app(
    make_app: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxApp]:
    clock = SystemClock()
    clock.freeze(FROZEN)
    app: SandboxApp = make_app(clock=clock)
    app.sandbox.journal.close()
    app.sandbox.journal = Journal.in_dir(tmp_path_factory.mktemp("outcomes"), writer="thread")
    yield app
    app.sandbox.journal.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_request_of_each_outcome(
    case: Case,
    outcomes_app: SandboxApp,
    demo_creds: dict[str, Any],
    make_client: Callable[..., httpx.Client],
    enrol_client: Callable[..., dict[str, Any]],
) -> None:
    ctx = Context(outcomes_app, demo_creds, make_client(outcomes_app), make_client, enrol_client)
    r = case.send(ctx)
    assert r.status_code == case.status, r.text
    headers = r.headers
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(r.content))
    # data or refusal: no cache keeps it (RFC 9111 §5.2.2.5)
    assert headers["cache-control"] == "no-store"
    assert uuid.UUID(headers["x-request-id"])
    sent_id = r.request.headers.get("x-correlation-id")
    if case.refused_by != "correlation_ids":
        assert headers["x-correlation-id"] == sent_id
    if case.code is None:
        assert "erreur" not in r.json()
    else:
        error = r.json()["erreur"]
        assert error["code"] == case.code and error["horodatage"] == "2026-06-01T09:30:00.123Z"
        expected = FicobaError(case.code, message=error["message"])
        assert r.content == error_body(expected, FROZEN)  # the one writer's bytes
        if case.status == 401:
            assert headers["www-authenticate"].startswith("Bearer ")
        if case.code == "900910":  # RFC 6750 §3.1; the scope a token needs, if one would do
            scope = ', scope="RechercheParNumCompte"' if case.name == "operation scope" else ""
            assert headers["www-authenticate"] == (
                f'Bearer realm="ficoba-sandbox", error="insufficient_scope"{scope}'
            )
        elif case.refused_by != "bearer_token":  # its 400s carry error="invalid_request"
            assert "www-authenticate" not in headers
        if case.status in (429, 503):
            assert int(headers["retry-after"]) >= 1
    journal = outcomes_app.sandbox.journal
    journal.flush()
    (row,) = [
        row for row in journal.query(limit=1000) if row["request_id"] == headers["x-request-id"]
    ]
    assert (row["status"], row["error_code"]) == (case.status, case.code)
    assert row["details"].get("refused_by") == case.refused_by
    # the rights at stake: the token's scopes once the gateway verified it, and the modality
    # of the search type (numCpte: with_ficoba_iban) whoever refused the call
    if case.refused_by in ("correlation_ids", "bearer_token"):
        assert row["granted_scopes"] is None
    elif case.name == "operation scope":
        assert set(row["granted_scopes"].split()) == {*SCOPES, "RechercheParSpi"}, row
    else:
        assert set(row["granted_scopes"].split()) >= set(SCOPES), row
    if case.name in ("search", "modality", "motif", "backend rule", "operation scope"):
        assert row["required_modality"] == "with_ficoba_iban"
        assert row["required_operation_scope"] == "RechercheParNumCompte"
    if case.name == "drill":
        assert row["details"]["drill"] == "error_500"
    if case.name == "crash":
        assert row["details"]["exception"] == "ZeroDivisionError"
    if case.name == "magic technical error":
        assert row["details"]["scenario"] == "sql-error"


class _MovesDuringTheCall:
    """Stopped at `at` until `move()`; then its first read gives `at`, every later one half an
    hour more than the one before."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.moving = False

    def move(self) -> None:
        self.moving = True

    def now(self) -> datetime:
        at = self.at
        if self.moving:
            self.at += timedelta(minutes=30)
        return at


def test_a_call_has_one_instant(
    make_app: Callable[..., Any], make_client: Callable[..., httpx.Client], demo_creds: dict
) -> None:
    """Every date of a call comes from the clock read when it arrives: at 23:30 in Paris on
    31 December, a search dated 1 January is in the future (CAF024), however long the call."""
    clock = _MovesDuringTheCall(datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    http = make_client(make_app(clock=clock), demo_creds)
    body = {**envelope(demo_creds, NUM), "dateDemande": "2027-01-01"}
    clock.move()
    r = http.post(f"{GW}/comptes/numCpte", json=body)
    assert r.json()["erreur"]["code"] == "CAF024"
    assert r.json()["erreur"]["horodatage"].startswith("2026-12-31")


# --- the journal: fail closed, flushed at shutdown, nothing lost ----------------------------


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_fail_closed_when_the_journal_cannot_write(
    make_app: Callable[..., Any],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
    tmp_path: Path,
    writer: str,
) -> None:
    """A real failure: another connection holds the write lock, so the writer (thread or
    process) cannot commit; resources then answer 503 CAT001 until it can, the token endpoint
    still answers."""
    app: SandboxApp = make_app()
    app.sandbox.journal.close()
    journal = app.sandbox.journal = Journal.in_dir(tmp_path, writer=writer, busy_timeout=0.05)
    client = make_client(app)  # its token is journaled while the journal still writes
    blocker = sqlite3.connect(journal.path, timeout=1, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        assert client.get(f"{GW}/etatSante").status_code == 200
        journal.flush(timeout=1)
        assert not journal.healthy
        r = client.post(f"{GW}/comptes/numCpte", json=envelope(demo_creds, NUM))
        assert (r.status_code, r.json()["erreur"]["code"]) == (503, "CAT001")
        assert r.headers["retry-after"] == "5"
        r = client.post("/token", data={"grant_type": "client_credentials"},
                        auth=(demo_creds["client_id"], demo_creds["client_secret"]))  # fmt: skip
        assert r.status_code == 200
        blocker.execute("COMMIT")
        blocker.close()
        assert journal.flush(timeout=5)
        assert journal.healthy
        statuses = [row["status"] for row in journal.query(newest_first=False)]
        assert statuses == [200, 200, 503, 200]
    finally:
        journal.close()


class LiveServer:
    """The app on a real uvicorn listener (plain HTTP: no certificate, so every call is refused
    by the gateway; what matters here is the journal), with its lifespan."""

    def __init__(self, app: SandboxApp) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def test_lifespan_shutdown_flushes_and_closes(make_app: Callable[..., Any], tmp_path: Path) -> None:
    app: SandboxApp = make_app()
    app.sandbox.journal.close()
    journal = app.sandbox.journal = Journal.in_dir(tmp_path)
    with LiveServer(app) as server:
        for i in range(20):
            r = httpx.post(f"{server.url}{GW}/comptes/spi", json={"motif": "1"},
                           headers={"X-Correlation-ID": str(uuid.UUID(int=i))})  # fmt: skip
            assert r.status_code == 401
    assert journal._closed
    assert Journal.in_dir(tmp_path).count() == 20


def test_fifty_concurrent_clients_lose_nothing(
    sandbox_dir: Path, enrol_client: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """Over real mutual TLS: every call journaled exactly once, every reference unique."""
    creds = enrol_client("pipeline-load", quota=1_000_000)
    settings = Settings(state_dir=sandbox_dir, size=500, port=free_port())
    app = create_app(settings)
    app.sandbox.journal.close()
    app.sandbox.journal = Journal.in_dir(tmp_path, batch_size=64)
    clients, per_client = 50, 20
    ca = sandbox_dir / "pki" / "ca.pem"

    async def one_client(origin: str, token: str, ctx: Any) -> list[str]:
        sent = []
        async with httpx.AsyncClient(base_url=origin, verify=ctx, timeout=60) as client:
            for i in range(per_client):
                corr = str(uuid.uuid4())
                headers = {"X-Correlation-ID": corr}
                if i % 4:
                    headers["Authorization"] = f"Bearer {token}"
                r = await client.post(f"{GW}/comptes/numCpte", json=envelope(creds, NUM),
                                      headers=headers)  # fmt: skip
                assert r.status_code == (200 if i % 4 else 401), r.text
                sent.append(corr)
        return sent

    async def load(origin: str) -> list[str]:
        import ssl

        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.load_cert_chain(creds["cert"], creds["key"])
        async with httpx.AsyncClient(base_url=origin, verify=ctx) as c:
            r = await c.post("/token", data={"grant_type": "client_credentials"},
                             auth=(creds["client_id"], creds["client_secret"]))  # fmt: skip
            token = r.json()["access_token"]
        results = await asyncio.gather(*(one_client(origin, token, ctx) for _ in range(clients)))
        return [c for batch in results for c in batch]

    with run_tls_server(settings, app) as origin:
        sent = asyncio.run(load(origin))
    journal = app.sandbox.journal
    journal.flush()
    rows = journal.query(limit=10_000)
    journaled = [r["correlation_id"] for r in rows if r["path"] != "/token"]
    assert sorted(journaled) == sorted(sent)  # every one, exactly once
    ok = [r for r in rows if r["status"] == 200 and r["path"] != "/token"]
    assert len(ok) == clients * per_client * 3 // 4
    assert len({r["reference_demande"] for r in ok}) == len(ok)
    assert all(r["client_id"] == "pipeline-load" for r in ok)
    journal.close()


def test_the_token_endpoint_echoes_the_ids_and_journals_the_scopes_granted(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    demo_creds: dict[str, Any],
) -> None:
    """`/token` answers with the call's ids as every answer of the API does, success or error;
    its journal row holds the scopes of the token issued."""
    app = open_app()
    correlation = str(uuid.uuid4())
    auth = (demo_creds["client_id"], demo_creds["client_secret"])
    with make_client(app, token=False, correlation=False) as http:
        ok = http.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "scope": "dgfip_ficoba_compte RechercheParSpi",
            },
            auth=auth,
            headers={"X-Request-ID": "my-req-1", "X-Correlation-ID": correlation},
        )
        refused = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(demo_creds["client_id"], "wrong"),
            headers={"X-Request-ID": "my-req-2", "X-Correlation-ID": correlation},
        )
        bare = http.post("/token", data={"grant_type": "password"}, auth=auth)
        odd = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=auth,
            headers={"X-Request-ID": "not valid!", "X-Correlation-ID": "not-a-uuid"},
        )
    assert (ok.status_code, refused.status_code, bare.status_code) == (200, 401, 400)
    for r, request_id in ((ok, "my-req-1"), (refused, "my-req-2")):
        assert r.headers["x-request-id"] == request_id
        assert r.headers["x-correlation-id"] == correlation
    # none sent, or none the API accepts: a request id of its own, no correlation id
    for r in (bare, odd):
        assert uuid.UUID(r.headers["x-request-id"])
        assert "x-correlation-id" not in r.headers
    journal = app.sandbox.journal
    journal.flush()
    rows = {row["request_id"]: row for row in journal.query(limit=10)}
    assert rows["my-req-1"]["granted_scopes"] == "dgfip_ficoba_compte RechercheParSpi"
    assert rows["my-req-1"]["correlation_id"] == correlation
    assert rows["my-req-2"]["granted_scopes"] is None
    assert rows[odd.headers["x-request-id"]]["granted_scopes"] == odd.json()["scope"]


# --- a 500 keeps the connection usable or says it closes it -----------------------------------


def _crash_in_the_documentation(app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> str:
    def crash() -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(app, "openapi_schema", None)
    monkeypatch.setattr(app, "openapi", crash)
    return "GET /openapi.json"


def _crash_after_the_answer(app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> str:
    def crash(*args: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(app.sandbox.feedback, "record", crash)  # runs once the 405 has left
    return f"GET {GW}/comptes/spi"


def _crash_in_a_resource(app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> str:
    def crash(*args: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(app.sandbox.backend, "run", crash)
    return f"POST {GW}/comptes/numCpte"


@pytest.mark.tls
@pytest.mark.parametrize(
    "force", [_crash_in_the_documentation, _crash_after_the_answer, _crash_in_a_resource]
)
def test_a_crash_never_drops_a_keep_alive_connection_unannounced(
    tls_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    force: Callable[[SandboxApp, pytest.MonkeyPatch], str],
) -> None:
    """RFC 9112 §9.6: a server that closes a persistent connection says `Connection: close` in
    its last answer; otherwise the client's next request on it is lost. Raw keep-alive
    connection over real mutual TLS, a crash forced at three places of the pipeline."""
    import http.client
    import json

    creds = tls_server.demo
    port = int(tls_server.origin.rsplit(":", 1)[1])
    conn = http.client.HTTPSConnection(
        "localhost", port, context=tls_server.ssl_context(creds), timeout=10
    )
    try:
        conn.request(
            "POST",
            "/token",
            body="grant_type=client_credentials",
            headers={"Content-Type": "application/x-www-form-urlencoded"}
            | _basic(creds["client_id"], creds["client_secret"]),
        )
        token = json.loads(conn.getresponse().read())["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        method, path = force(tls_server.app, monkeypatch).split(" ", 1)
        body = json.dumps(envelope(creds, NUM)) if method == "POST" else None
        conn.request(method, path, body=body, headers=headers)
        crashed = conn.getresponse()
        crashed_body = crashed.read()
        assert crashed.status in (405, 500), crashed_body
        assert crashed.getheader("content-type") == "application/json"
        if crashed.status == 500:
            assert json.loads(crashed_body)["erreur"]["code"] == "CAT004"
        if (crashed.getheader("connection") or "").lower() == "close":
            return
        time.sleep(0.2)  # the time a closing server would take to close
        monkeypatch.undo()
        conn.request("GET", f"{GW}/etatSante", headers=headers)
        after = conn.getresponse()
        assert after.status == 200, after.read()
    finally:
        conn.close()


def _basic(client_id: str, secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


# --- the answer leaves once its row is committed: a server killed under load -------------------


@pytest.mark.tls
@pytest.mark.slow
@pytest.mark.parametrize("writer", ["process", "thread"])
def test_a_server_killed_under_load_loses_no_answered_call(tmp_path: Path, writer: str) -> None:
    """`ficoba-sandbox serve` under eight connections, then SIGKILL to it and to its journal's
    writer process at once (its process group): every call that got an answer is in the journal
    (the answers of the last uncommitted batch, 28-36 ms of calls, were lost before the answer
    waited for its row's commit)."""
    import os
    import signal

    served = served_state(tmp_path / "D", "crash-load")
    paths, origin, creds, ctx = served.paths, served.origin, served.creds, served.ctx
    log = tmp_path / "serve.log"
    proc = spawn_serve(
        paths.root,
        served.port,
        log,
        *("--size", "100", "--log-level", "warning"),
        env={"FICOBA_SANDBOX_JOURNAL_WRITER": writer},
        own_group=True,
    )
    answered: list[str] = []
    try:

        async def worker(token: str, stop: asyncio.Event) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=origin, verify=ctx, timeout=10) as http:
                while not stop.is_set():
                    corr = str(uuid.uuid4())
                    try:
                        r = await http.get(f"{GW}/etatSante",
                                           headers={**headers, "X-Correlation-ID": corr})  # fmt: skip
                    except httpx.TransportError:
                        return  # the server is gone
                    assert r.status_code == 200, r.text
                    answered.append(corr)
                    if len(answered) >= 600 and not stop.is_set():
                        stop.set()
                        os.killpg(proc.pid, signal.SIGKILL)  # mid-load: the others are waiting

        async def load() -> None:
            async with httpx.AsyncClient(base_url=origin, verify=ctx, timeout=5) as http:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        r = await http.post("/token", data={"grant_type": "client_credentials"},
                                            auth=(creds["client_id"], creds["client_secret"]))  # fmt: skip
                        break
                    except httpx.TransportError:
                        assert proc.poll() is None, log.read_text()
                        assert time.monotonic() < deadline, "serve did not start"
                        await asyncio.sleep(0.2)
                assert r.status_code == 200, r.text
            stop = asyncio.Event()
            await asyncio.gather(*(worker(r.json()["access_token"], stop) for _ in range(8)))

        asyncio.run(asyncio.wait_for(load(), timeout=180))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(paths.root / "journal.sqlite3") as db:
        journaled = {row[0] for row in db.execute("SELECT correlation_id FROM journal")}
    missing = [corr for corr in answered if corr not in journaled]
    assert len(answered) >= 600
    assert missing == [], f"{len(missing)} of {len(answered)} answered calls not journaled"
