"""The seven resources, mounted under `/ficoba-api/v2` and `/fcb-masrestit/api/v2` (app.py).

Each POST: service state (503 CAT001) -> media types (406) -> body cap (413) -> JSON (CAT002)
-> envelope (CAF001/CAF002) -> search type -> modality (900910) -> backend rules -> result.
The caller comes from `request.state.caller` (set by the gateway middleware).
"""

from __future__ import annotations

import importlib
import logging
import types
import typing
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ficoba_sandbox.api import schemas as sc
from ficoba_sandbox.api.dispatch import FAST_ENDPOINTS
from ficoba_sandbox.api.errors import corps_erreur, reponse_erreur
from ficoba_sandbox.api.headers import pick
from ficoba_sandbox.backend.demandes import Demande
from ficoba_sandbox.backend.resultats import PARTAGES
from ficoba_sandbox.backend.service import Backend
from ficoba_sandbox.domain.access import Caller
from ficoba_sandbox.domain.errors import FicobaError

_orjson: Any
try:  # optional (`pip install ficoba-sandbox[speed]`): same bytes, faster
    _orjson = importlib.import_module("orjson")
except ImportError:  # pragma: no cover - depends on the installation
    _orjson = None

log = logging.getLogger(__name__)

MEDIA_JSON = ("application/json", "application/vnd.dgfip.ficoba3.v1.1+json")

# --- the protocol's request examples (v11 §2.3.1, §3.5.2, §4.5.2, §5.3.1, §6.3.1, §7.3, §8.3) ---

_ENV = {
    "dateDemande": "2024-02-08",
    "motif": "020",
    "siretDemandeur": "13000453400017",
    "sirenDemandeur": "",
}

EXEMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "numCpte": {
        "compte": {
            **_ENV,
            "justification": "test performance",
            "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "0"},
        },
        "existence": {
            **_ENV,
            "justification": "test",
            "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "1"},
        },
    },
    "spi": {
        "spi": {
            "dateDemande": "2022-03-26",
            "motif": "005",
            "siretDemandeur": "11210489100013",
            "sirenDemandeur": "",
            "justification": "référence recherche par spi",
            "criteresRecherche": {"numeroSPI": "1489335901"},
        }
    },
    "siretSiren": {
        "siret": {
            "dateDemande": "2024-05-16",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "Contrôle IBAN SARL LES FLOTS BLEUS REF XXX225",
            "criteresRecherche": {"siret": "94682768462289", "siren": ""},
        }
    },
    "perPro": {
        "designation": {
            "dateDemande": "2024-04-23",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "recherche pm adresse",
            "criteresRecherche": {
                "designation": {
                    "raisonSociale": "SNPE",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "5710",
                },
                "domiciliation": {
                    "codePays": "99100",
                    "codeDepartement": "75",
                    "codeCommune": "104",
                    "codeNatureVoie": None,
                    "libelleVoie": None,
                    "numeroVoie": None,
                    "indiceRepetition": None,
                    "codePostal": "75189",
                },
            },
        }
    },
    "perPhy": {
        "intervalle": {
            "dateDemande": "2024-07-10",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "Test Recherche Personne Physique avec adresse",
            "criteresRecherche": {
                "etatCivil": {
                    "anneeNaissance": "",
                    "moisNaissance": "",
                    "jourNaissance": "",
                    "anneeNaissanceDebut": "1911",
                    "moisNaissanceDebut": "01",
                    "jourNaissanceDebut": "01",
                    "anneeNaissanceFin": "1911",
                    "moisNaissanceFin": "11",
                    "jourNaissanceFin": "11",
                    "nom": "CORBuSIER",
                    "prenoms": "CHARLES-éDOUARD",
                    "sexe": "",
                },
                "lieuNaissance": {
                    "codePaysNaissance": "99100",
                    "codeDepartementNaissance": "78",
                    "codeCommuneNaissance": "498",
                },
                "domiciliation": {
                    "codePays": "",
                    "codeDepartement": "",
                    "codeCommune": "",
                    "codeNatureVoie": "",
                    "libelleVoie": "",
                    "numeroVoie": "",
                    "indiceRepetition": "",
                    "codePostal": "",
                },
            },
        }
    },
    "verifIban": {
        "personnePhysique": {
            "dateDemande": "2024-02-08",
            "motif": "100",
            "siretDemandeur": "81325471100020",
            "sirenDemandeur": "",
            "justification": "Test - Vérifier titulaire IBAN",
            "criteresRecherche": {
                "iban": "FR7611689007003478364737625",
                "recherchePP": "1",
                "recherchePM": "0",
                "rechercheSirenSiret": "0",
                "etatCivil": {
                    "nom": "CORBUSIER",
                    "prenoms": "CHARLES-EDOUARD",
                    "sexe": "",
                    "anneeNaissance": "1911",
                    "moisNaissance": "11",
                    "jourNaissance": "11",
                },
                "lieuNaissance": {
                    "codePaysNaissance": "99100",
                    "codeDepartementNaissance": "78",
                    "codeCommuneNaissance": "498",
                },
                "designation": {
                    "raisonSociale": "",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "",
                },
                "siret": "",
                "siren": "",
            },
        },
        "siret": {
            "dateDemande": "2023-10-11",
            "motif": "0100",
            "siretDemandeur": "81325471100020",
            "sirenDemandeur": "",
            "justification": "référence vérification titulaire iban",
            "criteresRecherche": {
                "iban": "FC1030004008711812050237399",
                "recherchePP": "0",
                "recherchePM": "0",
                "rechercheSirenSiret": "1",
                "designation": {
                    "raisonSociale": "",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "",
                },
                "siret": "78562072500032",
                "siren": "",
            },
        },
    },
    "multiDet": {
        "personnePhysique": {
            "dateDemande": "2022-03-26",
            "motif": "0021",
            "siretDemandeur": "66204244900014",
            "sirenDemandeur": "",
            "justification": "test multi detention",
            "criteresRecherche": {
                "accordClient": "1",
                "codeNatureCompte": "201",
                "recherchePP": "1",
                "recherchePM": "0",
                "rechercheSIRENSIRET": "0",
                "criteresRecherchePro": {
                    "designation": {
                        "raisonSociale": None,
                        "sigle": None,
                        "enseigne": None,
                        "codeCategorieJuridique": None,
                    },
                    "domiciliation": {},
                },
                "criteresRecherchePhy": {
                    "etatCivil": {
                        "anneeNaissance": "1995",
                        "moisNaissance": "10",
                        "jourNaissance": "9",
                        "nom": "MAHAMADOU GARBA",
                        "prenoms": "MALKA",
                        "sexe": "2",
                    },
                    "lieuNaissance": {
                        "codePaysNaissance": "99344",
                        "codeDepartementNaissance": "",
                        "codeCommuneNaissance": "",
                    },
                    "domiciliation": {
                        "codePays": "",
                        "codeDepartement": "",
                        "codeCommune": "",
                        "codeNatureVoie": "",
                        "libelleVoie": "",
                        "numeroVoie": "",
                        "codePostal": "",
                    },
                },
                "criteresSiretSiren": {},
            },
        },
        "siren": {
            "dateDemande": "2022-03-26",
            "motif": "021",
            "siretDemandeur": "66204244900014",
            "sirenDemandeur": "",
            "justification": "test multi detention",
            "criteresRecherche": {
                "accordClient": "1",
                "codeNatureCompte": "201",
                "recherchePP": "0",
                "recherchePM": "0",
                "rechercheSIRENSIRET": "1",
                "criteresSiretSiren": {"siret": "", "siren": "345678901"},
            },
        },
    },
}


# --- request plumbing --------------------------------------------------------------------------


def _media(valeur: str) -> tuple[str, float]:
    parts = [p.strip() for p in valeur.split(";")]
    q = 1.0
    for p in parts[1:]:
        if p.lower().startswith("q="):
            try:
                q = float(p[2:])
            except ValueError:
                q = 0.0
    return parts[0].lower(), q


