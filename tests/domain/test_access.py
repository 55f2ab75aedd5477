"""domain/access.py: the eleven search types, their resources and DataPass modalities, and the
caller's defaults (CGU §4, CONTRACT §1.2, §7.1, §7.2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ficoba_sandbox.domain.access import (
    MODALITIES,
    MODALITY_MULTIDET,
    MODALITY_OF,
    OPERATION_SCOPE_OF,
    OPERATION_SCOPES,
    RESOURCE_OF,
    SCOPES,
    Caller,
    SearchType,
    operation_scopes_for,
    search_type_of,
)


def test_every_search_type_has_a_resource_and_a_modality() -> None:
    assert len(SearchType) == 11
    assert set(RESOURCE_OF) == set(MODALITY_OF) == set(SearchType)
    assert set(MODALITY_OF.values()) == set(MODALITIES)
    assert all(path.startswith("/comptes/") for path in RESOURCE_OF.values())
    assert {path for t, path in RESOURCE_OF.items() if MODALITY_OF[t] == MODALITY_MULTIDET} == {
        "/comptes/multiDet"
    }


def test_a_caller_holds_every_modality_and_scope_unless_told() -> None:
    caller = Caller("client")
    assert caller.modalities == frozenset(MODALITIES) and caller.scopes == frozenset(SCOPES)
    assert not caller.sirets and not caller.motifs and not caller.codes_etablissement
    narrow = Caller("bank", modalities=frozenset({"with_ficoba_iban"}))
    assert MODALITY_OF[SearchType.COMPTE] in narrow.modalities
    assert MODALITY_OF[SearchType.SPI] not in narrow.modalities


@pytest.mark.parametrize(
    ("resource", "selectors", "expected"),
    [
        ("numCpte", None, SearchType.COMPTE),
        ("perPhy", ("1", "1", "1"), SearchType.PERSONNE_PHYSIQUE),  # selectors are not its own
        ("verifIban", ("1", "0", "0"), SearchType.VERIF_IBAN_PP),
        ("verifIban", ("0", "1", "0"), SearchType.VERIF_IBAN_PM),
        ("multiDet", ("0", "0", "1"), SearchType.MULTIDET_SIRET),
        ("multiDet", ("1", "1", "0"), None),  # CAF018: more than one selector
        ("multiDet", ("0", "0", "0"), None),  # CAF025: none
        ("verifIban", None, None),
        ("comptes", None, None),
    ],
)
def test_search_type_of_a_request(
    resource: str, selectors: tuple[str, str, str] | None, expected: SearchType | None
) -> None:
    assert search_type_of(resource, selectors) is expected


def test_every_search_type_is_reachable() -> None:
    reached = {search_type_of(path.rsplit("/", 1)[1]) for path in RESOURCE_OF.values()}
    for resource in ("verifIban", "multiDet"):
        reached |= {search_type_of(resource, s) for s in (("1", "0", "0"), ("0", "1", "0"))}
        reached.add(search_type_of(resource, ("0", "0", "1")))
    assert reached - {None} == set(SearchType)


# -- the gateway's operation scopes, against the 2026-01 gateway export

EXPORT = (
    Path(__file__).parents[2]
    / "docs"
    / "reference"
    / "history"
    / "openapi-ficoba3-gateway-2026-01-20.json"
)


def test_the_scopes_are_those_the_gateway_publishes() -> None:
    spec = json.loads(EXPORT.read_text("utf-8"))
    flow = spec["components"]["securitySchemes"]["default"]["flows"]["implicit"]
    assert set(OPERATION_SCOPES) == set(flow["scopes"]) == set(flow["x-scopes-bindings"])
    # one scope per search resource of the export; etatSante needs none
    resources = {path.rsplit("/", 1)[1] for path in spec["paths"]} - {"etatSante"}
    assert set(OPERATION_SCOPE_OF) == resources
    assert {path.rsplit("/", 1)[1] for path in RESOURCE_OF.values()} == resources


def test_default_operation_scopes_follow_the_modalities() -> None:
    assert operation_scopes_for(MODALITIES) == set(OPERATION_SCOPES)
    assert operation_scopes_for([]) == frozenset()
    assert operation_scopes_for(["with_ficoba_iban"]) == {"RechercheParNumCompte"}
    # any of the three verifIban modalities opens the resource
    assert operation_scopes_for(["with_ficoba_iban_siren"]) == {"VerifParIban"}
    assert operation_scopes_for(["with_ficoba_multi_detention"]) == {"VerifMultiDetention"}
