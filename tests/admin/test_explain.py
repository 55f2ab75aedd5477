"""`GET explain/{client_id}` and its table (admin/explain.py)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway_support import QAServer


def test_explain_the_last_refusal(admin: httpx.Client, api: httpx.Client, qa_server: QAServer,
                                  closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    entry = closed_entry
    body = {
        **entry["body"],
        "criteresRecherche": {"iban": entry["body"]["criteresRecherche"]["iban"]},
    }
    r = api.post(qa_server.origin + entry["path"], json=body)
    assert r.json()["erreur"]["code"] == "CAF001"
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "CAF001" and "verificationCompte" in ex["message"]
    assert "obligatoire" in ex["fr"] and "mandatory" in ex["en"]
    assert ex["contract_section"].startswith("§")
    assert ex["call"]["path"].endswith("/comptes/numCpte") and ex["call"]["status"] == 400
    # a gateway refusal (no correlation id) is explained too, from the journal
    api.post(qa_server.origin + entry["path"], json=entry["body"],
             headers={"X-Correlation-ID": ""})  # fmt: skip
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "910000" and "X-Correlation-ID" in ex["fr"]
    assert admin.get("/__sandbox/explain/nobody-here").status_code == 404
