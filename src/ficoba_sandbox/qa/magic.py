"""The magic-value catalogue: reserved inputs that force each outcome.

Pure: no FastAPI, no I/O. The API's pipeline (`api/pipeline.py`, its `magic` step) applies it, the admin plane publishes
it (`GET /__sandbox/magic`), the scenario packs refer to its entries by name.

Two mechanisms, one catalogue:

- **data**: the outcome is produced by the real backend from real records, the magic personas of
  `fixtures/personas/magic.yaml` (bank 99999 "BANQUE DU BAC A SABLE", SPIs `39999...`, SIRENs
  `99999...`, names `SANDBOX ...`), or from reserved identifiers that no record holds (so the
  backend answers its own "no result" code). Nothing is faked: the response is what the backend
  computes.
- **forced**: outcomes the dataset cannot produce on demand (technical errors, CAF022/CAF023/
  CAF028/CAF029, CAF036, the 429 without 200 calls). The trigger is a reserved value (an IBAN of
  branch 99999-00500, a reserved name); the request is first processed for real, and the forced
  outcome replaces the answer **only if the real answer was HTTP 200**. A magic value never turns
  an invalid request into a success: validation (and every other 4xx) wins.

Every entry can also be asked for by name: header `X-Sandbox-Scenario: <name>` (or the token
`sandbox-scenario:<name>` anywhere in `justification`, for clients that cannot add headers). The
caller's request is processed for real first; if it is answered 200, the named outcome is given:
a forced entry replaces the answer, a data entry answers as if the request's `criteresRecherche`
had been the entry's (the echo shows them). Unknown name: 400 listing the valid ones.

Identifiers are stable across releases: tests pin them (tests/qa/test_magic.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.domain.errors import ALL_CODES, FicobaError
from ficoba_sandbox.domain.identifiers import build_fr_iban, make_siren, make_siret, make_spi
from ficoba_sandbox.domain.normalize import normalize_text
from ficoba_sandbox.gateway.quota import throttled

HEADER = "X-Sandbox-Scenario"
JUSTIFICATION_TOKEN = re.compile(r"sandbox-scenario:([A-Za-z0-9_-]+)", re.IGNORECASE)

#: The reserved bank of every magic account (data/reserved.py: never generated).
BANK = "99999"
BANK_LABEL = "BANQUE DU BAC A SABLE"
BANK_BIC = "SBXAFRPPXXX"
BRANCH_DATA = "00001"  # accounts that exist (magic personas)
BRANCH_MISSING = "00002"  # accounts that exist nowhere (CAF011)
BRANCH_FORCED = "00500"  # forced outcomes on the IBAN resources


def iban(branch: str, number: int) -> str:
    return build_fr_iban(BANK, branch, f"{number:011d}")


def spi(n: int) -> str:
    """Reserved SPI: 13 digits starting with 3 (generated SPIs start with 1 or 2)."""
    return make_spi(f"39999{n:05d}")


def siren(n: int) -> str:
    """Reserved SIREN: starting with 9 (generated SIRENs start with 1-8)."""
    return make_siren(f"99999{n:03d}")


# --- the records of fixtures/personas/magic.yaml (tests check both agree) -------------------

IBAN_CLOSED = iban(BRANCH_DATA, 1)
IBAN_JOINT = iban(BRANCH_DATA, 2)
IBAN_DECEASED = iban(BRANCH_DATA, 3)
IBAN_SUCCESSION = iban(BRANCH_DATA, 4)
IBAN_SAFE_BOX = iban(BRANCH_DATA, 5)
IBAN_NO_HOLDER = iban(BRANCH_DATA, 6)
IBAN_LIVRET_A = iban(BRANCH_DATA, 7)
IBAN_NO_LIVRET = iban(BRANCH_DATA, 8)
IBAN_ENTITY = iban(BRANCH_DATA, 9)
IBAN_MISSING = iban(BRANCH_MISSING, 11)

SPI_CLOSED = spi(1)
SPI_JOINT_A = spi(2)
SPI_DECEASED = spi(3)
SPI_SUCCESSION = spi(4)
SPI_SAFE_BOX = spi(5)
SPI_MULTIDET = spi(6)
SPI_NO_LIVRET = spi(7)
SPI_MISSING = spi(999)

SIREN_ENTITY = siren(1)
SIRET_ENTITY = make_siret(SIREN_ENTITY, "0001")
SIREN_MISSING = siren(999)

DATE_CLOSED = "2024-06-30"
DATE_DEATH = "2023-05-02"
DATE_DECEASED_CLOSED = "2023-09-15"


@dataclass(frozen=True)
class Person:
    """A magic natural person, as the requests need it (the YAML holds the full record)."""

    id: str
    nom: str
    prenoms: str
    annee: str
    mois: str
    jour: str
    sexe: str = "1"
    pays: str = "99100"
    departement: str = "75"
    commune: str = "056"
    spi: str = ""


PERSONS: dict[str, Person] = {
    p.id: p
    for p in (
        Person("sbx-cloture", "SANDBOX CLOTURE", "CAMILLE", "1970", "1", "1", spi=SPI_CLOSED),
        Person("sbx-joint-a", "SANDBOX JOINT", "ALEX", "1980", "2", "2", spi=SPI_JOINT_A),
        Person("sbx-joint-b", "SANDBOX JOINT", "SACHA", "1981", "3", "3", "2"),
        Person("sbx-decede", "SANDBOX DECEDE", "DOMINIQUE", "1940", "4", "4", spi=SPI_DECEASED),
        Person(
            "sbx-succession", "SANDBOX SUCCESSION", "CLAUDE", "1945", "5", "5", spi=SPI_SUCCESSION
        ),
        Person("sbx-coffre", "SANDBOX COFFRE", "MORGAN", "1975", "6", "6", spi=SPI_SAFE_BOX),
        Person(
            "sbx-multidetention",
            "SANDBOX MULTIDETENTION",
            "LOUISE",
            "1990",
            "7",
            "7",
            "2",
            spi=SPI_MULTIDET,
        ),
        Person(
            "sbx-sanslivret", "SANDBOX SANSLIVRET", "JULES", "1992", "8", "8", spi=SPI_NO_LIVRET
        ),
    )
}
ENTITY_NAME = "SANDBOX ASSOCIATION"
ENTITY_CATEGORY = "9220"

#: Reserved names that no record holds (data: "no result") or that force an outcome.
NAME_UNKNOWN_PERSON = "SANDBOX INCONNU"
NAME_UNKNOWN_ENTITY = "SANDBOX INCONNUE"


# --- the entries ----------------------------------------------------------------------------

Kind = Literal["data", "forced"]
Effect = Literal["error", "info", "data"]

RESOURCES = ("numCpte", "spi", "siretSiren", "perPhy", "perPro", "verifIban", "multiDet")


@dataclass(frozen=True)
class Trigger:
    """A forced entry's reserved value: `criteresRecherche.<path>` equals `value` (an IBAN
    without spaces, in capitals; a name compared normalised) on `resource`."""

    resource: str
    path: tuple[str, ...]
    value: str

    def key(self, found: str) -> str:
        """What is compared: an IBAN as the backend reads it, a name normalised."""
        if self.path[-1] == "iban":
            return found.replace(" ", "").upper()
        return normalize_text(found)

    def found_in(self, body: Any) -> str | None:
        """The text at `criteresRecherche.<path>` of a request body, if any."""
        node: Any = body.get("criteresRecherche") if isinstance(body, dict) else None
        for name in self.path:
            if not isinstance(node, dict):
                return None
            node = node.get(name)
        return node if isinstance(node, str) else None

    def matches(self, resource: str, body: Any) -> bool:
        found = self.found_in(body) if resource == self.resource else None
        return found is not None and self.key(found) == self.key(self.value)


@dataclass(frozen=True)
class Entry:
    name: str
    title: str  # one line, English
    titre: str  # one line, French
    resource: str  # numCpte, spi, ...
    search_type: SearchType
    criteres: Mapping[str, Any]
    status: int
    code: str | None  # erreur.code (status >= 400) or messageInformatif.code (200)
    kind: Kind
    #: forced entries: "error" (an error body) or "info" (a 200 with messageInformatif)
    effect: Effect = "data"
    trigger: Trigger | None = None
    #: technical entries apply on every resource when asked by name (header / justification)
    any_resource: bool = False
    delay_seconds: float = 0.0
    headers_expected: tuple[str, ...] = ()
    #: JSON fields of the response: path -> value (equal), and paths present / absent
    fields_equal: Mapping[str, Any] = field(default_factory=dict)
    fields_present: tuple[str, ...] = ()
    fields_absent: tuple[str, ...] = ()
    contract: str = ""

    @property
    def path(self) -> str:
        return f"/comptes/{self.resource}"

    @property
    def code_field(self) -> str | None:
        if self.code is None:
            return None
        return "erreur.code" if self.status >= 400 else "messageInformatif.code"

    def body(self, siret: str, motif: str, today: date | str) -> dict[str, Any]:
        return envelope(siret, motif, today, self.criteres, justification=f"QA {self.name}")


def envelope(
    siret: str,
    motif: str,
    today: date | str,
    criteres: Mapping[str, Any],
    *,
    justification: str = "QA ficoba-sandbox",
) -> dict[str, Any]:
    return {
        "dateDemande": today if isinstance(today, str) else today.isoformat(),
        "motif": motif,
        "siretDemandeur": siret,
        "sirenDemandeur": "",
        "justification": justification,
        "criteresRecherche": copy.deepcopy(dict(criteres)),
    }


# --- request criteria builders ----------------------------------------------------------------


def num_cpte(iban_: str, verification: str = "0") -> dict[str, Any]:
    return {"iban": iban_, "verificationCompte": verification}


def _etat_civil(p: Person) -> dict[str, str]:
    return {
        "nom": p.nom,
        "prenoms": p.prenoms,
        "sexe": "",
        "anneeNaissance": p.annee,
        "moisNaissance": p.mois,
        "jourNaissance": p.jour,
    }


def _lieu(p: Person) -> dict[str, str]:
    return {
        "codePaysNaissance": p.pays,
        "codeDepartementNaissance": p.departement,
        "codeCommuneNaissance": p.commune,
    }


def per_phy(p: Person) -> dict[str, Any]:
    return {"etatCivil": _etat_civil(p), "lieuNaissance": _lieu(p)}


def _nom(nom: str) -> Person:
    return Person("-", nom, "ANNE", "1985", "1", "1")


def per_pro(raison_sociale: str) -> dict[str, Any]:
    return {
        "designation": {
            "raisonSociale": raison_sociale,
            "sigle": "",
            "enseigne": "",
            "codeCategorieJuridique": "",
        }
    }


def verif_iban_pp(iban_: str, p: Person) -> dict[str, Any]:
    return {
        "iban": iban_,
        "recherchePP": "1",
        "recherchePM": "0",
        "rechercheSirenSiret": "0",
        "etatCivil": _etat_civil(p),
        "lieuNaissance": _lieu(p),
    }


def multi_det_pp(p: Person, accord: str, nature: str = "201") -> dict[str, Any]:
    return {
        "accordClient": accord,
        "codeNatureCompte": nature,
        "recherchePP": "1",
        "recherchePM": "0",
        "rechercheSIRENSIRET": "0",
        "criteresRecherchePhy": {"etatCivil": _etat_civil(p), "lieuNaissance": _lieu(p)},
    }


def verif_iban_pm(iban_: str, raison_sociale: str, categorie: str) -> dict[str, Any]:
    # protocol v11 §7.3.2 (the PM example's criteria): the legal category is mandatory here
    designation = per_pro(raison_sociale)["designation"]
    return {
        "iban": iban_,
        "recherchePP": "0",
        "recherchePM": "1",
        "rechercheSirenSiret": "0",
        "designation": {**designation, "codeCategorieJuridique": categorie},
    }


def verif_iban_siret(iban_: str, siret: str = "", siren: str = "") -> dict[str, Any]:
    # one of the two identifiers, never both (CAF010), as the protocol's SIRET example
    return {
        "iban": iban_,
        "recherchePP": "0",
        "recherchePM": "0",
        "rechercheSirenSiret": "1",
        **per_pro(""),
        "siret": siret,
        "siren": siren,
    }


def multi_det_pm(raison_sociale: str, accord: str, nature: str = "201") -> dict[str, Any]:
    return {
        "accordClient": accord,
        "codeNatureCompte": nature,
        "recherchePP": "0",
        "recherchePM": "1",
        "rechercheSIRENSIRET": "0",
        "criteresRecherchePro": per_pro(raison_sociale),
    }


def multi_det_siren(siren_: str, accord: str, nature: str = "201") -> dict[str, Any]:
    return {
        "accordClient": accord,
        "codeNatureCompte": nature,
        "recherchePP": "0",
        "recherchePM": "0",
        "rechercheSIRENSIRET": "1",
        "criteresSiretSiren": {"siret": "", "siren": siren_},
    }


#: One valid request per resource that the backend answers 200 with no result: the body to send
#: with `X-Sandbox-Scenario` when any valid request will do.
NEUTRAL: dict[str, dict[str, Any]] = {
    "numCpte": num_cpte(IBAN_MISSING),
    "spi": {"numeroSPI": SPI_MISSING},
    "siretSiren": {"siret": "", "siren": SIREN_MISSING},
    "perPhy": per_phy(_nom(NAME_UNKNOWN_PERSON)),
    "perPro": per_pro(NAME_UNKNOWN_ENTITY),
    "verifIban": verif_iban_pp(IBAN_MISSING, _nom(NAME_UNKNOWN_PERSON)),
    "multiDet": multi_det_siren(SIREN_MISSING, "1"),
}
SEARCH_TYPE_OF_NEUTRAL: dict[str, SearchType] = {
    "numCpte": SearchType.COMPTE,
    "spi": SearchType.SPI,
    "siretSiren": SearchType.SIREN_SIRET,
    "perPhy": SearchType.PERSONNE_PHYSIQUE,
    "perPro": SearchType.PERSONNE_MORALE,
    "verifIban": SearchType.VERIF_IBAN_PP,
    "multiDet": SearchType.MULTIDET_SIRET,
}

_P = PERSONS
_C = "caracteristiqueCompte"
_T = SearchType


def _forced_iban(n: int) -> str:
    return iban(BRANCH_FORCED, n)


def _data(name: str, title: str, titre: str, resource: str, st: SearchType,
          criteres: Mapping[str, Any], status: int,
          code: str | None, contract: str, **kw: Any) -> Entry:  # fmt: skip
    return Entry(name, title, titre, resource, st, criteres, status, code, "data",
                 contract=contract, **kw)  # fmt: skip


def _technical(name: str, n: int, code: str, title: str, titre: str, **kw: Any) -> Entry:
    ib = _forced_iban(n)
    status = ALL_CODES[code].http_status
    return Entry(
        name, title, titre, "numCpte", _T.COMPTE, num_cpte(ib), status, code, "forced",
        effect="error", trigger=Trigger("numCpte", ("iban",), ib), any_resource=True,
        contract="§6.2, §6.3", **kw,
    )  # fmt: skip


def _info(name: str, resource: str, st: SearchType, criteres: Mapping[str, Any],
          trigger: Trigger, code: str,
          title: str, titre: str, contract: str) -> Entry:  # fmt: skip
    return Entry(name, title, titre, resource, st, criteres, 200, code, "forced", effect="info",
                 trigger=trigger, contract=contract)  # fmt: skip


_perphy_named = {
    "CAF028": "SANDBOX ADRESSEINCONNUE",
    "CAF029": "SANDBOX HORSADRESSE",
    "CAF036": "SANDBOX TROPDEREPONSES",
}

ENTRIES: tuple[Entry, ...] = (
    # -- "no result" codes (HTTP 200, messageInformatif) ------------------------------------
    _data("spi-no-account", "SPI unknown to the file", "SPI inconnu du fichier", "spi", _T.SPI,
          {"numeroSPI": SPI_MISSING}, 200, "CAF007", "§3.2, §6.3",
          fields_equal={"nombreReponses": "000"}),
    _data("siren-no-account", "SIREN unknown to the file", "SIREN inconnu du fichier",
          "siretSiren", _T.SIREN_SIRET, {"siret": "", "siren": SIREN_MISSING}, 200, "CAF009",
          "§3.3, §6.3", fields_equal={"nombreReponses": "000"}),
    _data("iban-not-found", "IBAN unknown to the file", "IBAN inconnu du fichier", "numCpte",
          _T.COMPTE, num_cpte(IBAN_MISSING), 200, "CAF011", "§3.1, §6.3",
          fields_equal={"nombreReponses": "000"}),
    _data("person-no-account", "No natural person of that identity",
          "Aucune personne physique de cette identité", "perPhy", _T.PERSONNE_PHYSIQUE,
          per_phy(_nom(NAME_UNKNOWN_PERSON)), 200, "CAF013", "§3.5, §6.3"),
    _data("entity-no-account", "No legal entity of that name", "Aucune personne morale de ce nom",
          "perPro", _T.PERSONNE_MORALE, per_pro(NAME_UNKNOWN_ENTITY), 200, "CAF015",
          "§3.4, §6.3"),
    _data("multidet-not-found-with-consent", "Multi-holding: no regulated account (consent)",
          "Multi-détention : aucun compte réglementé (accord client)", "multiDet", _T.MULTIDET_PP,
          multi_det_pp(_P["sbx-sanslivret"], "1"), 200, "CAF020", "§3.7",
          fields_equal={"nRep": "0"}, fields_absent=("comptes",)),
    _data("multidet-not-found-without-consent",
          "Multi-holding: no regulated account (no consent)",
          "Multi-détention : aucun compte réglementé (sans accord client)", "multiDet",
          _T.MULTIDET_PP, multi_det_pp(_P["sbx-sanslivret"], "0"), 200, "CAF020", "§3.7",
          fields_equal={"nRep": "0"}, fields_absent=("comptes",)),
    _data("verif-iban-holder-mismatch", "IBAN exists, the person is not its holder",
          "L'IBAN existe, la personne n'en est pas titulaire", "verifIban", _T.VERIF_IBAN_PP,
          verif_iban_pp(IBAN_JOINT, _P["sbx-cloture"]), 200, "CAF021", "§3.6",
          fields_equal={"reponses.verificationCompte.ibanExistant": "0"}),
    _info("no-establishment", "numCpte", _T.COMPTE, num_cpte(_forced_iban(22)),
          Trigger("numCpte", ("iban",), _forced_iban(22)), "CAF022",
          "No establishment for this bank code", "Aucun établissement correspondant",
          "§6.3"),
    _info("no-branch", "numCpte", _T.COMPTE, num_cpte(_forced_iban(23)),
          Trigger("numCpte", ("iban",), _forced_iban(23)), "CAF023",
          "No branch for this branch code", "Aucun guichet correspondant", "§6.3"),
    _data("account-without-holder", "Account with no holder", "Compte sans aucun ayant droit",
          "numCpte", _T.COMPTE, num_cpte(IBAN_NO_HOLDER), 200, "CAF026", "§3.1, §6.3"),
    _info("address-unknown", "perPhy", _T.PERSONNE_PHYSIQUE,
          per_phy(_nom(_perphy_named["CAF028"])),
          Trigger("perPhy", ("etatCivil", "nom"), _perphy_named["CAF028"]), "CAF028",
          "Nobody in the file at that address", "Aucune adresse correspondante", "§3.5, §6.3"),
    _info("not-at-address", "perPhy", _T.PERSONNE_PHYSIQUE,
          per_phy(_nom(_perphy_named["CAF029"])),
          Trigger("perPhy", ("etatCivil", "nom"), _perphy_named["CAF029"]), "CAF029",
          "The person does not live at that address", "Aucun compte à cette adresse",
          "§3.5, §6.3"),
    # -- CAF036 --------------------------------------------------------------------------------
    Entry("too-many-results", "Too many persons match", "Trop de réponses", "perPhy",
          _T.PERSONNE_PHYSIQUE, per_phy(_nom(_perphy_named["CAF036"])), 400, "CAF036", "forced",
          effect="error", trigger=Trigger("perPhy", ("etatCivil", "nom"),
                                          _perphy_named["CAF036"]), contract="§3.5, §6.3"),
    Entry("too-many-results-entity", "Too many entities match", "Trop de réponses (PM)",
          "perPro", _T.PERSONNE_MORALE, per_pro("SANDBOX TROPDEREPONSES"), 400, "CAF036",
          "forced", effect="error",
          trigger=Trigger("perPro", ("designation", "raisonSociale"), "SANDBOX TROPDEREPONSES"),
          contract="§3.4, §6.3"),
    # -- account outcomes (real records of magic.yaml) ----------------------------------------
    _data("closed-account", "A closed account", "Un compte clos", "numCpte", _T.COMPTE,
          num_cpte(IBAN_CLOSED), 200, None, "§3.1, §4.4.1",
          fields_equal={f"reponses.comptes[0].{_C}.dateCloture": DATE_CLOSED}),
    _data("closed-account-existence", "Existence check of a closed account",
          "Vérification d'existence d'un compte clos", "numCpte", _T.COMPTE,
          num_cpte(IBAN_CLOSED, "1"), 200, None, "§3.1, §4.1",
          fields_equal={"reponses.verificationCompte.ibanExistant": "1",
                        "reponses.verificationCompte.dateCloture": DATE_CLOSED}),
    _data("joint-account", "A joint account with two holders", "Un compte joint à deux titulaires",
          "numCpte", _T.COMPTE, num_cpte(IBAN_JOINT), 200, None, "§3.1, §4.4.1",
          fields_equal={f"reponses.comptes[0].{_C}.type.codeType": 2,
                        "reponses.comptes[0].ayantsDroits[1].personnePhysique.droitSurCompte":
                        "Titulaire"}),
    _data("deceased-holder", "The accounts of a deceased holder", "Les comptes d'un titulaire décédé",
          "spi", _T.SPI, {"numeroSPI": SPI_DECEASED}, 200, None, "§3.2, §4.4",
          fields_equal={f"reponses[0].comptes[0].{_C}.dateCloture": DATE_DECEASED_CLOSED,
                        "reponses[0].comptes[0].ayantsDroits[0].personnePhysique.dateFinDroit":
                        DATE_DEATH}),
    _data("succession-account", "An account under estate settlement", "Un compte en succession",
          "numCpte", _T.COMPTE, num_cpte(IBAN_SUCCESSION), 200, None, "§4.4.1",
          fields_equal={f"reponses.comptes[0].{_C}.succession": "1"}),
    _data("safe-deposit-box", "A safe-deposit box", "Un coffre-fort", "numCpte", _T.COMPTE,
          num_cpte(IBAN_SAFE_BOX), 200, None, "§3.1, §5.1",
          fields_equal={f"reponses.comptes[0].{_C}.nature.codeNature": 500}),
    _data("multidet-found-with-consent", "Multi-holding found, with consent (accounts listed)",
          "Multi-détention trouvée, avec accord client (comptes restitués)", "multiDet",
          _T.MULTIDET_PP, multi_det_pp(_P["sbx-multidetention"], "1"), 200, None, "§3.7",
          fields_equal={"nRep": "1", "comptes[0].iban": IBAN_LIVRET_A}),
    _data("multidet-found-without-consent", "Multi-holding found, no consent (yes/no only)",
          "Multi-détention trouvée, sans accord client (oui/non seulement)", "multiDet",
          _T.MULTIDET_PP, multi_det_pp(_P["sbx-multidetention"], "0"), 200, None, "§3.7",
          fields_equal={"nRep": "1"}, fields_absent=("comptes",)),
    _data("verif-iban-holder-ok", "IBAN and holder match", "L'IBAN appartient bien à la personne",
          "verifIban", _T.VERIF_IBAN_PP, verif_iban_pp(IBAN_JOINT, _P["sbx-joint-b"]), 200, None,
          "§3.6", fields_equal={"reponses.verificationCompte.ibanExistant": "1"}),
    # -- technical errors (forced; on every resource by name) ---------------------------------
    _technical("service-unavailable", 503, "CAT001", "Service unavailable (maintenance)",
               "Service indisponible ou en maintenance"),
    _technical("sql-error", 3, "CAT003", "Backend SQL error", "Erreur technique SQL"),
    _technical("internal-error", 4, "CAT004", "Backend internal error",
               "Erreur technique interne Ficoba"),
    _technical("sandbox-error", 7, "CAT007", "Sandbox technical error",
               "Erreur technique bac à sable"),
    _technical("timeout", 408, "HTTP408", "Time-out after a delay (1 s)",
               "Temps d'attente écoulé (après 1 s)", delay_seconds=1.0),
    _technical("bandwidth-exceeded", 509, "HTTP509", "Bandwidth limit exceeded",
               "Limite de bande passante dépassée"),
    _technical("quota-exceeded", 429, "900804",
               "Quota exceeded (429) without sending 200 calls",
               "Quota dépassé (429) sans envoyer 200 appels",
               headers_expected=("Retry-After", "RateLimit-Policy", "RateLimit")),
    _technical("modality-refused", 403, "900910",
               "The client's rights do not cover this search", "Droits insuffisants (modalité)"),
)  # fmt: skip

BY_NAME: dict[str, Entry] = {e.name: e for e in ENTRIES}
assert len(BY_NAME) == len(ENTRIES), "duplicate magic names"


def names() -> list[str]:
    return sorted(BY_NAME)


def get(name: str) -> Entry | None:
    return BY_NAME.get(name.strip().lower())


def names_for(resource: str) -> list[str]:
    return sorted(e.name for e in ENTRIES if e.resource == resource or e.any_resource)


def _trigger_table() -> dict[str, dict[tuple[str, ...], tuple[Trigger, dict[str, Entry]]]]:
    """resource -> trigger path -> (a trigger of that path, compared value -> its entry): a
    request is looked up once per path of its resource, whatever the number of entries."""
    table: dict[str, dict[tuple[str, ...], tuple[Trigger, dict[str, Entry]]]] = {}
    for entry in ENTRIES:
        trigger = entry.trigger
        if trigger is not None:
            paths = table.setdefault(trigger.resource, {})
            _, values = paths.setdefault(trigger.path, (trigger, {}))
            values.setdefault(trigger.key(trigger.value), entry)
    return table


TRIGGERS = _trigger_table()


def by_trigger(resource: str, body: Any) -> Entry | None:
    """The forced entry whose reserved value the request carries, if any."""
    for trigger, values in TRIGGERS.get(resource, {}).values():
        found = trigger.found_in(body)
        if found is not None:
            entry = values.get(trigger.key(found))
            if entry is not None:
                return entry
    return None


def named_in_justification(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    text = body.get("justification")
    if not isinstance(text, str):
        return None
    m = JUSTIFICATION_TOKEN.search(text)
    return m[1].lower() if m else None


#: when a forced 429 or 503 tells the client to come back
RETRY_AFTER_SECONDS = 60


def forced_error(entry: Entry, quota: int) -> FicobaError:
    """The error a forced entry answers, for a client of `quota` calls per minute: a 429 says
    what the quota's own would (none left, when to retry), a 503 when to retry."""
    code = entry.code or "CAT004"
    if code == "900804":
        return throttled(quota, RETRY_AFTER_SECONDS)
    if code == "CAT001":
        return FicobaError(code, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return FicobaError(code)


def describe(
    entry: Entry, *, siret: str, motif: str, today: date | str, prefix: str = "/ficoba-api/v2"
) -> dict[str, Any]:
    """The published form of one entry (GET /__sandbox/magic)."""
    out: dict[str, Any] = {
        "name": entry.name,
        "title": entry.title,
        "titre": entry.titre,
        "resource": entry.resource,
        "search_type": str(entry.search_type),
        "mechanism": entry.kind,
        "method": "POST",
        "path": prefix + entry.path,
        "body": entry.body(siret, motif, today),
        "headers": {},
        "expected": {
            "status": entry.status,
            "code": entry.code,
            "code_field": entry.code_field,
            "fields_equal": dict(entry.fields_equal),
            "fields_present": list(entry.fields_present),
            "fields_absent": list(entry.fields_absent),
            "headers_present": list(entry.headers_expected),
        },
        "by_name": {
            "headers": {HEADER: entry.name},
            "resources": list(RESOURCES) if entry.any_resource else [entry.resource],
            "body": envelope(
                siret, motif, today, NEUTRAL[entry.resource], justification=f"QA {entry.name}"
            ),
        },
        "contract": entry.contract,
    }
    if entry.trigger is not None:
        out["trigger"] = {
            "field": "criteresRecherche." + ".".join(entry.trigger.path),
            "value": entry.trigger.value,
        }
    if entry.delay_seconds:
        out["delay_seconds"] = entry.delay_seconds
    return out


def catalogue(
    *, siret: str, motif: str, today: date | str, prefix: str = "/ficoba-api/v2"
) -> list[dict[str, Any]]:
    return [describe(e, siret=siret, motif=motif, today=today, prefix=prefix) for e in ENTRIES]


def reserved_values() -> Iterable[tuple[str, str]]:
    """(kind, value) of every reserved identifier the catalogue uses (tests: all reserved)."""
    for value in (IBAN_CLOSED, IBAN_JOINT, IBAN_DECEASED, IBAN_SUCCESSION, IBAN_SAFE_BOX,
                  IBAN_NO_HOLDER, IBAN_LIVRET_A, IBAN_NO_LIVRET, IBAN_ENTITY, IBAN_MISSING):  # fmt: skip
        yield "iban", value
    for e in ENTRIES:
        if e.trigger is not None and e.trigger.path[-1] == "iban":
            yield "iban", e.trigger.value
    for p in PERSONS.values():
        if p.spi:
            yield "spi", p.spi
    yield "spi", SPI_MISSING
    yield "siren", SIREN_ENTITY
    yield "siren", SIREN_MISSING
