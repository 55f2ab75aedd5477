"""Rights on the real app: every modality × search type, data scopes, requester and motif.

The gateway authenticates and hands a `Caller` built from the registry to the backend, which
checks the modality (900910) after parsing the body, then CAF030 / CAF003 / CAF031, and filters
the restitution by the token's data scopes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from ficoba_sandbox.domain.access import MODALITIES, MODALITY_OF, RESOURCE_OF, SearchType
from ficoba_sandbox.gateway.registry import DEMO_SIRET

GW = "/ficoba-api/v2"
EXAMPLES = Path(__file__).parent.parent / "api" / "protocole"


def _example(name: str) -> dict[str, Any]:
    return copy.deepcopy(
        json.loads((EXAMPLES / f"{name}.json").read_text())["caracteristiquesDemande"]
    )


def body_for(
    search_type: SearchType, motif: str = "0001", siret: str = DEMO_SIRET
) -> dict[str, Any]:
    """A valid request of `search_type`, from the protocol's examples."""
    t = SearchType
    name = {
        t.COMPTE: "numCpte_compte",
        t.SPI: "spi",
        t.SIREN_SIRET: "siretSiren",
        t.PERSONNE_PHYSIQUE: "perPhy",
        t.PERSONNE_MORALE: "perPro",
        t.VERIF_IBAN_PP: "verifIban_pp",
        t.VERIF_IBAN_PM: "verifIban_pp",
        t.VERIF_IBAN_SIRET: "verifIban_pp",
        t.MULTIDET_PP: "multiDet_pp_accord",
        t.MULTIDET_PM: "multiDet_pm_accord",
        t.MULTIDET_SIRET: "multiDet_siret_accord",
    }[search_type]
    body = _example(name)
    crit = body["criteresRecherche"]
    if search_type is t.VERIF_IBAN_PM:
        crit.update(recherchePP="0", recherchePM="1")
        crit["etatCivil"] = {k: "" for k in crit["etatCivil"]}
        crit["lieuNaissance"] = {k: "" for k in crit["lieuNaissance"]}
        crit["designation"].update(raisonSociale="MARSHALL LINE", codeCategorieJuridique="1000")
    elif search_type is t.VERIF_IBAN_SIRET:
        crit.update(recherchePP="0", rechercheSirenSiret="1", siret="94682768462289")
        crit["etatCivil"] = {k: "" for k in crit["etatCivil"]}
        crit["lieuNaissance"] = {k: "" for k in crit["lieuNaissance"]}
    body.update(
        motif=motif,
        siretDemandeur=siret,
        sirenDemandeur="",
        dateDemande=date.today().isoformat(),
    )
    return body


def post(http: httpx.Client, search_type: SearchType, **kw: Any) -> httpx.Response:
    return http.post(f"{GW}{RESOURCE_OF[search_type]}", json=body_for(search_type, **kw))


def code(r: httpx.Response) -> str | None:
    data = r.json()
    return (data.get("erreur") or {}).get("code")


@pytest.fixture(scope="module")
def single_modality_clients(app: Any, enrol_client: Callable[..., Any]) -> dict[str, httpx.Client]:
    from gateway_support import make_client_for

    return {
        m: make_client_for(app, enrol_client(f"only-{m}", modalities=[m], sirets=[DEMO_SIRET]))
        for m in MODALITIES
    }


@pytest.mark.parametrize("search_type", list(SearchType), ids=str)
def test_full_rights_client_is_served(client: httpx.Client, search_type: SearchType) -> None:
    r = post(client, search_type)
    assert r.status_code == 200, r.text
    assert r.json()["referenceDemande"].startswith("FCB_")


@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize("search_type", list(SearchType), ids=str)
def test_every_modality_by_search_type(
    single_modality_clients: dict[str, httpx.Client], modality: str, search_type: SearchType
) -> None:
    r = post(single_modality_clients[modality], search_type)
    if MODALITY_OF[search_type] == modality:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403, r.text
        assert code(r) == "900910"


def test_requester_and_motif_checks(client: httpx.Client) -> None:
    r = post(client, SearchType.SPI, siret="13000453400017")  # valid SIRET, not the client's
    assert (r.status_code, code(r)) == (400, "CAF030")
    r = post(client, SearchType.SPI, motif="0999")  # not one of the client's motifs
    assert (r.status_code, code(r)) == (400, "CAF003")
    r = post(client, SearchType.SPI, motif="0003")  # the client's, multi-détention only
    assert (r.status_code, code(r)) == (400, "CAF031")
    assert post(client, SearchType.MULTIDET_PP, motif="0003").status_code == 200


def test_scope_restitution_verification_only(
    app: Any, make_client: Callable[..., httpx.Client]
) -> None:
    http = make_client(app, scope="dgfip_ficoba_restitution_verification")
    body = body_for(SearchType.COMPTE)
    body["criteresRecherche"]["verificationCompte"] = "1"
    r = http.post(f"{GW}/comptes/numCpte", json=body)
    assert r.status_code == 200, r.text
    exists = r.json()["reponses"]
    assert "ibanExistant" in json.dumps(exists)
    body["criteresRecherche"]["verificationCompte"] = "0"
    r = http.post(f"{GW}/comptes/numCpte", json=body)
    assert r.status_code == 200, r.text
    text = json.dumps(r.json()["reponses"])
    for field in (
        "caracteristiqueCompte",
        "etablissementGestionnaire",
        "nomNaissance",
        "adresse",
        "droitSurCompte",
    ):
        assert field not in text


def test_scope_narrowing_changes_the_restitution(
    app: Any, make_client: Callable[..., httpx.Client]
) -> None:
    full = make_client(app).post(f"{GW}/comptes/numCpte", json=body_for(SearchType.COMPTE))
    compte_only = make_client(app, scope="dgfip_ficoba_compte").post(
        f"{GW}/comptes/numCpte", json=body_for(SearchType.COMPTE)
    )
    assert full.status_code == compte_only.status_code == 200
    full_text, narrow_text = (
        json.dumps(full.json()["reponses"]),
        json.dumps(compte_only.json()["reponses"]),
    )
    assert "nomNaissance" in full_text and "nomNaissance" not in narrow_text
    assert (
        "etablissementGestionnaire" in full_text and "etablissementGestionnaire" not in narrow_text
    )
    assert "caracteristiqueCompte" in narrow_text
