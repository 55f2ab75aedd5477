"""`GET explain/{client_id}`: what was wrong with a client's last refused call, in French and
English, with the section of the contract (docs/CONTRACT.md, §6-§8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from ficoba_sandbox.admin.common import PREFIX
from ficoba_sandbox.domain.errors import ALL_CODES
from ficoba_sandbox.sandbox import Sandbox

#: code -> (French, English, contract section)
EXPLANATIONS: dict[str, tuple[str, str, str]] = {
    "910000": (
        "L'en-tête X-Correlation-ID est absent, en double ou n'est pas un UUID : ajoutez un UUID "
        "unique par appel (il vous est renvoyé tel quel).",
        "The X-Correlation-ID header is missing, repeated or not a UUID: send one fresh UUID per "
        "call (it is echoed back).",
        "§2.1, §6.4",
    ),
    "900902": (
        "Aucun jeton : ajoutez « Authorization: Bearer <access_token> », jeton obtenu sur /token "
        "(client_credentials, authentification Basic).",
        "No token: send 'Authorization: Bearer <access_token>', obtained from /token "
        "(client_credentials grant, HTTP Basic client authentication).",
        "§7, §6.4",
    ),
    "900901": (
        "Jeton invalide : expiré, mal formé, révoqué, ou présenté avec un autre certificat client "
        "que celui pour lequel il a été émis (liaison RFC 8705). Redemandez un jeton.",
        "Invalid token: expired, malformed, revoked, or presented with another client "
        "certificate than the one it was issued to (RFC 8705 binding). Get a new token.",
        "§7, §6.4",
    ),
    "900910": (
        "Votre habilitation ne couvre pas ce type de recherche (modalité DataPass absente), "
        "ou le jeton ne porte pas le scope d'opération de cette ressource.",
        "Your authorisation does not cover this search type (DataPass modality not granted), "
        "or the token lacks the gateway's operation scope of this resource.",
        "§7.2, §6.4",
    ),
    "900804": (
        "Quota d'appels par minute dépassé : attendez le délai de l'en-tête Retry-After.",
        "Per-minute call quota exceeded: wait for the Retry-After delay.",
        "§8, §6.4",
    ),
    "CAT001": (
        "Service en maintenance ou indisponible : réessayez plus tard (Retry-After).",
        "Service down or in maintenance: retry later (Retry-After).",
        "§6.2, §6.3",
    ),
    "CAT002": (
        "Le corps n'est pas un JSON valide (syntaxe, encodage UTF-8, corps vide).",
        "The body is not valid JSON (syntax, UTF-8 encoding, empty body).",
        "§6.1, §6.3",
    ),
    "CAT003": (
        "Erreur technique côté FICOBA : réessayez.",
        "Technical error on the FICOBA side: retry.",
        "§6.3",
    ),
    "CAT004": (
        "Erreur technique interne FICOBA : réessayez.",
        "Internal FICOBA error: retry.",
        "§6.3",
    ),
    "CAT007": (
        "Erreur technique du bac à sable : réessayez.",
        "Sandbox technical error: retry.",
        "§6.3",
    ),
    "CAF001": (
        "Un critère obligatoire manque (le message nomme l'attribut).",
        "A mandatory criterion is missing (the message names the attribute).",
        "§2.2, §3, §6.3",
    ),
    "CAF002": (
        "Un attribut a un format incorrect (le message le nomme) : longueur, chiffres, clé "
        "IBAN/RIB, date AAAA-MM-JJ, valeurs 0/1.",
        "An attribute is badly formatted (the message names it): length, digits, IBAN/RIB key, "
        "YYYY-MM-DD date, 0/1 flags.",
        "§2.2, §3, §6.3",
    ),
    "CAF003": (
        "Code motif inconnu : utilisez un motif de votre convention (voir votre fichier client).",
        "Unknown motif: use a motif of your agreement (see your client file).",
        "§2.2, §6.3",
    ),
    "CAF004": ("Le SPI doit avoir 13 chiffres.", "The SPI must have 13 digits.", "§3.2, §6.3"),
    "CAF005": (
        "Le SPI doit commencer par 0, 1, 2 ou 3.",
        "The SPI must start with 0, 1, 2 or 3.",
        "§3.2, §6.3",
    ),
    "CAF010": (
        "Donnez un SIREN ou un SIRET, pas les deux.",
        "Give a SIREN or a SIRET, not both.",
        "§3.3, §6.3",
    ),
    "CAF018": (
        "Un et un seul indicateur de type de recherche doit valoir « 1 ».",
        "Exactly one search-type flag must be '1'.",
        "§3.6, §3.7, §6.3",
    ),
    "CAF019": (
        "Les données fournies ne correspondent pas à l'indicateur de type de personne.",
        "The data given does not match the person-type flag.",
        "§3.6, §3.7, §6.3",
    ),
    "CAF024": (
        "Une date de la demande est dans le futur.",
        "A date of the request is in the future.",
        "§2.2, §6.3",
    ),
    "CAF030": (
        "Le SIRET/SIREN demandeur n'est pas celui de votre habilitation.",
        "The requester SIRET/SIREN is not the one of your authorisation.",
        "§2.2, §6.3",
    ),
    "CAF031": (
        "Ce motif n'autorise pas ce type de recherche.",
        "This motif does not allow this search type.",
        "§2.2, §6.3",
    ),
    "CAF036": (
        "Trop de réponses : affinez les critères (prénoms, date et lieu de naissance, adresse).",
        "Too many matches: narrow the criteria (first names, birth date and place, address).",
        "§3.4, §3.5, §6.3",
    ),
    "HTTP406": (
        "Seul le JSON est accepté : Content-Type et Accept application/json.",
        "Only JSON is accepted: Content-Type and Accept application/json.",
        "§1, §6.2",
    ),
    "HTTP408": (
        "Délai de réponse dépassé : réessayez.",
        "Response time-out: retry.",
        "§6.2",
    ),
    "HTTP413": (
        "Corps de requête trop volumineux.",
        "Request body too large.",
        "§6.2",
    ),
    "HTTP509": (
        "Limite de bande passante dépassée : réessayez plus tard.",
        "Bandwidth limit exceeded: retry later.",
        "§6.2",
    ),
}


def explain(code: str | None, message: str | None = None) -> dict[str, Any]:
    entry = ALL_CODES.get(code or "")
    fr, en, section = EXPLANATIONS.get(
        code or "",
        (
            f"Code {code} : {entry.message}." if entry else "Refus sans code reconnu.",
            f"Code {code}: see the contract's code table." if entry else "Refusal without a code.",
            "§6.3" if (code or "").startswith("CA") else "§6",
        ),
    )
    return {
        "code": code,
        "message": message or (entry.message if entry else None),
        "fr": fr,
        "en": en,
        "contract_section": section,
    }


def explain_call(
    sandbox: Sandbox, client_id: str, row: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Why the call of journal row `row` got its answer (None: the client's last refused call
    the feedback kept), or None when neither knows of one. Also the console's "why" beside a
    journal row (console/journal.py)."""
    # the journal has every refusal but only its code; the feedback has the message (which
    # names the attribute at fault) but only for refused resource calls (qa/feedback.py)
    feedback = sandbox.feedback
    seen = feedback.find(client_id, row.get("request_id") if row else None)
    if seen is None and row is None:
        seen = feedback.last(client_id)
    if row is None and seen is None:
        return None
    code = (seen or {}).get("code") or (row or {}).get("error_code")
    message = (seen or {}).get("message")
    call = row or seen or {}
    out = {
        "client_id": client_id,
        "call": {
            "ts": call.get("ts"),
            "method": call.get("method"),
            "path": call.get("path"),
            "status": call.get("status"),
            "correlation_id": call.get("correlation_id"),
            "request_id": call.get("request_id"),
            "search_type": (row or {}).get("search_type"),
            # the rights at stake: those of the token, the one the search type requires
            "granted_scopes": (row or {}).get("granted_scopes"),
            "required_modality": (row or {}).get("required_modality"),
            "required_operation_scope": (row or {}).get("required_operation_scope"),
        },
        **explain(code, message),
    }
    modality = (row or {}).get("required_modality")
    operation_scope = (row or {}).get("required_operation_scope")
    granted = ((row or {}).get("granted_scopes") or "").split()
    if code == "900910" and operation_scope and operation_scope not in granted:
        # refused by the gateway's operation scope (gateway/checks.py), not the modality
        out["fr"] += (
            f" Le jeton ne porte pas le scope d'opération {operation_scope} :"
            " demandez-le dans le paramètre scope de POST /token."
        )
        out["en"] += (
            f" The token lacks the operation scope {operation_scope}:"
            " ask for it in the scope parameter of POST /token."
        )
    elif code == "900910" and modality:
        out["fr"] += f" Modalité requise : {modality}."
        out["en"] += f" Modality required: {modality}."
    if seen and seen.get("scenario"):
        out["scenario"] = seen["scenario"]
    if seen and seen.get("fault"):
        out["fault"] = True
        out["fr"] = "Erreur injectée par une panne configurée (admin /faults). " + out["fr"]
        out["en"] = "Error injected by a configured fault (admin /faults). " + out["en"]
    return out


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["explain"])

    @r.get("/explain/{client_id}", summary="The client's last refused call")
    def explain_client(client_id: str) -> dict[str, Any]:
        out = explain_call(sandbox, client_id, sandbox.journal.last_rejected(client_id))
        if out is None:
            raise HTTPException(404, f"no refused call of {client_id!r} on record")
        return out

    return r
