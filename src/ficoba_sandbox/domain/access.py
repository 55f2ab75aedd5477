"""Who may ask what: the eleven search types, the DataPass modalities and data scopes.

Shared vocabulary between the gateway (which checks modalities, 900910) and the backend
(which checks the requester and motif, CAF030/CAF003/CAF031, and filters by data scope).
Sources: CGU §4 (the eleven search types), CONTRACT §1.2 (selectors), §7.1 (scopes), §7.2
(modalities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SearchType(StrEnum):
    """The eleven search types of the terms of use (CGU §4), CONTRACT §1.2."""

    COMPTE = "compte"
    SPI = "spi"
    SIREN_SIRET = "siren_siret"
    PERSONNE_PHYSIQUE = "personne_physique"
    PERSONNE_MORALE = "personne_morale"
    VERIF_IBAN_PP = "verif_iban_personne_physique"
    VERIF_IBAN_PM = "verif_iban_personne_morale"
    VERIF_IBAN_SIRET = "verif_iban_siret"
    MULTIDET_PP = "multi_detention_personne_physique"
    MULTIDET_PM = "multi_detention_personne_morale"
    MULTIDET_SIRET = "multi_detention_siret"


#: Resource path (relative to the API prefix) serving each search type.
RESOURCE_OF: Mapping[SearchType, str] = {
    SearchType.COMPTE: "/comptes/numCpte",
    SearchType.SPI: "/comptes/spi",
    SearchType.SIREN_SIRET: "/comptes/siretSiren",
    SearchType.PERSONNE_PHYSIQUE: "/comptes/perPhy",
    SearchType.PERSONNE_MORALE: "/comptes/perPro",
    SearchType.VERIF_IBAN_PP: "/comptes/verifIban",
    SearchType.VERIF_IBAN_PM: "/comptes/verifIban",
    SearchType.VERIF_IBAN_SIRET: "/comptes/verifIban",
    SearchType.MULTIDET_PP: "/comptes/multiDet",
    SearchType.MULTIDET_PM: "/comptes/multiDet",
    SearchType.MULTIDET_SIRET: "/comptes/multiDet",
}

#: The search types of the two resources that serve three, in the order of their selectors
#: (`recherchePP`, `recherchePM`, `rechercheSirenSiret`, protocol v11 §7.3.2 and §8.3.2).
_BY_SELECTOR: Mapping[str, tuple[SearchType, SearchType, SearchType]] = {
    "verifIban": (SearchType.VERIF_IBAN_PP, SearchType.VERIF_IBAN_PM, SearchType.VERIF_IBAN_SIRET),
    "multiDet": (SearchType.MULTIDET_PP, SearchType.MULTIDET_PM, SearchType.MULTIDET_SIRET),
}
_SINGLE: Mapping[str, SearchType] = {
    path.rsplit("/", 1)[1]: stype
    for stype, path in RESOURCE_OF.items()
    if path.rsplit("/", 1)[1] not in _BY_SELECTOR
}


def search_type_of(
    resource: str, selectors: tuple[str, str, str] | None = None
) -> SearchType | None:
    """The search type a request to `resource` (`numCpte`, ..., `multiDet`) asks for: the
    resource's own, or for verifIban and multiDet the one whose selector is "1" (None when not
    exactly one is). The backend calls it once the selectors are checked (CAF018, CAF025); the
    journal calls it on whatever a refused request carried."""
    single = _SINGLE.get(resource)
    if single is not None:
        return single
    types = _BY_SELECTOR.get(resource)
    if types is None or selectors is None or selectors.count("1") != 1:
        return None
    return types[selectors.index("1")]


#: DataPass modalities (CONTRACT §7.2). DataPass has no separate multi-holding modality; the
#: sandbox adds `with_ficoba_multi_detention` so a bank's multi-holding right can be granted or
#: withheld on its own.
MODALITY_MULTIDET = "with_ficoba_multi_detention"
MODALITIES: tuple[str, ...] = (
    "with_ficoba_iban",
    "with_ficoba_spi",
    "with_ficoba_siren",
    "with_ficoba_personne_physique",
    "with_ficoba_personne_morale",
    "with_ficoba_iban_siren",
    "with_ficoba_iban_personne_physique",
    "with_ficoba_iban_personne_morale",
    MODALITY_MULTIDET,
)

#: The modality a client must hold for each search type.
MODALITY_OF: Mapping[SearchType, str] = {
    SearchType.COMPTE: "with_ficoba_iban",
    SearchType.SPI: "with_ficoba_spi",
    SearchType.SIREN_SIRET: "with_ficoba_siren",
    SearchType.PERSONNE_PHYSIQUE: "with_ficoba_personne_physique",
    SearchType.PERSONNE_MORALE: "with_ficoba_personne_morale",
    SearchType.VERIF_IBAN_PP: "with_ficoba_iban_personne_physique",
    SearchType.VERIF_IBAN_PM: "with_ficoba_iban_personne_morale",
    SearchType.VERIF_IBAN_SIRET: "with_ficoba_iban_siren",
    SearchType.MULTIDET_PP: MODALITY_MULTIDET,
    SearchType.MULTIDET_PM: MODALITY_MULTIDET,
    SearchType.MULTIDET_SIRET: MODALITY_MULTIDET,
}

#: Calls per minute of a client whose authorisation says no other: the sandbox terms of use's
#: default quota (CGU §9.2, CONTRACT §8). A server's `--default-quota` may set another.
DEFAULT_QUOTA = 200

#: The gateway's operation scopes (OpenAPI 2026-01 gateway view, `components.securitySchemes.
#: default`), one per search resource; `etatSante` needs none. The export binds no scope to an
#: operation (`security: [{"default": []}]`): the binding below follows the names, and `perPro`
#: (professional person) is the legal-person search of protocol v11 §6 (docs/contract-choices.md).
OPERATION_SCOPE_OF: Mapping[str, str] = {
    "numCpte": "RechercheParNumCompte",
    "spi": "RechercheParSpi",
    "siretSiren": "RechercheParSiret",
    "perPhy": "RechercheParPersonnePhysique",
    "perPro": "RechercheParPersonneMorale",
    "verifIban": "VerifParIban",
    "multiDet": "VerifMultiDetention",
}
OPERATION_SCOPES: tuple[str, ...] = tuple(OPERATION_SCOPE_OF.values())


def operation_scopes_for(modalities: Iterable[str]) -> frozenset[str]:
    """The operation scopes a client holding `modalities` is registered for by default: those of
    the resources serving at least one search type it may ask for."""
    held = set(modalities)
    return frozenset(
        OPERATION_SCOPE_OF[path.rsplit("/", 1)[1]]
        for stype, path in RESOURCE_OF.items()
        if MODALITY_OF[stype] in held
    )


#: DataPass data scopes (CONTRACT §7.1).
SCOPES: tuple[str, ...] = (
    "dgfip_ficoba_etat_civil_denomination",
    "dgfip_ficoba_adresse",
    "dgfip_ficoba_compte",
    "dgfip_ficoba_etablissement_bancaire",
    "dgfip_ficoba_date",
    "dgfip_ficoba_restitution_verification",
    "dgfip_ficoba_nombre_comptes",
    "dgfip_ficoba_iban",
    "dgfip_ficoba_date_ouverture",
    "dgfip_ficoba_motif_ouverture",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated consumer, as the gateway established it, handed to the backend."""

    client_id: str
    modalities: frozenset[str] = frozenset(MODALITIES)
    scopes: frozenset[str] = frozenset(SCOPES)
    sirets: frozenset[str] = frozenset()
    sirens: frozenset[str] = frozenset()
    #: motif -> search types it allows (CAF031 otherwise). Unknown motif -> CAF003.
    motifs: Mapping[str, frozenset[SearchType]] = field(default_factory=dict)
    #: bank codes the requester is linked to, for multiDet's CAF037 (empty: any).
    codes_etablissement: frozenset[str] = frozenset()
