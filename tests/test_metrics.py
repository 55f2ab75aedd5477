"""metrics.py and the admin plane's `/metrics`: a real sandbox (the API listener as `serve` runs
it, real mutual TLS, the admin plane on its own listener) scraped after real calls, the text
parsed by the official Prometheus client's parser, the counts exact."""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.app import SandboxApp, create_app
from ficoba_sandbox.gateway.pki import client_ssl_context
from ficoba_sandbox.metrics import LATENCY_BUCKETS, Metrics
from ficoba_sandbox.settings import Settings
from gateway_support import fetch_token, free_port, run_api_server, serve_in_thread

pytestmark = pytest.mark.tls

ADMIN_TOKEN = "metrics-test-admin-token"
HEALTH = "/ficoba-api/v2/etatSante"
SPI = "/ficoba-api/v2/comptes/spi"

#: sample name -> {labels as a sorted tuple -> value}
Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


@dataclass
class Live:
    app: SandboxApp
    origin: str
    admin_url: str
    dir: Path

    def http(self, creds: dict[str, Any] | None) -> httpx.Client:
        ca = self.dir / "pki" / "ca.pem"
        context = (
            client_ssl_context(ca, Path(creds["cert"]), Path(creds["key"]))
            if creds is not None
            else ssl.create_default_context(cafile=str(ca))
        )
        return httpx.Client(base_url=self.origin, verify=context, timeout=10)

    def scrape(self, token: str | None = ADMIN_TOKEN) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.admin_url + "/metrics", headers=headers, timeout=10)


@pytest.fixture(scope="module")
def live(sandbox_dir: Path) -> Iterator[Live]:
    settings = Settings(
        state_dir=sandbox_dir,
        size=500,
        host="127.0.0.1",
        port=free_port(),
        admin_host="127.0.0.1",
        admin_port=free_port(),
        admin_token=ADMIN_TOKEN,
    )
    app = create_app(settings)
    admin = create_admin_app(app.sandbox, settings)
    admin_cfg = uvicorn.Config(
        admin, host="127.0.0.1", port=settings.admin_port, log_level="warning", lifespan="off"
    )
    with run_api_server(settings, app), serve_in_thread(admin_cfg):
        yield Live(
            app,
            f"https://localhost:{settings.port}",
            f"http://127.0.0.1:{settings.admin_port}",
            sandbox_dir,
        )


def cid() -> dict[str, str]:
    return {"X-Correlation-ID": str(uuid.uuid4())}


def test_metrics_need_the_admin_token(live: Live) -> None:
    assert live.scrape(token=None).status_code == 401
    assert live.scrape(token="wrong").status_code == 401
    ok = live.scrape()
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain; version=")


