"""`GET explain/{client_id}` and its table (admin/explain.py)."""

from __future__ import annotations

from typing import Any

import httpx

from ficoba_sandbox.admin.explain import EXPLANATIONS, explain
from ficoba_sandbox.domain.errors import ALL_CODES
from ficoba_sandbox.qa import magic
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


def test_explain_an_injected_fault_and_a_scenario(admin: httpx.Client, api: httpx.Client,
                                                 qa_server: QAServer,
                                                 closed_entry: dict[str, Any]) -> None:  # fmt: skip
    cid = qa_server.demo["client_id"]
    url = qa_server.origin + closed_entry["path"]
    admin.put(f"/__sandbox/faults/{cid}", json={"error_rate": 1.0, "error_code": "CAT001",
                                                "remaining": 1})  # fmt: skip
    assert api.post(url, json=closed_entry["body"]).status_code == 503
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "CAT001" and ex["fault"] is True and "scenario" not in ex
    assert ex["fr"].startswith("Erreur injectée") and ex["en"].startswith("Error injected")
    assert ex["call"]["request_id"] and ex["call"]["search_type"]
    r = api.post(url, json=closed_entry["body"], headers={magic.HEADER: "sql-error"})
    assert r.status_code == 500
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert (ex["code"], ex["scenario"]) == ("CAT003", "sql-error") and "fault" not in ex
    assert ex["call"]["request_id"] == r.headers["X-Request-ID"]


def test_every_explanation_is_of_a_known_code() -> None:
    assert set(EXPLANATIONS) <= set(ALL_CODES)
    for code, (fr, en, section) in EXPLANATIONS.items():
        assert fr and en and section.startswith("§"), code


def test_explain_a_code_without_its_own_explanation() -> None:
    assert explain("CAF001", "CAF001 : verificationCompte est obligatoire") == {
        "code": "CAF001",
        "message": "CAF001 : verificationCompte est obligatoire",
        "fr": EXPLANATIONS["CAF001"][0],
        "en": EXPLANATIONS["CAF001"][1],
        "contract_section": "§2.2, §3, §6.3",
    }
    known = next(code for code in ALL_CODES if code.startswith("CAF") and code not in EXPLANATIONS)
    plain = explain(known)
    assert plain["message"] == ALL_CODES[known].message
    assert plain["fr"] == f"Code {known} : {ALL_CODES[known].message}."
    assert plain["contract_section"] == "§6.3"
    assert explain(None) == {
        "code": None,
        "message": None,
        "fr": "Refus sans code reconnu.",
        "en": "Refusal without a code.",
        "contract_section": "§6",
    }


def test_explain_a_refused_modality_names_it(admin: httpx.Client, api: httpx.Client,
                                            qa_server: QAServer,
                                            closed_entry: dict[str, Any]) -> None:  # fmt: skip
    """The journal keeps the rights at stake; `explain` shows them and names the modality."""
    cid = qa_server.demo["client_id"]
    url = qa_server.origin + closed_entry["path"]
    r = api.post(url, json=closed_entry["body"], headers={magic.HEADER: "modality-refused"})
    assert r.status_code == 403
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["code"] == "900910" and ex["call"]["request_id"] == r.headers["X-Request-ID"]
    assert ex["call"]["required_modality"] == "with_ficoba_iban"
    assert "dgfip_ficoba_compte" in ex["call"]["granted_scopes"].split()
    assert ex["fr"].endswith("Modalité requise : with_ficoba_iban.")
    assert ex["en"].endswith("Modality required: with_ficoba_iban.")


def test_explain_a_missing_operation_scope_names_it(admin: httpx.Client, api: httpx.Client,
                                                    qa_server: QAServer,
                                                    closed_entry: dict[str, Any]) -> None:  # fmt: skip
    """A token asked without the resource's operation scope: the journal keeps the scope the
    resource requires, and `explain` says to ask for it rather than naming a modality."""
    t = qa_server.target()
    cid = qa_server.demo["client_id"]
    r = api.post(t.token_url, data={"grant_type": "client_credentials", "scope": "RechercheParSpi"},
                 auth=(t.client_id, t.client_secret))  # fmt: skip
    token = r.json()["access_token"]
    r = api.post(qa_server.origin + closed_entry["path"], json=closed_entry["body"],
                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 403 and r.json()["erreur"]["code"] == "900910"
    assert 'scope="RechercheParNumCompte"' in r.headers["WWW-Authenticate"]
    ex = admin.get(f"/__sandbox/explain/{cid}").json()
    assert ex["call"]["required_operation_scope"] == "RechercheParNumCompte"
    assert "RechercheParNumCompte" in ex["en"] and "scope parameter" in ex["en"]
    assert "Modality required" not in ex["en"]