def accepte_json(accept: str | None) -> bool:
    """`Accept` absent, or listing JSON (application/json, the vendor type, any +json,
    application/*, */*) with q > 0."""
    if not accept or not accept.strip():
        return True
    for item in accept.split(","):
        media, q = _media(item)
        if q <= 0:
            continue
        if media in (*MEDIA_JSON, "application/*", "*/*") or media.endswith("+json"):
            return True
    return False


def content_type_json(ct: str | None) -> bool:
    """Content-Type: application/json or application/vnd.dgfip.ficoba3.v1.1+json (protocol
    §1.4-1.5); absent is tolerated (read as JSON)."""
    if ct is None or not ct.strip():
        return True
    return _media(ct)[0] in MEDIA_JSON


def verifier_service(request: Request) -> None:
    service = getattr(request.app.state, "service", None)
    if service is not None and not getattr(service, "disponible", True):
        raise FicobaError("CAT001")


async def lire_json(request: Request) -> Any:
    return (await _lire_json(request))[0]


#: the request headers the resource reads (Starlette's `request.headers.get`: the first of each)
_LUS = frozenset({b"accept", b"content-type", b"content-length"})


async def _lire_json(request: Request) -> tuple[Any, bool]:
    """The body's JSON, and whether it held a number with a fraction or an exponent (a float:
    the answer's encoder must then be Python's own, which spells floats its way)."""
    entetes = pick(request.scope.get("headers"), _LUS)
    accept, content_type = entetes.get("accept"), entetes.get("content-type")
    declared = entetes.get("content-length")
    if not accepte_json(accept):
        raise FicobaError("HTTP406")
    if not content_type_json(content_type):
        raise FicobaError("HTTP406")
    limite = request.app.state.settings.max_body_bytes
    if declared is not None:
        try:
            if int(declared) > limite:
                raise FicobaError("HTTP413")
        except ValueError:
            raise FicobaError("CAT002") from None
    morceaux = bytearray()
    async for chunk in request.stream():
        morceaux += chunk
        if len(morceaux) > limite:
            raise FicobaError("HTTP413")
    if not morceaux.strip():
        raise FicobaError("CAT002")
    lu = request.scope.get("state", {}).get(sc.CORPS_LU)
    if lu is not None and lu[0] == morceaux:  # read by the QA hook already, these very bytes
        return lu[1], lu[2]
    try:
        return sc.lire_corps(bytes(morceaux))
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise FicobaError("CAT002") from None


class DocumentResponse(JSONResponse):
    """A JSONResponse whose bytes are those of `JSONResponse.render` (compact separators, UTF-8,
    `ensure_ascii=False`, key order kept), encoded by orjson when it is installed. Only for
    documents holding no float (orjson spells some floats differently); whatever orjson refuses
    (an integer beyond 64 bits, a lone surrogate, a subclass of a JSON type, deep nesting) goes
    through `JSONResponse.render`."""

    def render(self, content: Any) -> bytes:
        if _orjson is not None:
            try:
                return bytes(_orjson.dumps(content, option=_orjson.OPT_PASSTHROUGH_SUBCLASS))
            except TypeError:
                pass
        return super().render(content)


class FragmentResponse(JSONResponse):
    """A document whose shared parts are `orjson.Fragment`s (already encoded, `wire(...,
    fragments=True)`), encoded by orjson, which copies their bytes. Raises TypeError where
    orjson refuses the rest (then `traiter` renders the plain document with DocumentResponse).
    The bytes are `JSONResponse.render`'s: the fragments are orjson's encoding of the dicts
    DocumentResponse would encode (tests/api/conftest.py checks every answer)."""

    def render(self, content: Any) -> bytes:
        return bytes(_orjson.dumps(content, option=_orjson.OPT_PASSTHROUGH_SUBCLASS))


