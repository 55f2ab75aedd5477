"""`GET magic`, `GET magic/{name}` (admin/catalogue.py). What each entry does to the API is
tested from the same routes in tests/qa/test_magic.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ficoba_sandbox.gateway.clients import fictitious_siret
from ficoba_sandbox.qa import magic


def test_catalogue_for_the_demo_client(admin: httpx.Client, demo_creds: dict[str, Any]) -> None:
    doc = admin.get("/__sandbox/magic").json()
    assert (doc["client_id"], doc["header"]) == (demo_creds["client_id"], magic.HEADER)
    assert doc["justification_token"] == "sandbox-scenario:<name>" and len(doc["rules"]) == 3
    assert sorted(e["name"] for e in doc["entries"]) == magic.names()
    assert {e["body"]["siretDemandeur"] for e in doc["entries"]} == {demo_creds["siret_demandeur"]}
    today = admin.get("/__sandbox/clock").json()["today"]
    assert {e["body"]["dateDemande"] for e in doc["entries"]} == {today}
    backend = admin.get("/__sandbox/magic", params={"prefix": "/fcb-masrestit/api/v2"}).json()
    assert all(e["path"].startswith("/fcb-masrestit/api/v2/") for e in backend["entries"])


def test_catalogue_and_entry_for_a_named_client(
    admin: httpx.Client, enrol_client: Callable[..., dict[str, Any]]
) -> None:
    siret = fictitious_siret("admin-catalogue")
    enrol_client("admin-catalogue", sirets=[siret])
    doc = admin.get("/__sandbox/magic", params={"client_id": "admin-catalogue"}).json()
    assert doc["client_id"] == "admin-catalogue"
    assert {e["body"]["siretDemandeur"] for e in doc["entries"]} == {siret}
    one = admin.get("/__sandbox/magic/closed-account", params={"client_id": "admin-catalogue"})
    assert one.json()["name"] == "closed-account"
    assert one.json()["body"]["siretDemandeur"] == siret
    unknown = admin.get("/__sandbox/magic", params={"client_id": "nobody"})
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown client 'nobody'")


def test_an_unknown_entry_lists_the_valid_names(admin: httpx.Client) -> None:
    r = admin.get("/__sandbox/magic/no-such-entry")
    assert r.status_code == 404
    assert r.json()["detail"] == {"unknown": "no-such-entry", "valid": magic.names()}
