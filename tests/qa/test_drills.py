"""Drills: the plan file, the sequence, and what an armed client gets from the real app."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.qa.drills import (
    KINDS,
    ORDER,
    DrillEffect,
    DrillError,
    DrillRunner,
    disarm,
    make_plan,
    parse_drills,
    read_plan,
    write_plan,
)
from gateway_support import wait_for_file_watch


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 10, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def test_parse_drills() -> None:
    assert parse_drills("all") == ORDER
    assert parse_drills(None) == ORDER
    assert parse_drills("slow, throttling,slow") == ("slow", "throttling")
    with pytest.raises(DrillError, match="unknown drill"):
        parse_drills("throttling,earthquake")


def test_plan_file_round_trip_and_disarm(tmp_path: Path) -> None:
    plan = make_plan("c1", ORDER)
    assert [(d.name, d.at_call) for d in plan.drills][:2] == [
        ("token_expiry", 3),
        ("throttling", 7),
    ]
    write_plan(tmp_path, plan)
    assert read_plan(tmp_path, "c1") == plan
    done = disarm(tmp_path, "c1")
    assert done is not None and not done.active and done.plan_id == plan.plan_id
    assert read_plan(tmp_path, "c1") == done
    with pytest.raises(DrillError):
        make_plan("../etc", ORDER)


def _retry_after(effect: DrillEffect | None) -> int | None:
    if effect is None or effect.error is None:
        return None
    return int(effect.error.headers["Retry-After"])


def test_sequence_by_call_count(tmp_path: Path) -> None:
    clock = Clock()
    runner = DrillRunner(tmp_path, clock)
    assert runner.effect("c1", "jti-1", 200) is None  # nothing armed
    write_plan(tmp_path, make_plan("c1", ORDER))  # as `recette start` does
    wait_for_file_watch()
    seen = []
    jti = "jti-1"
    for _ in range(24):
        e = runner.effect("c1", jti, 200)
        seen.append(e.name if e else None)
        if e and e.name == "token_expiry":
            assert e.error is not None and e.error.code == "900901"
            again = runner.effect("c1", jti, 200)
            assert again is not None and again.name == "token_expiry"  # same token: refused
            jti = "jti-2"
        if e and e.name in ("throttling", "maintenance"):
            assert _retry_after(e) == KINDS[e.name].seconds
            assert e.error is not None and e.error.code == KINDS[e.name].code
            clock.at += timedelta(seconds=KINDS[e.name].seconds + 0.01)
        if e and e.name == "error_500":
            assert e.error is not None and (e.error.code, e.error.http_status) == ("CAT004", 500)
        if e and e.name == "slow":
            assert e.error is None and e.delay == KINDS["slow"].seconds
        clock.at += timedelta(milliseconds=10)
    fired = [s for s in seen if s]
    assert fired == ["token_expiry", "throttling", "maintenance", "error_500", "slow", "slow"]
    # inside a window, every call is refused with the remaining Retry-After
    write_plan(tmp_path, make_plan("c2", ["throttling"]))
    for _ in range(2):
        runner.effect("c2", None, 200)
    first = runner.effect("c2", None, 200)
    clock.at += timedelta(seconds=1.2)
    again = runner.effect("c2", None, 200)
    assert first and again and again.name == "throttling" and _retry_after(again) == 1
    clock.at += timedelta(seconds=1)
    assert runner.effect("c2", None, 200) is None
    disarm(tmp_path, "c2")
    wait_for_file_watch()
    assert runner.effect("c2", None, 200) is None


@pytest.fixture
def drilled(
    app: Any,
    enrol_client: Callable[..., dict[str, Any]],
    make_client: Callable[..., httpx.Client],
    sandbox_dir: Path,
) -> Any:
    creds = enrol_client("drill-client")

    def search(http: httpx.Client) -> httpx.Response:
        return http.post(
            "/ficoba-api/v2/comptes/numCpte",
            json={
                "dateDemande": datetime.now(UTC).date().isoformat(),
                "motif": "0001",
                "siretDemandeur": creds["siret_demandeur"],
                "sirenDemandeur": "",
                "justification": "drill",
                "criteresRecherche": {
                    "iban": "FR7630004009550000135601429",
                    "verificationCompte": "0",
                },
            },
        )

    return creds, search


def test_armed_client_gets_the_drills_and_the_journal_shows_them(
    app: Any,
    drilled: Any,
    make_client: Callable[..., httpx.Client],
    sandbox_dir: Path,
) -> None:
    creds, search = drilled
    write_plan(sandbox_dir, make_plan("drill-client", ["token_expiry", "throttling", "error_500"]))
    wait_for_file_watch()
    http = make_client(app, creds)
    got = []
    for _ in range(3):
        r = search(http)
        got.append((r.status_code, r.json().get("erreur", {}).get("code")))
    assert got[:2] == [(200, None), (200, None)]
    assert got[2] == (401, "900901")
    assert "invalid_token" in r.headers["www-authenticate"]
    assert search(http).status_code == 401  # the same token stays refused
    http2 = make_client(app, creds)  # a new token
    for _ in range(2):
        assert search(http2).status_code == 200
    r = search(http2)  # 7th call: throttling
    assert (r.status_code, r.json()["erreur"]["code"]) == (429, "900804")
    assert r.headers["retry-after"] == "2"
    assert search(http2).status_code == 429  # inside the window
    disarm(sandbox_dir, "drill-client")
    wait_for_file_watch()
    assert search(http2).status_code == 200

    app.sandbox.journal.flush()
    rows = app.sandbox.journal.query(client_id="drill-client", limit=50, newest_first=False)
    drills = [r["details"].get("drill") for r in rows if r["path"] != "/token"]
    assert drills.count("token_expiry") == 2 and drills.count("throttling") == 2
    throttled = [r for r in rows if r["status"] == 429]
    assert throttled[0]["details"]["retry_after"] == "2"
    calls = [r for r in rows if "/comptes/" in r["path"]]
    assert len({r["details"]["token_ref"] for r in calls}) == 2
    grants = [r for r in rows if r["path"] == "/token"]
    assert grants and grants[-1]["details"]["issued_token"] == calls[-1]["details"]["token_ref"]
    assert "eyJ" not in json.dumps(rows)  # never the token itself


def test_error_500_answers_one_500(
    app: Any, drilled: Any, make_client: Callable[..., httpx.Client], sandbox_dir: Path
) -> None:
    creds, search = drilled
    write_plan(sandbox_dir, make_plan("drill-client", ["error_500"]))
    http = make_client(app, creds)
    statuses = [search(http).status_code for _ in range(4)]
    disarm(sandbox_dir, "drill-client")
    assert statuses == [200, 200, 500, 200]


def test_server_info_never_computes_the_digest_on_the_start_up_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`D/recette/server.json` is written at once with the digest when it is already known (warm
    cache) and completed in the background otherwise, never by computing it in `create_app`."""
    import threading
    import time

    from ficoba_sandbox.app import create_app
    from ficoba_sandbox.data import build as build_module
    from ficoba_sandbox.data.store import Store
    from ficoba_sandbox.recette.server_info import SERVER_INFO
    from ficoba_sandbox.settings import Settings

    computed_in: list[str] = []
    real_digest = Store.digest

    def spy(self: Store) -> str:
        if not self.known_digest():
            computed_in.append(threading.current_thread().name)
        return real_digest(self)

    monkeypatch.setattr(Store, "digest", spy)
    # no cache writer (it would compute the digest in its own thread and hide the start-up path)
    monkeypatch.setattr(build_module, "_write_atomically", lambda path, store, secret: None)
    settings = Settings(state_dir=tmp_path, size=200)
    cold = create_app(settings)  # no dataset cache: digest unknown at start
    assert threading.main_thread().name not in computed_in
    info = tmp_path / SERVER_INFO
    deadline = time.monotonic() + 30
    while json.loads(info.read_text())["dataset_digest"] is None:
        assert time.monotonic() < deadline, "the background writer never completed server.json"
        time.sleep(0.05)
    assert json.loads(info.read_text())["dataset_digest"] == cold.sandbox.store.digest()

    monkeypatch.undo()
    create_app(settings).sandbox.cache_writer.finish()  # the dataset cache, digest included
    info.unlink()
    warm = create_app(settings)  # from the cache, which carries the digest
    assert warm.sandbox.store.known_digest() == cold.sandbox.store.digest()
    assert json.loads(info.read_text())["dataset_digest"] == cold.sandbox.store.digest()
