"""domain/access.py: the eleven search types, their resources and DataPass modalities, and the
caller's defaults (CGU §4, CONTRACT §1.2, §7.1, §7.2)."""

from __future__ import annotations

import pytest

from ficoba_sandbox.domain.access import (
    MODALITIES,
    MODALITY_MULTIDET,
    MODALITY_OF,
    RESOURCE_OF,
    SCOPES,
    Caller,
    SearchType,
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