def test_counts_after_real_calls(
    live: Live, demo_creds: dict[str, Any], enrol_client: Callable[..., dict[str, Any]]
) -> None:
    small = enrol_client("metrics-small-quota", quota=2)
    demo = demo_creds["client_id"]
    before = parse(live.scrape().text)

    with live.http(demo_creds) as http:
        token = fetch_token(http, demo_creds)
        auth = {"Authorization": f"Bearer {token}"}
        assert http.get(HEALTH, headers={**auth, **cid()}).status_code == 200
        refused = http.post(SPI, json={}, headers={**auth, **cid()})
        assert (refused.status_code, refused.json()["erreur"]["code"]) == (400, "CAF001")
        assert http.get(HEALTH, headers=cid()).status_code == 401
        bad = http.post("/token", data={"grant_type": "client_credentials"},
                        auth=(demo, "not-the-secret"))  # fmt: skip
        assert bad.status_code == 401
    with live.http(small) as http:
        token = fetch_token(http, small)
        auth = {"Authorization": f"Bearer {token}"}
        answers = [http.get(HEALTH, headers={**auth, **cid()}) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    with pytest.raises((ssl.SSLError, httpx.HTTPError)), live.http(None) as http:
        http.get(HEALTH, headers=cid())  # no client certificate: refused handshake

    # the refused handshake is counted when the server sees the failure: wait for it
    for _ in range(100):
        after = parse(live.scrape().text)
        name = "ficoba_sandbox_tls_handshakes_refused_total"
        if value(after, name, reason="no_certificate") > value(
            before, name, reason="no_certificate"
        ):
            break
        time.sleep(0.05)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = "ficoba_sandbox_calls_total"
    assert delta(calls, route=HEALTH, status="200", code="", client_id=demo) == 1
    assert delta(calls, route=SPI, status="400", code="CAF001", client_id=demo) == 1
    assert delta(calls, route=HEALTH, status="401", code="900902", client_id="unknown") == 1
    assert delta(calls, route=HEALTH, status="200", code="", client_id=small["client_id"]) == 2
    assert (
        delta(calls, route=HEALTH, status="429", code="900804", client_id=small["client_id"]) == 1
    )
    assert delta(calls, route="/token", status="200", code="", client_id=demo) == 1
    # every call of the test, and nothing else
    assert sum(after[calls].values()) - sum(before.get(calls, {}).values()) == 9

    assert delta("ficoba_sandbox_quota_rejections_total", client_id=small["client_id"]) == 1
    assert delta("ficoba_sandbox_quota_rejections_total", client_id=demo) == 0
    tokens = "ficoba_sandbox_tokens_total"
    assert delta(tokens, outcome="issued", error="", client_id=demo) == 1
    assert delta(tokens, outcome="issued", error="", client_id=small["client_id"]) == 1
    assert delta(tokens, outcome="refused", error="invalid_client", client_id=demo) == 1
    assert delta("ficoba_sandbox_tls_handshakes_refused_total", reason="no_certificate") == 1
    # the security events of these calls, from the sandbox's events log (events/log.py)
    events = "ficoba_sandbox_security_events_total"
    assert delta(events, type="tls_handshake_refused") == 1
    assert delta(events, type="client_auth_failed") == 1
    assert delta(events, type="quota_saturated") == 1
    assert sum(after[events].values()) - sum(before.get(events, {}).values()) == 3

    # the latency histogram: the calls of the route, in cumulative buckets up to +Inf
    buckets = "ficoba_sandbox_call_duration_seconds_bucket"
    assert delta(buckets, route=HEALTH, le="+Inf") == 5
    assert delta("ficoba_sandbox_call_duration_seconds_count", route=HEALTH) == 5
    le = [k for k in after[buckets] if ("route", HEALTH) in k]
    assert len(le) == len(LATENCY_BUCKETS) + 1

    # the journal: everything written by the time it is read back, nothing lost
    live.app.sandbox.journal.flush()
    after = parse(live.scrape().text)
    assert value(after, "ficoba_sandbox_journal_queue_depth") == 0
    assert value(after, "ficoba_sandbox_journal_write_lag_seconds") == 0
    assert value(after, "ficoba_sandbox_journal_rows_lost_total") == 0
    assert value(after, "ficoba_sandbox_journal_healthy") == 1
    assert value(after, "ficoba_sandbox_journal_rows_written_total") >= 9


def test_a_claimed_client_id_that_is_not_registered_is_unknown(live: Live) -> None:
    """A label takes only a registered client id: what a caller claims stays `unknown` (the
    label's values stay bounded)."""
    before = parse(live.scrape().text)
    claimed = f"invented-{uuid.uuid4().hex[:8]}"
    app = live.app
    app.sandbox.metrics.observe("/token", 401, "invalid_client", claimed, False, 0.001)
    after = parse(live.scrape().text)
    assert claimed not in live.scrape().text
    name = "ficoba_sandbox_tokens_total"
    labels = {"outcome": "refused", "error": "invalid_client", "client_id": "unknown"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def _render(metrics: Metrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()


def test_two_sandboxes_in_one_process_keep_their_own_counts(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    first, second = open_app(), open_app()
    http = make_client(first)
    for _ in range(3):
        assert http.get(HEALTH).status_code == 200
    http.close()
    one, two = (
        parse(admin_of(first).get("/metrics").text),
        parse(admin_of(second).get("/metrics").text),
    )
    calls = "ficoba_sandbox_calls_total"
    assert sum(v for k, v in one[calls].items() if ("route", HEALTH) in k) == 3
    assert sum(two.get(calls, {}).values()) == 0


def test_no_metrics_counts_no_call(
    open_app: Callable[..., SandboxApp],
    make_client: Callable[..., httpx.Client],
    admin_of: Callable[[SandboxApp], httpx.Client],
) -> None:
    """`--no-metrics`: the calls are not counted (the families read at scrape time remain)."""
    app = open_app(metrics=False)
    http = make_client(app)
    assert http.get(HEALTH).status_code == 200
    http.close()
    samples = parse(admin_of(app).get("/metrics").text)
    assert sum(samples.get("ficoba_sandbox_calls_total", {}).values()) == 0
    assert "ficoba_sandbox_journal_queue_depth" in samples
