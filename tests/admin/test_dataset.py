"""`GET dataset` (admin/dataset.py): the dataset's facts and its personas' ready-to-send
requests, which the API answers."""

from __future__ import annotations

import httpx

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
