"""`GET dataset` (admin/dataset.py): the dataset's facts and its personas' ready-to-send
requests, which the API answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ficoba_sandbox.gateway.clients import fictitious_siret
from gateway_support import QAServer


def test_dataset_personas_with_working_requests(admin: httpx.Client, api: httpx.Client,
                                                qa_server: QAServer) -> None:  # fmt: skip
    ds = admin.get("/__sandbox/dataset").json()
    assert ds["seed"] == 42 and ds["size"] == 500 and len(ds["digest"]) >= 32
    personas = {p["id"]: p for p in ds["personas"]}
    assert "pp:sbx-cloture" in personas and "pp:dubois-daniel" in personas
    p = personas["pp:sbx-joint-a"]
    for search, body in p["requests"].items():
        r = api.post(f"{qa_server.base_url}/comptes/{search}", json=body)
        assert r.status_code == 200 and "messageInformatif" not in r.json(), (search, r.text)


def test_company_personas_with_working_requests(admin: httpx.Client, api: httpx.Client,
                                                qa_server: QAServer) -> None:  # fmt: skip
    ds = admin.get("/__sandbox/dataset").json()
    assert ds["counts"] == qa_server.app.sandbox.store.counts()
    company = next(p for p in ds["personas"] if p["id"] == "pm:sbx-association")
    assert company["kind"] == "personne_morale" and company["siren"] == "999990013"
    assert set(company["requests"]) == {"perPro", "siretSiren", "numCpte"}
    # one identifier, never both (CAF010)
    assert company["requests"]["siretSiren"]["criteresRecherche"] == {"siret": "",
                                                                      "siren": "999990013"}  # fmt: skip
    assert company["requests"]["numCpte"]["criteresRecherche"]["iban"] == company["ibans"][0]
    for search, body in company["requests"].items():
        r = api.post(f"{qa_server.base_url}/comptes/{search}", json=body)
        assert r.status_code == 200 and "messageInformatif" not in r.json(), (search, r.text)


def test_requests_for_a_named_client(admin: httpx.Client,
                                     enrol_client: Callable[..., dict[str, Any]]) -> None:  # fmt: skip
    siret = fictitious_siret("admin-dataset")
    enrol_client("admin-dataset", sirets=[siret])
    ds = admin.get("/__sandbox/dataset", params={"client_id": "admin-dataset"}).json()
    bodies = [body for p in ds["personas"] for body in p["requests"].values()]
    assert bodies and {body["siretDemandeur"] for body in bodies} == {siret}
    unknown = admin.get("/__sandbox/dataset", params={"client_id": "nobody"})
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown client 'nobody'")
