"""The seven resources and the health check: the table the pipeline serves, and their OpenAPI
documentation.

Every resource is served under the gateway prefix `/ficoba-api/v2` and the backend prefix
`/fcb-masrestit/api/v2` of the official OpenAPI. The pipeline (api/pipeline.py) answers every
path under those prefixes itself; the FastAPI routes built here only document them in
`/openapi.json` (with the protocol's request examples), and are never routed to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ficoba_sandbox.api import reading
from ficoba_sandbox.api import schemas as sc
from ficoba_sandbox.api.call import Resource
from ficoba_sandbox.backend.demandes import Demande
from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

GATEWAY_PREFIX = "/ficoba-api/v2"
BACKEND_PREFIX = "/fcb-masrestit/api/v2"
PREFIXES = (GATEWAY_PREFIX, BACKEND_PREFIX)


@dataclass(frozen=True, slots=True)
class Operation:
    """One POST resource: its path under a prefix, the official operation, its wire models."""

    path: str
    operation_id: str
    tag: str
    summary: str
    request: type[BaseModel]
    answer: type[BaseModel]
    read: Callable[[Any], Demande]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]


# Operation ids and tags of the official OpenAPI (CONTRACT §1.1).
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/comptes/numCpte",
        "rechercherCompteParNumCpte",
        "OS041 - RechercherComptesParNumCpte",
        "Rechercher compte clos et actif par numéro de compte (IBAN)",
        sc.DemandeRestitRechCompte,
        sc.ReponseListeFinaleComptes,
        reading.read_num_cpte,
    ),
    Operation(
        "/comptes/siretSiren",
        "rechercherCompteParSiretSiren",
        "OS044 - RechercherComptesParSiretSiren",
        "Rechercher les comptes par SIRET ou SIREN",
        sc.DemandeRestitSiretSiren,
        sc.ReponseListeFinaleComptesPourPM,
        reading.read_siret_siren,
    ),
    Operation(
        "/comptes/spi",
        "rechercherComptesSpi",
        "OS045 - RechercherComptesParSpi",
        "Rechercher les comptes par identifiant fiscal (SPI)",
        sc.DemandeRestitRechSpi,
        sc.ReponseListeFinaleComptesPourPP,
        reading.read_spi,
    ),
    Operation(
        "/comptes/perPhy",
        "rechercherComptesPersonnePhysique",
        "OS043 - RechercherComptesPerPhy",
        "Rechercher les comptes d'une personne physique (état civil, lieu de naissance, adresse)",
        sc.DemandeRestitRechPerPhy,
        sc.ReponseListeFinaleComptesPourPP,
        reading.read_per_phy,
    ),
    Operation(
        "/comptes/perPro",
        "rechercherComptesPerPro",
        "OS042 - RechercherComptesPerPro",
        "Rechercher les comptes d'une personne morale (désignation, adresse)",
        sc.DemandeRestitRechPerPro,
        sc.ReponseListeFinaleComptesPourPM,
        reading.read_per_pro,
    ),
    Operation(
        "/comptes/verifIban",
        "rechercherCompteParNumCpte_1",
        "OS050 - VerifierTitulaireIban",
        "Vérifier le titulaire d'un IBAN (personne physique, morale ou SIREN/SIRET)",
        sc.DemandeRestitVerifIban,
        sc.ReponseListeFinaleComptes,
        reading.read_verif_iban,
    ),
    Operation(
        "/comptes/multiDet",
        "rechercherMultiDetention",
        "OS035 - RechercherMutiDetention",
        "Contrôler la multi-détention d'un compte d'épargne réglementée",
        sc.DemandeRestitMultiDet,
        sc.ReponseMultiDetention,
        reading.read_multi_det,
    ),
)
HEALTH = "/etatSante"
#: the health check's resource name (the one without a body)
HEALTH_RESOURCE = "etatSante"


def resource_table() -> dict[str, Resource]:
    """Every path the API serves -> its resource (both prefixes)."""
    table: dict[str, Resource] = {}
    for prefix in PREFIXES:
        backend = prefix == BACKEND_PREFIX
        table[prefix + HEALTH] = Resource(HEALTH_RESOURCE, "GET", backend_prefix=backend)
        for op in OPERATIONS:
            table[prefix + op.path] = Resource(
                op.name, "POST", read=op.read, model=op.answer, backend_prefix=backend
            )
    return table


# --- the documentation -------------------------------------------------------------------------

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": sc.ResultatErreurApiSante,
        "description": "Erreur pendant le traitement de la recherche (CAT002, CAF0xx)",
    },
    401: {"model": sc.ResultatErreurApiSante, "description": "Authentification nécessaire (jeton)"},
    403: {"model": sc.ResultatErreurApiSante, "description": "Droits insuffisants"},
    406: {"model": sc.ResultatErreurApiSante, "description": "Seul le JSON est accepté"},
    413: {"model": sc.ResultatErreurApiSante, "description": "Corps de requête trop volumineux"},
    429: {"model": sc.ResultatErreurApiSante, "description": "Quota dépassé"},
    500: {"model": sc.ResultatErreurApiSante, "description": "Erreur de traitement"},
    503: {"model": sc.ResultatErreurApiSante, "description": "Service indisponible (CAT001)"},
}

_HEADERS = [
    {
        "name": "X-Correlation-ID",
        "in": "header",
        "required": True,
        "description": "Identifiant de corrélation (UUID), renvoyé dans la réponse",
        "schema": {
            "type": "string",
            "format": "uuid",
            "example": "110e8400-e29b-11d4-a716-446655440000",
        },
    }
]


def _request_body(model: type[BaseModel], examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    named = {name: {"summary": name, "value": value} for name, value in examples.items()}
    return {
        "parameters": _HEADERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema, "examples": named},
                "application/vnd.dgfip.ficoba3.v1.1+json": {"schema": schema},
            },
        },
    }


async def _served_by_the_pipeline() -> None:  # pragma: no cover - never routed to
    raise RuntimeError("the API's resources are answered by api/pipeline.py")


def documentation_router(id_suffix: str = "") -> APIRouter:
    """The resources as OpenAPI operations; `id_suffix` keeps operationIds unique when mounted on
    both prefixes (the gateway path keeps the official operationIds)."""
    router = APIRouter()
    router.add_api_route(
        HEALTH,
        _served_by_the_pipeline,
        methods=["GET"],
        operation_id="getInfo" + id_suffix,
        tags=["Etat Santé"],
        summary="Vérifier le statut de l'API",
        response_model=sc.EtatSante,
        responses={
            503: {
                "model": sc.ResultatErreurApiSante,
                "description": "L'API est actuellement indisponible",
            }
        },
        openapi_extra={"parameters": _HEADERS},
    )
    for op in OPERATIONS:
        router.add_api_route(
            op.path,
            _served_by_the_pipeline,
            methods=["POST"],
            operation_id=op.operation_id + id_suffix,
            tags=[op.tag],
            summary=op.summary,
            response_model=None,
            responses={
                200: {"model": op.answer, "description": "Recherche effectuée avec succès"},
                **_ERRORS,
            },
            openapi_extra=_request_body(op.request, REQUEST_EXAMPLES[op.name]),
        )
    return router
