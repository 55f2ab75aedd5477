"""The error codes of the FICOBA backend (CONTRACT §6.3) and of the DGFiP gateway (§6.4).

One table, one exception type: every layer raises `FicobaError(code)` (optionally with a detail
that completes the message, as CAF001/CAF002 do) and the API edge renders it as
`{"erreur": {"code", "message", "horodatage"}}`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    message: str
    http_status: int


def _table(*rows: tuple[str, str, int]) -> dict[str, ErrorCode]:
    return {code: ErrorCode(code, message, status) for code, message, status in rows}


# CONTRACT §6.3, protocol v11 Annex 9. Messages copied verbatim (no-space form of the code, §9 #10).
BACKEND_CODES: dict[str, ErrorCode] = _table(
    # CAT001 is listed with 500 in Annex 9, but §6.2 maps "Service temporairement indisponible ou en
    # maintenance" to 503: the sandbox answers 503 (docs/contract-choices.md).
    ("CAT001", "Service temporairement indisponible ou en maintenance", 503),
    ("CAT002", "Le format JSON n'est pas correct.", 400),
    ("CAT003", "Erreur technique SQL", 500),
    ("CAT004", "Erreur technique interne Ficoba", 500),
    ("CAT005", "L'identifiant de corrélation est obligatoire.", 400),
    ("CAT006", "Problème APIM-DGFIP", 401),
    ("CAT007", "Erreur technique bac à sable.", 500),
    ("CAT008", "Erreur lors de la récupération du jeton.", 500),
    ("CAT009", "La rubrique organisation est absente.", 500),
    ("CAT010", "La rubrique application est absente.", 500),
    ("CAT011", "La rubrique KEYTYPE du jeton est absente.", 500),
    ("CAT012", "Le jeton X-Request-ID est obligatoire.", 500),
    ("CAF001", "Absence du critère obligatoire :", 400),
    ("CAF002", "Format incorrect :", 400),
    ("CAF003", "Code motif invalide", 400),
    ("CAF004", "Format SPI incorrect", 400),
    ("CAF005", "Format SPI erroné", 400),
    ("CAF007", "Aucun compte associé à ce SPI", 200),
    ("CAF009", "Aucun compte associé à ce SIRENSIRET", 200),
    ("CAF010", "Un SIREN et un SIRET sont présents simultanément", 400),
    ("CAF011", "Aucun IBAN correspondant trouvé", 200),
    (
        "CAF012",
        "Les dates de naissances exactes et par intervalles sont simultanément renseignées",
        400,
    ),
    ("CAF013", "Aucun compte associé à la Personne Physique", 200),
    ("CAF015", "Aucun compte associé à la personne Morale", 200),
    ("CAF016", "Il ne peut être renseigné qu'une adresse en France", 400),
    ("CAF017", "CodeNatureCompte non autorisé", 400),
    (
        "CAF018",
        "Les indicatifs du type de recherche ne peuvent être simultanément renseignés à la même valeur",
        400,
    ),
    (
        "CAF019",
        "Incohérence entre l'indicatif du type de personne recherchée et les données saisies en entrée",
        400,
    ),
    ("CAF020", "Aucun compte réglementé de même nature trouvé", 200),
    ("CAF021", "Aucun compte trouvé", 200),
    ("CAF022", "Aucun établissement correspondant trouvé", 200),
    ("CAF023", "Aucun guichet correspond trouvé", 200),
    (
        "CAF024",
        "Au moins une des dates de la recherche est située dans le futur par rapport à la date du jour",
        400,
    ),
    ("CAF025", "Un seul booléen peut être renseigné à 1 à la fois.", 400),
    ("CAF026", "Aucune personne morale ou physique associée à ce compte.", 200),
    ("CAF027", "Le code pays doit être 99100", 400),
    ("CAF028", "Aucune adresse correspondante trouvée", 200),
    ("CAF029", "Aucune compte trouvée à cette adresse", 200),
    ("CAF030", "Le demandeur est inconnu.", 400),
    ("CAF031", "Pas d'autorisation pour le motif et le type de recherche.", 400),
    ("CAF032", "L'intervalle de date de la demande ne peut être supérieur à 1 an.", 400),
    (
        "CAF033",
        "La période entre la date du jour et l'une des dates de la recherche ne peut être supérieure à 10 ans.",
        400,
    ),
    ("CAF034", "Nature de compte inconnue.", 400),
    ("CAF035", "Date naissance incomplète pour une personne née en France", 400),
    (
        "CAF036",
        "Il y a trop de réponses satisfaisant aux critères. Veuillez affiner les critères de recherche",
        400,
    ),
    ("CAF037", "Le demandeur n'est pas lié au Code Établissement recherché", 400),
    ("CAF038", "Code Pays de naissance inconnu du référentiel INSEE", 400),
    ("CAF039", "Code Commune de naissance inconnu du référentiel INSEE", 400),
    ("CAF040", "Code Pays Adresse inconnu du référentiel INSEE", 400),
    ("CAF041", "Code Commune Adresse inconnu du référentiel INSEE", 400),
)

# CONTRACT §6.4: the gateway (APIM) codes. HTTP statuses are the standard WSO2 mapping [I].
GATEWAY_CODES: dict[str, ErrorCode] = _table(
    ("900901", "Invalid Credentials", 401),
    ("900902", "Missing Credentials", 401),
    ("900910", "The access token does not allow you to access the requested resource", 403),
    ("900804", "Message throttled out", 429),
    ("910000", "Le paramètre X-Correlation-ID n'est pas présent dans le header HTTP", 400),
)

# HTTP-level errors of CONTRACT §6.2 that have no code of their own in Annex 9; the sandbox gives
# them a stable code so clients can switch on it.
HTTP_CODES: dict[str, ErrorCode] = _table(
    ("HTTP403", "Les droits d'accès ne permettent pas au client d'accéder à la ressource", 403),
    ("HTTP404", "Ressource inconnue", 404),
    ("HTTP405", "Méthode non autorisée", 405),
    ("HTTP406", "Seul le JSON est accepté", 406),
    ("HTTP408", "Temps d'attente d'une réponse du serveur écoulé", 408),
    ("HTTP413", "Le corps de la requête dépasse la taille maximale autorisée", 413),
    ("HTTP415", "Seul le JSON est accepté", 415),
    ("HTTP509", "Limite de bande passante dépassée", 509),
)

ALL_CODES: dict[str, ErrorCode] = {**BACKEND_CODES, **GATEWAY_CODES, **HTTP_CODES}

#: The "no result" codes that come back with HTTP 200 in `messageInformatif` (CONTRACT §6.1, §9 #9).
NO_RESULT_CODES = frozenset(c for c, e in BACKEND_CODES.items() if e.http_status == 200)


class FicobaError(Exception):
    """An error answered in the API's own format. `detail` completes CAF001/CAF002 messages."""

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        http_status: int | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        entry = ALL_CODES[code]
        self.code = code
        if message is None:
            message = f"{entry.message} {detail}" if detail else entry.message
        self.message = message
        self.http_status = http_status if http_status is not None else entry.http_status
        self.headers = headers or {}
        super().__init__(f"{code} {self.message}")
