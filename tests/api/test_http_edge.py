"""Media types (406), body cap (413), malformed JSON (CAT002), 404/405, service state (503),
unknown fields, normalisation, rights (900910, CAF031), data scopes, referenceDemande."""

from __future__ import annotations

import copy
import re

import pytest

from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

from .helpers import PREFIXES, headers

NUM = REQUEST_EXAMPLES["numCpte"]["compte"]
ERR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def assert_error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"erreur"} and set(body["erreur"]) == {"code", "message", "horodatage"}
    assert body["erreur"]["code"] == code
    assert ERR.match(body["erreur"]["horodatage"])
    assert "detail" not in r.text and "Traceback" not in r.text


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("hdr", "status", "code"),
    [
        ({"Content-Type": "text/plain"}, 406, "HTTP406"),
        ({"Content-Type": "application/xml"}, 406, "HTTP406"),
        ({"Accept": "text/html"}, 406, "HTTP406"),
        ({"Accept": "application/json;q=0, text/html"}, 406, "HTTP406"),
        ({"Content-Type": "application/vnd.dgfip.ficoba3.v1.1+json"}, 200, None),
        ({"Accept": "application/vnd.dgfip.ficoba3.v1.1+json"}, 200, None),
        ({"Accept": "*/*", "Content-Type": "application/json; charset=utf-8"}, 200, None),
    ],
)
def test_media_types(api, prefix, hdr, status, code) -> None:
    import json

    r = api.post(
        f"{prefix}/comptes/numCpte", content=json.dumps(NUM).encode(), headers=headers(**hdr)
    )
    if code:
        assert_error(r, status, code)
    else:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b"not json",
        b"[" * 5000 + b"]" * 5000,
        b'{"a": NaN}',
        b"\xff\xfe\x00garbage",
        b'"a string"',
        b"[1, 2]",
    ],
    ids=["truncated", "empty", "text", "deep", "nan", "bad-utf8", "string", "array"],
)
def test_malformed_json_is_cat002(api, prefix, raw) -> None:
    assert_error(api.post(f"{prefix}/comptes/spi", content=raw, headers=headers()), 400, "CAT002")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_oversize_body_refused(api, prefix) -> None:
    big = copy.deepcopy(NUM)
    big["padding"] = "x" * 20_000  # cap is 16 KiB in these tests
    assert_error(api.post(f"{prefix}/comptes/numCpte", json=big, headers=headers()), 413, "HTTP413")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_unknown_fields_are_ignored(api, prefix) -> None:
    body = copy.deepcopy(NUM)
    body["referenceDemande"] = "string"  # present in the protocol's own numCpte request example
    body["champInconnu"] = {"x": 1}
    r = api.post(f"{prefix}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert "champInconnu" not in r.json()["caracteristiquesDemande"]


def test_404_and_405_in_error_format(api) -> None:
    assert_error(
        api.post("/ficoba-api/v2/comptes/inconnu", json=NUM, headers=headers()), 404, "HTTP404"
    )
    assert_error(api.get("/ficoba-api/v2/comptes/numCpte", headers=headers()), 405, "HTTP405")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_service_unavailable(api, backend_app, monkeypatch, prefix) -> None:
    levels = backend_app.sandbox.levels
    levels.force_down()
    try:
        r = api.get(f"{prefix}/etatSante", headers=headers())
        assert_error(r, 503, "CAT001")
        r = api.post(f"{prefix}/comptes/numCpte", json=NUM, headers=headers())
        assert_error(r, 503, "CAT001")
    finally:
        levels.release()
    assert api.get(f"{prefix}/etatSante", headers=headers()).status_code == 200


@pytest.mark.parametrize("prefix", PREFIXES)
def test_text_criteria_are_normalised_but_echoed_verbatim(api, prefix) -> None:
    body = copy.deepcopy(REQUEST_EXAMPLES["perPro"]["designation"])
    body["criteresRecherche"]["designation"]["raisonSociale"] = "  s.n.p.é  "[2:]  # "s.n.p.é  "
    body["criteresRecherche"]["designation"]["raisonSociale"] = "snpe"
    r = api.post(f"{prefix}/comptes/perPro", json=body, headers=headers())
    assert r.status_code == 200 and r.json()["nombreReponses"] == "001", r.text
    assert (
        r.json()["caracteristiquesDemande"]["criteresRecherche"]["designation"]["raisonSociale"]
        == "snpe"
    )
    vpm = {
        **REQUEST_EXAMPLES["verifIban"]["siret"],
        "criteresRecherche": {
            "iban": "FC1430004021971896960539599",
            "recherchePP": "0",
            "recherchePM": "1",
            "rechercheSirenSiret": "0",
            "designation": {
                "raisonSociale": "world média",
                "sigle": "",
                "enseigne": "",
                "codeCategorieJuridique": "1000",
            },
        },
    }
    r = api.post(f"{prefix}/comptes/verifIban", json=vpm, headers=headers())
    assert r.status_code == 200, r.text
    assert r.json()["reponses"]["verificationCompte"]["ibanExistant"] == "1"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_modality_and_motif_rights(api, prefix) -> None:
    spi = REQUEST_EXAMPLES["spi"]["spi"]
    assert_error(
        api.post(f"{prefix}/comptes/spi", json=spi, headers=headers(**{"X-Test-Caller": "no_spi"})),
        403,
        "900910",
    )
    r = api.post(
        f"{prefix}/comptes/spi",
        json={**spi, "motif": "0020"},
        headers=headers(**{"X-Test-Caller": "motif_restreint"}),
    )
    assert_error(r, 400, "CAF031")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_verification_scope_only(api, prefix) -> None:
    hdr = headers(**{"X-Test-Caller": "verif"})
    r = api.post(f"{prefix}/comptes/numCpte", json=NUM, headers=hdr)
    compte = r.json()["reponses"]["comptes"][0]
    assert "caracteristiqueCompte" not in compte and "etablissementGestionnaire" not in compte
    for ad in compte["ayantsDroits"]:
        assert "adresse" not in ad
        assert not any(ad.get("personnePhysique", {}).values())
    r = api.post(
        f"{prefix}/comptes/numCpte", json=REQUEST_EXAMPLES["numCpte"]["existence"], headers=hdr
    )
    assert r.json()["reponses"] == {"verificationCompte": {"ibanExistant": "1"}}


def test_reference_demande_unique(api) -> None:
    refs = {
        api.post("/ficoba-api/v2/comptes/numCpte", json=NUM, headers=headers()).json()[
            "referenceDemande"
        ]
        for _ in range(20)
    }
    assert len(refs) == 20
    assert all(re.fullmatch(r"FCB_\d{4}_\d{9}", ref) for ref in refs)


def test_multidet_without_consent_has_no_comptes(api) -> None:
    body = copy.deepcopy(REQUEST_EXAMPLES["multiDet"]["siren"])
    body["criteresRecherche"]["accordClient"] = "0"
    r = api.post("/ficoba-api/v2/comptes/multiDet", json=body, headers=headers())
    assert r.json()["nRep"] == "1" and "comptes" not in r.json()


def test_verif_iban_needs_the_holder(api) -> None:
    body = copy.deepcopy(REQUEST_EXAMPLES["verifIban"]["personnePhysique"])
    body["criteresRecherche"]["etatCivil"]["anneeNaissance"] = "1912"
    r = api.post("/ficoba-api/v2/comptes/verifIban", json=body, headers=headers())
    assert r.json()["reponses"]["verificationCompte"]["ibanExistant"] == "0"