def appelant(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise FicobaError("900902")
    return caller


class _Slow(Exception):
    """The fast serialiser met something it does not reproduce exactly: use pydantic."""


#: per wire model: (output key, attribute names to read in order, kind, nested model, required)
_Plan = tuple[tuple[str, tuple[str, ...], str, Any, bool], ...]
_PLANS: dict[type[BaseModel], _Plan | None] = {}


def _plan(modele: type[BaseModel]) -> _Plan | None:
    """How pydantic reads (`from_attributes`, alias then name) and dumps (`by_alias`, `mode=json`,
    `exclude_none`) `modele`, for the field types the wire models use; None for anything else."""
    if modele in _PLANS:
        return _PLANS[modele]
    _PLANS[modele] = None  # recursion guard
    decorators = modele.__pydantic_decorators__
    plan: _Plan | None = None
    if not (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.field_serializers
        or decorators.model_serializers
        or decorators.model_validators
        or decorators.computed_fields
    ):
        steps = []
        for name, field in modele.model_fields.items():
            va = field.validation_alias if field.validation_alias is not None else field.alias
            if not isinstance(va, str | None) or field.metadata or field.exclude:
                return None
            if not field.is_required() and field.get_default() is not None:
                return None
            key = field.serialization_alias or field.alias or name
            attrs = tuple(dict.fromkeys(a for a in (va, name) if a))
            ann = field.annotation
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            base = args[0] if isinstance(ann, types.UnionType) and len(args) == 1 else ann
            if base in (str, int):
                steps.append((key, attrs, "scalar", base, field.is_required()))
            elif isinstance(base, type) and issubclass(base, BaseModel):
                steps.append((key, attrs, "model", base, field.is_required()))
            elif typing.get_origin(base) is list and len(typing.get_args(base)) == 1:
                item = typing.get_args(base)[0]
                if not (isinstance(item, type) and issubclass(item, BaseModel)):
                    return None
                steps.append((key, attrs, "list", item, field.is_required()))
            else:
                steps.append((key, attrs, "other", None, field.is_required()))
        plan = tuple(steps)
    _PLANS[modele] = plan
    return plan


#: per (wire model, dataclass type): (output key, attribute or None, kind, nested model, required)
_Bound = tuple[tuple[str, str | None, str, Any, bool], ...]
_BOUND: dict[tuple[type[BaseModel], type], _Bound | None] = {}


def _bind(modele: type[BaseModel], cls: type) -> _Bound | None:
    """`_plan(modele)` with, for each field, the attribute pydantic would read on a `cls`
    instance: the alias if `cls` has it, else the field name (None: neither, the default)."""
    plan = _plan(modele)
    bound: _Bound | None = None
    fields = getattr(cls, "__dataclass_fields__", None)
    if plan is not None and isinstance(fields, dict):
        steps = []
        for key, attrs, kind, sub, required in plan:
            attr = next((a for a in attrs if a in fields or hasattr(cls, a)), None)
            if attr is None and required:
                return None
            steps.append((key, attr, kind, sub, required))
        bound = tuple(steps)
    _BOUND[modele, cls] = bound
    return bound


class DumpMemo:
    """Serialised shared fragments (resultats.PARTAGES): (model, id) -> [the instance, its dump,
    its orjson encoding as an `orjson.Fragment` once asked for].

    The instance is kept with its dump, so its id cannot be reused while the entry lives; bounded
    (emptied when full). One per app (`app.state.dump_memo`, built by `create_app`): no global."""

    def __init__(self, max_entries: int = 16_384) -> None:
        self.max_entries = max_entries
        self.entries: dict[tuple[type[BaseModel], int], list[Any]] = {}


def _dump(modele: type[BaseModel], obj: Any, memo: DumpMemo | None, fragments: bool = False) -> Any:
    """`obj` as `modele` dumps it: a dict, or with `fragments`, for a shared instance, the
    `orjson.Fragment` of that dict (encoded once, then copied by orjson into every answer)."""
    cls = type(obj)
    if memo is not None and cls in PARTAGES:
        key = (modele, id(obj))
        hit = memo.entries.get(key)
        if hit is None or hit[0] is not obj:
            out = _walk(modele, obj, cls, memo)
            if len(memo.entries) >= memo.max_entries:
                memo.entries.clear()
            memo.entries[key] = hit = [obj, out, None]
        if not fragments:
            return hit[1]
        if hit[2] is None:
            hit[2] = _orjson.Fragment(_orjson.dumps(hit[1]))
        return hit[2]
    return _walk(modele, obj, cls, memo, fragments)


def _walk(
    modele: type[BaseModel], obj: Any, cls: type, memo: DumpMemo | None, fragments: bool = False
) -> dict[str, Any]:
    try:
        bound = _BOUND[modele, cls]
    except KeyError:
        bound = _bind(modele, cls)
    if bound is None:
        raise _Slow
    out: dict[str, Any] = {}
    for key, attr, kind, sub, _required in bound:
        if attr is None:
            continue  # not an attribute of this type: the field's default, None, left out
        value = getattr(obj, attr)
        if value is None:
            continue
        if kind == "scalar":
            if type(value) is not sub:
                raise _Slow
            out[key] = value
        elif kind == "model":
            out[key] = _dump(sub, value, memo, fragments)
        elif kind == "list":
            if type(value) is not list:
                raise _Slow
            out[key] = [_dump(sub, v, memo, fragments) for v in value]
        else:
            raise _Slow
    return out


def wire(
    modele: type[BaseModel],
    resultat: Any,
    corps: dict[str, Any],
    memo: DumpMemo | None = None,
    fragments: bool = False,
) -> dict[str, Any]:
    """The answer's JSON: `resultat` (backend.resultats dataclasses) as `modele` dumps it.

    A direct walk over the dataclasses gives the same dict as `model_validate(...,
    from_attributes=True).model_dump(mode="json", by_alias=True, exclude_none=True)` for the
    types the wire models use (str, int, nested models, lists of them), several times faster;
    anything else (a value of another type, a dict field) goes through pydantic. With
    `fragments` (and a memo), the shared parts are `orjson.Fragment`s: for FragmentResponse.
    """
    try:
        dump = _dump(modele, resultat, memo, fragments and _orjson is not None)
    except _Slow:
        dump = modele.model_validate(resultat, from_attributes=True).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    return {"caracteristiquesDemande": sc.echo(corps), **dump}


async def traiter(
    request: Request, lire: Callable[[Any], Demande], modele: type[BaseModel]
) -> JSONResponse:
    try:
        verifier_service(request)
        corps, floats = await _lire_json(request)
        demande = lire(corps)
        backend: Backend = request.app.state.backend
        type_recherche = backend.type_de_recherche(demande)
        caller = appelant(request)
        request.state.search_type = type_recherche  # for the journal / quota engineers
        resultat = backend.executer(caller, demande)
        memo = getattr(request.app.state, "dump_memo", None)
        response: JSONResponse | None = None
        if not floats and memo is not None and _orjson is not None:
            # The large shared parts (accounts, persons) encoded once, copied into each answer.
            try:
                doc = wire(modele, resultat, corps, memo, fragments=True)
                response = FragmentResponse(doc)
            except TypeError:  # orjson refuses something (a big integer in the echo...)
                response = None
        if response is None:
            doc = wire(modele, resultat, corps, memo)
            response = JSONResponse(doc) if floats else DocumentResponse(doc)
        # for the journal: the document these bytes render (it need not parse them again)
        request.state.response_json = (response.body, doc)
        return response
    except FicobaError as err:
        return reponse_erreur(request, err)
    except Exception:  # never a stack trace, never a bare 500
        log.exception("unexpected error on %s", request.url.path)
        return reponse_erreur(request, FicobaError("CAT004"))


# --- routes ------------------------------------------------------------------------------------

_ERREURS: dict[int | str, dict[str, Any]] = {
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

_ENTETES = [
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


def _corps(modele: type[BaseModel], exemples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{modele.__name__}"}
    ex = {nom: {"summary": nom, "value": v} for nom, v in exemples.items()}
    return {
        "parameters": _ENTETES,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema, "examples": ex},
                "application/vnd.dgfip.ficoba3.v1.1+json": {"schema": schema},
            },
        },
    }


def build_router(id_suffix: str = "") -> APIRouter:
    """The resources; `id_suffix` keeps operationIds unique when mounted on both prefixes (the
    gateway path keeps the official operationIds)."""
    router = APIRouter()

    @router.get(
        "/etatSante",
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
        openapi_extra={"parameters": _ENTETES},
    )
    async def etat_sante(request: Request) -> JSONResponse:
        service = getattr(request.app.state, "service", None)
        if service is not None and not getattr(service, "disponible", True):
            err = FicobaError("CAT001")
            return JSONResponse(corps_erreur(err.code, err.message, request), status_code=503)
        return JSONResponse({"descriptif": "L'API est opérationnelle"})

    def post(
        chemin: str,
        operation_id: str,
        tag: str,
        resume: str,
        requete: type[BaseModel],
        reponse: type[BaseModel],
        lire: Callable[[Any], Demande],
        exemples: dict[str, dict[str, Any]],
    ) -> None:
        async def handler(request: Request) -> JSONResponse:
            return await traiter(request, lire, reponse)

        handler.__name__ = operation_id
        FAST_ENDPOINTS.add(handler)  # api/dispatch.py may call it without the router
        router.add_api_route(
            chemin,
            handler,
            methods=["POST"],
            operation_id=operation_id + id_suffix,
            tags=[tag],
            summary=resume,
            response_model=None,
            responses={
                200: {"model": reponse, "description": "Recherche effectuée avec succès"},
                **_ERREURS,
            },
            openapi_extra=_corps(requete, exemples),
        )

    post(
        "/comptes/numCpte",
        "rechercherCompteParNumCpte",
        "OS041 - RechercherComptesParNumCpte",
        "Rechercher compte clos et actif par numéro de compte (IBAN)",
        sc.DemandeRestitRechCompte,
        sc.ReponseListeFinaleComptes,
        sc.lire_num_cpte,
        EXEMPLES["numCpte"],
    )
    post(
        "/comptes/siretSiren",
        "rechercherCompteParSiretSiren",
        "OS044 - RechercherComptesParSiretSiren",
        "Rechercher les comptes par SIRET ou SIREN",
        sc.DemandeRestitSiretSiren,
        sc.ReponseListeFinaleComptesPourPM,
        sc.lire_siret_siren,
        EXEMPLES["siretSiren"],
    )
    post(
        "/comptes/spi",
        "rechercherComptesSpi",
        "OS045 - RechercherComptesParSpi",
        "Rechercher les comptes par identifiant fiscal (SPI)",
        sc.DemandeRestitRechSpi,
        sc.ReponseListeFinaleComptesPourPP,
        sc.lire_spi,
        EXEMPLES["spi"],
    )
    post(
        "/comptes/perPhy",
        "rechercherComptesPersonnePhysique",
        "OS043 - RechercherComptesPerPhy",
        "Rechercher les comptes d'une personne physique (état civil, lieu de naissance, adresse)",
        sc.DemandeRestitRechPerPhy,
        sc.ReponseListeFinaleComptesPourPP,
        sc.lire_per_phy,
        EXEMPLES["perPhy"],
    )
    post(
        "/comptes/perPro",
        "rechercherComptesPerPro",
        "OS042 - RechercherComptesPerPro",
        "Rechercher les comptes d'une personne morale (désignation, adresse)",
        sc.DemandeRestitRechPerPro,
        sc.ReponseListeFinaleComptesPourPM,
        sc.lire_per_pro,
        EXEMPLES["perPro"],
    )
    post(
        "/comptes/verifIban",
        "rechercherCompteParNumCpte_1",
        "OS050 - VerifierTitulaireIban",
        "Vérifier le titulaire d'un IBAN (personne physique, morale ou SIREN/SIRET)",
        sc.DemandeRestitVerifIban,
        sc.ReponseListeFinaleComptes,
        sc.lire_verif_iban,
        EXEMPLES["verifIban"],
    )
    post(
        "/comptes/multiDet",
        "rechercherMultiDetention",
        "OS035 - RechercherMutiDetention",
        "Contrôler la multi-détention d'un compte d'épargne réglementée",
        sc.DemandeRestitMultiDet,
        sc.ReponseMultiDetention,
        sc.lire_multi_det,
        EXEMPLES["multiDet"],
    )
    return router
