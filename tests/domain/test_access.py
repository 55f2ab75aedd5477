"""domain/access.py: the eleven search types, their resources and DataPass modalities, and the
caller's defaults (CGU §4, CONTRACT §1.2, §7.1, §7.2)."""

from __future__ import annotations

from ficoba_sandbox.domain.access import (
    MODALITIES,
    MODALITY_MULTIDET,
    MODALITY_OF,
    RESOURCE_OF,
    SCOPES,
    Caller,
    SearchType,
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
