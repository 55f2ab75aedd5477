"""Wire schemas: pydantic models named after the official OpenAPI schemas (S2), with the
protocol's names and value types where the sources disagree (CONTRACT §9): `anneNaissance`,
`nRep`, `ibanExistant`, integer `categorieJuridique` in `personneRecherche` and string in
`ayantsDroits`, `reponses` object (numCpte, verifIban) vs array (spi, perPhy, siretSiren, perPro).

Python attributes are snake_case and equal to those of `backend.resultats`, so a result is
serialised with `Model.model_validate(result, from_attributes=True)` and dumped by alias with
None left out (omitted empty `libAdr*` lines, fields outside the data scopes).

Requests are not validated by pydantic (the error codes must be FICOBA's): `lire_*` read the
raw JSON object, check JSON types (CAF002) and the envelope (CAF001/CAF002) and build
`backend.demandes` objects. The request models below document the body in /openapi.json.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ficoba_sandbox.backend import demandes as dm
from ficoba_sandbox.domain.errors import FicobaError


class Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


S = str | None

# --- errors and health -------------------------------------------------------------------------


class ReponseErreur(Wire):
    """Le détail d'une erreur ou d'une information fonctionnelle."""

    code: str = Field(description="Code de l'erreur (CAT0xx, CAF0xx, code passerelle)")
    message: str = Field(description="Libellé de l'erreur")
    horodatage: str = Field(description="Horodatage AAAA-MM-JJTHH:MM:SS.mmmZ")


class ResultatErreurApiSante(Wire):
    """Réponse en erreur : `{"erreur": {code, message, horodatage}}`."""

    erreur: ReponseErreur


class EtatSante(Wire):
    descriptif: str = Field(
        description="L'API est opérationnelle", examples=["L'API est opérationnelle"]
    )


# --- response objects --------------------------------------------------------------------------


class AdresseGuichet(Wire):
    """Adresse du guichet ; les lignes vides ne sont pas restituées."""

    lib_adr1: S = None
    lib_adr2: S = None
    lib_adr3: S = None
    lib_adr4: S = None


class GuichetDto(Wire):
    numero_guichet: S = None
    libelle_guichet: S = None
    adresse: AdresseGuichet | None = None


class EtablissementBancaire(Wire):
    numero_etablissement: S = None
    libelle_etablissement: S = None
    bic_etablissement: S = None


class EtablissementGestionnaire(Wire):
    etablissement: EtablissementBancaire | None = None
    guichet: GuichetDto | None = None


class NatureCompteDto(Wire):
    code_nature: int
    libelle_nature: str


class TypeCompte(Wire):
    code_type: int
    libelle_type: str


class CaracteristiqueCompte(Wire):
    code_caracteristique: int
    libelle_caracteristique: str


class DeviseCompte(Wire):
    code_devise: str


class CompteCaracteristiques(Wire):
    iban: S = None
    date_ouverture: S = None
    date_fiscale: S = None
    code_motif_ouverture: S = None
    libelle_motif_ouverture: S = None
    date_cloture: S = None
    nature: NatureCompteDto | None = None
    type: TypeCompte | None = None
    format_compte: S = None
    caracteristique: CaracteristiqueCompte | None = None
    succession: S = None
    resident: S = None
    devise: DeviseCompte | None = None


class Adresse(Wire):
    code_pays_residence: S = None
    libelle_pays_residence: S = None
    code_departement_residence: S = None
    libelle_departement_residence: S = None
    code_commune_residence: S = None
    libelle_commune_residence: S = None
    numero_voie: S = None
    indice_repetition: S = None
    code_nature_voie: S = None
    libelle_voie: S = None
    libelle_compl_adr: S = None
    code_postal: S = None


class TitulairePersonnePhysique(Wire):
    """Ayant droit personne physique (protocole §2.5.3.5.1 ; `anneNaissance` sic)."""

    personne_recherchee: S = None
    droit_sur_compte: S = None
    date_debut_droit: S = None
    date_fin_droit: S = None
    date_maj: S = None
    nom_naissance: S = None
    nom_usage: S = None
    prenoms: S = None
    anne_naissance: S = None
    mois_naissance: S = None
    jour_naissance: S = None
    sexe: S = None
    code_pays_naissance: S = None
    code_departement_naissance: S = None
    code_commune_naissance: S = None
    libelle_pays_naissance: S = None
    libelle_departement_naissance: S = None
    libelle_commune_naissance: S = None


class TitulairePersonneMorale(Wire):
    """Ayant droit personne morale (`categorieJuridique` en chaîne)."""

    personne_recherchee: S = None
    droit_sur_compte: S = None
    date_debut_droit: S = None
    date_fin_droit: S = None
    date_maj: S = None
    raison_sociale: S = None
    sigle: S = None
    enseigne: S = None
    categorie_juridique: S = None
    type_repertoire: S = None
    siret: S = None
    numero_copro: S = None
    numero_rna: S = None
    numero_lei: S = None


class TitulaireCompte(Wire):
    """Un ayant droit : `personnePhysique` ou `personneMorale`, et `adresse` pour un titulaire."""

    personne_physique: TitulairePersonnePhysique | None = None
    personne_morale: TitulairePersonneMorale | None = None
    adresse: Adresse | None = None


class CompteStructure(Wire):
    caracteristique_compte: CompteCaracteristiques | None = None
    etablissement_gestionnaire: EtablissementGestionnaire | None = None
    ayants_droits: list[TitulaireCompte] | None = None


class PaysNaissance(Wire):
    code_pays: str = Field(validation_alias="code")
    libelle_pays: str = Field(validation_alias="libelle")


class DepartementNaissance(Wire):
    code_departement: str = Field(validation_alias="code")
    libelle_departement: str = Field(validation_alias="libelle")


class CommuneNaissance(Wire):
    code_commune: str = Field(validation_alias="code")
    libelle_commune: str = Field(validation_alias="libelle")


class PersonnePhysique(Wire):
    nom_naissance: S = None
    nom_usage: S = None
    prenom: S = None
    sexe: S = None
    annee_naissance: S = None
    mois_naissance: S = None
    jour_naissance: S = None
    pays_naissance: PaysNaissance | None = None
    departement_naissance: DepartementNaissance | None = None
    commune_naissance: CommuneNaissance | None = None


class PersonneMorale(Wire):
    raison_sociale: S = None
    sigle: S = None
    enseigne: S = None
    siret: S = None
    categorie_juridique: int | None = None
    siren: S = None


class DemandeRestit(Wire):
    """Écho de la demande, `criteresRecherche` compris, tel que l'appelant l'a envoyé."""

    date_demande: S = None
    motif: S = None
    siret_demandeur: S = None
    siren_demandeur: S = None
    justification: S = None
    criteres_recherche: dict[str, Any] | None = None


class Enveloppe(Wire):
    caracteristiques_demande: DemandeRestit | None = None
    reference_demande: str = Field(
        description="FCB_<AAAA>_<9 chiffres>", examples=["FCB_2025_000001020"]
    )
    nombre_reponses: str = Field(description="Nombre de réponses, 3 chiffres", examples=["001"])
    message_informatif: ReponseErreur | None = Field(
        None, description="Code fonctionnel « aucun résultat » (HTTP 200), ex. CAF013"
    )


class ReponseVerifCompte(Wire):
    iban_existant: str = Field(description="1 si compte trouvé, 0 sinon")
    date_cloture: S = None


class ReponseListeComptes(Wire):
    comptes: list[CompteStructure] | None = None
    verification_compte: ReponseVerifCompte | None = None


class ReponseListeFinaleComptes(Enveloppe):
    """numCpte et verifIban : `reponses` est un objet."""

    reponses: ReponseListeComptes | None = None


class ReponseListeComptesPourPP(Wire):
    personne_recherche: PersonnePhysique | None = None
    nombre_comptes: S = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPP(Enveloppe):
    """spi et perPhy : `reponses` est un tableau."""

    reponses: list[ReponseListeComptesPourPP] | None = None


class ReponseListeComptesPourPM(Wire):
    personne_recherche: PersonneMorale | None = None
    nombre_comptes: S = None
    comptes: list[CompteStructure] | None = None


class ReponseListeFinaleComptesPourPM(Enveloppe):
    """siretSiren et perPro : `reponses` est un tableau."""

    reponses: list[ReponseListeComptesPourPM] | None = None


class CompteMultiDet(Wire):
    iban: S = None
    nature: S = None
    date_ouverture: S = None
    date_fiscale: S = None
    code_motif_ouverture: S = None
    libelle_motif_ouverture: S = None
    code_etab: S = None
    guichet: GuichetDto | None = None


class ReponseMultiDetention(Enveloppe):
    """multiDet : pas de `reponses` ; `nRep` (S2 l'appelle `getnRep`) ; `comptes` seulement avec
    l'accord du client."""

    n_rep: S = Field(None, description="0 ou 1 (existe ou n'existe pas)")
    comptes: list[CompteMultiDet] | None = None


# --- request models (documentation of the bodies) ----------------------------------------------


class Requete(Wire):
    date_demande: str = Field(description="Date de la demande, AAAA-MM-JJ")
    motif: str = Field(description="Motif d'interrogation (3 ou 4 chiffres)")
    siret_demandeur: S = Field(None, description="SIRET du demandeur (14 chiffres), ou le SIREN")
    siren_demandeur: S = Field(None, description="SIREN du demandeur (9 chiffres), ou le SIRET")
    justification: str = Field(description="Zone libre (250 caractères), traçabilité CNIL")


class CriteresRechercheCompte(Wire):
    iban: str
    verification_compte: str = Field(description="0 : données complètes ; 1 : existence seule")


class DemandeRestitRechCompte(Requete):
    criteres_recherche: CriteresRechercheCompte


class CriteresRechercheSpi(Wire):
    numero_spi: str = Field(alias="numeroSPI", description="Identifiant fiscal (13 chiffres)")


class DemandeRestitRechSpi(Requete):
    criteres_recherche: CriteresRechercheSpi


class CriteresRechercheSiretSiren(Wire):
    siret: S = None
    siren: S = None


class DemandeRestitSiretSiren(Requete):
    criteres_recherche: CriteresRechercheSiretSiren


class EtatCivil(Wire):
    annee_naissance: S = None
    mois_naissance: S = None
    jour_naissance: S = None
    annee_naissance_debut: S = None
    mois_naissance_debut: S = None
    jour_naissance_debut: S = None
    annee_naissance_fin: S = None
    mois_naissance_fin: S = None
    jour_naissance_fin: S = None
    nom: S = None
    prenoms: S = None
    sexe: S = None


class EtatCivilTitulaire(Wire):
    nom: S = None
    prenoms: S = None
    sexe: S = None
    annee_naissance: S = None
    mois_naissance: S = None
    jour_naissance: S = None


class LieuNaissance(Wire):
    code_pays_naissance: S = None
    code_departement_naissance: S = None
    code_commune_naissance: S = None


class Domiciliation(Wire):
    code_pays: S = None
    code_departement: S = None
    code_commune: S = None
    code_nature_voie: S = None
    libelle_voie: S = None
    numero_voie: S = None
    indice_repetition: S = None
    code_postal: S = None


class Designation(Wire):
    raison_sociale: S = None
    sigle: S = None
    enseigne: S = None
    code_categorie_juridique: S = None


class CriteresRecherchePerPhy(Wire):
    etat_civil: EtatCivil | None = None
    lieu_naissance: LieuNaissance | None = None
    domiciliation: Domiciliation | None = None


class DemandeRestitRechPerPhy(Requete):
    criteres_recherche: CriteresRecherchePerPhy


class CriteresRecherchePerPro(Wire):
    designation: Designation | None = None
    domiciliation: Domiciliation | None = None


class DemandeRestitRechPerPro(Requete):
    criteres_recherche: CriteresRecherchePerPro


class CriteresRechercheVerifTitulaireIban(Wire):
    iban: str
    recherche_pp: str = Field(alias="recherchePP")
    recherche_pm: str = Field(alias="recherchePM")
    recherche_siren_siret: str = Field(alias="rechercheSirenSiret")
    etat_civil: EtatCivilTitulaire | None = None
    lieu_naissance: LieuNaissance | None = None
    designation: Designation | None = None
    siret: S = None
    siren: S = None


class DemandeRestitVerifIban(Requete):
    criteres_recherche: CriteresRechercheVerifTitulaireIban


class CriteresRecherchePerPhyMD(Wire):
    etat_civil: EtatCivilTitulaire | None = None
    lieu_naissance: LieuNaissance | None = None
    domiciliation: Domiciliation | None = None


class CriteresRechercheMultiDet(Wire):
    accord_client: str
    code_nature_compte: str
    recherche_pp: str = Field(alias="recherchePP")
    recherche_pm: str = Field(alias="recherchePM")
    recherche_sirensiret: str = Field(alias="rechercheSIRENSIRET")
    criteres_recherche_pro: CriteresRecherchePerPro | None = None
    criteres_recherche_phy: CriteresRecherchePerPhyMD | None = None
    criteres_siret_siren: CriteresRechercheSiretSiren | None = None


class DemandeRestitMultiDet(Requete):
    criteres_recherche: CriteresRechercheMultiDet


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    DemandeRestitRechCompte,
    DemandeRestitRechSpi,
    DemandeRestitSiretSiren,
    DemandeRestitRechPerPhy,
    DemandeRestitRechPerPro,
    DemandeRestitVerifIban,
    DemandeRestitMultiDet,
)


# --- reading a raw request ---------------------------------------------------------------------

Obj = dict[str, Any]


_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_DEMANDE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\s*T.*)?$")
_MOTIF = re.compile(r"\d{3,4}")
_SIRET = re.compile(r"\d{14}")
_SIREN = re.compile(r"\d{9}")


def _refuse(constante: str) -> Any:
    raise ValueError(constante)


def lire_corps(brut: bytes) -> tuple[Any, bool]:
    """A request body's JSON as the resources read it, and whether it held a number with a
    fraction or an exponent (a float: the answer's encoder must then be Python's own, which
    spells floats its way). `NaN`, `Infinity` are refused (ValueError), as are bodies that are
    not JSON (ValueError, RecursionError, UnicodeDecodeError): CAT002 for the resources."""
    floats = False

    def _float(texte: str) -> float:
        nonlocal floats
        floats = True
        return float(texte)

    return json.loads(brut, parse_constant=_refuse, parse_float=_float), floats


#: where the QA hook (api/scenario.py) leaves `(body, *lire_corps(body))` in the request state,
#: so that the resource reading the same bytes need not parse them again
CORPS_LU = "request_parsed"


def _a_surrogate(texte: str) -> bool:
    return _SURROGATE.search(texte) is not None


def controler_textes(valeur: Any, attribut: str = "corps") -> None:
    """Lone surrogates ("\\ud800") decode as JSON but cannot be echoed in UTF-8: CAF002.

    orjson encodes a document in one C pass and refuses any lone surrogate (key or value): when
    it accepts `valeur`, there is none, and the walk below (a Python call per value, a fifth of
    reading a perPhy request) is skipped. When it refuses (a surrogate, or an integer beyond 64
    bits, or deep nesting), the walk decides, and names the attribute."""
    try:
        orjson.dumps(valeur)
        return
    except orjson.JSONEncodeError:
        pass
    _controler_textes(valeur, attribut)


def _controler_textes(valeur: Any, attribut: str) -> None:
    if isinstance(valeur, str):
        if _a_surrogate(valeur):
            raise FicobaError("CAF002", attribut)
    elif isinstance(valeur, dict):
        for k, v in valeur.items():
            if _a_surrogate(k):
                raise FicobaError("CAF002", attribut)
            _controler_textes(v, k)
    elif isinstance(valeur, list):
        for v in valeur:
            _controler_textes(v, attribut)


def texte(obj: Obj | None, attribut: str, *alias: str) -> str:
    """A text field: absent or null -> ""; not a string -> CAF002. Surrounding blanks kept out."""
    if obj is None:
        return ""
    v = obj.get(attribut, _ABSENT)  # the name first, then the aliases, in order
    if v is _ABSENT:
        for nom in alias:
            if nom in obj:
                v = obj[nom]
                break
        else:
            return ""
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FicobaError("CAF002", attribut)
    return v.strip()


_ABSENT = object()


def objet(obj: Obj | None, attribut: str) -> Obj | None:
    """A nested object: absent or null -> None; not an object -> CAF002."""
    if obj is None or obj.get(attribut) is None:
        return None
    v = obj[attribut]
    if not isinstance(v, dict):
        raise FicobaError("CAF002", attribut)
    return v


def lire_enveloppe(corps: Any) -> tuple[dm.Enveloppe, Obj]:
    """The fields common to every POST (CONTRACT §2.2): presence (CAF001) and format (CAF002)."""
    if not isinstance(corps, dict):
        raise FicobaError("CAT002")
    controler_textes(corps)
    env = dm.Enveloppe(
        date_demande=texte(corps, "dateDemande"),
        motif=texte(corps, "motif"),
        siret_demandeur=texte(corps, "siretDemandeur"),
        siren_demandeur=texte(corps, "sirenDemandeur"),
        justification=texte(corps, "justification"),
        brut=corps,
    )
    criteres = objet(corps, "criteresRecherche")
    if not env.date_demande:
        raise FicobaError("CAF001", "dateDemande")
    if not _DATE_DEMANDE.match(env.date_demande):
        raise FicobaError("CAF002", "dateDemande")
    if not env.motif:
        raise FicobaError("CAF001", "motif")
    if not _MOTIF.fullmatch(env.motif):
        raise FicobaError("CAF002", "motif")
    if not env.siret_demandeur and not env.siren_demandeur:
        raise FicobaError("CAF001", "siretDemandeur")
    if env.siret_demandeur and not _SIRET.fullmatch(env.siret_demandeur):
        raise FicobaError("CAF002", "siretDemandeur")
    if env.siren_demandeur and not _SIREN.fullmatch(env.siren_demandeur):
        raise FicobaError("CAF002", "sirenDemandeur")
    if not env.justification:
        raise FicobaError("CAF001", "justification")
    if len(env.justification) > 250:
        raise FicobaError("CAF002", "justification")
    if criteres is None:
        raise FicobaError("CAF001", "criteresRecherche")
    return env, criteres


def echo(corps: Obj) -> dict[str, Any]:
    """`caracteristiquesDemande`: the five envelope fields (a missing or null one echoed as "",
    as every protocol example prints `sirenDemandeur: ""`) and `criteresRecherche` exactly as
    sent (nulls, empty strings and `{}` kept). Unknown top-level fields are not echoed."""
    out: dict[str, Any] = {}
    for nom in ("dateDemande", "motif", "siretDemandeur", "sirenDemandeur", "justification"):
        v = corps.get(nom)
        out[nom] = v if isinstance(v, str) else ""
    out["criteresRecherche"] = corps.get("criteresRecherche")
    return out


def _etat_civil(o: Obj | None) -> dm.EtatCivil:
    return dm.EtatCivil(
        nom=texte(o, "nom"),
        prenoms=texte(o, "prenoms"),
        sexe=texte(o, "sexe"),
        annee=texte(o, "anneeNaissance"),
        mois=texte(o, "moisNaissance"),
        jour=texte(o, "jourNaissance"),
        annee_debut=texte(o, "anneeNaissanceDebut"),
        mois_debut=texte(o, "moisNaissanceDebut"),
        jour_debut=texte(o, "jourNaissanceDebut", "jourNaissancedebut"),
        annee_fin=texte(o, "anneeNaissanceFin"),
        mois_fin=texte(o, "moisNaissanceFin"),
        jour_fin=texte(o, "jourNaissanceFin"),
    )


def _lieu(o: Obj | None) -> dm.LieuNaissance:
    return dm.LieuNaissance(
        code_pays=texte(o, "codePaysNaissance"),
        code_departement=texte(o, "codeDepartementNaissance"),
        code_commune=texte(o, "codeCommuneNaissance"),
    )


def _domiciliation(o: Obj | None) -> dm.Domiciliation:
    # Short names (S2 and every example); the S1 table's long names accepted too (CONTRACT §9 #5).
    return dm.Domiciliation(
        code_pays=texte(o, "codePays", "codePaysResidence"),
        code_departement=texte(o, "codeDepartement", "codeDepartementResidence"),
        code_commune=texte(o, "codeCommune", "codeCommuneResidence"),
        code_nature_voie=texte(o, "codeNatureVoie"),
        libelle_voie=texte(o, "libelleVoie"),
        numero_voie=texte(o, "numeroVoie"),
        indice_repetition=texte(o, "indiceRepetition"),
        code_postal=texte(o, "codePostal"),
    )


def _designation(o: Obj | None) -> dm.Designation:
    # `codeCategorieJuridique` (S2, examples); `categorieJuridique` (S1 table) accepted too.
    return dm.Designation(
        raison_sociale=texte(o, "raisonSociale"),
        sigle=texte(o, "sigle"),
        enseigne=texte(o, "enseigne"),
        categorie_juridique=texte(o, "codeCategorieJuridique", "categorieJuridique"),
    )


def _pp(o: Obj | None, *, avec_domiciliation: bool) -> dm.CriteresPP:
    ec = objet(o, "etatCivil")
    return dm.CriteresPP(
        etat_civil=_etat_civil(ec),
        lieu_naissance=_lieu(objet(o, "lieuNaissance")),
        domiciliation=_domiciliation(objet(o, "domiciliation"))
        if avec_domiciliation
        else dm.Domiciliation(),
        etat_civil_fourni=ec is not None,
    )


def _pm(o: Obj | None) -> dm.CriteresPM:
    des = objet(o, "designation")
    return dm.CriteresPM(
        designation=_designation(des),
        domiciliation=_domiciliation(objet(o, "domiciliation")),
        designation_fournie=des is not None,
    )


def _siret_siren(o: Obj | None) -> dm.SiretSiren:
    return dm.SiretSiren(siret=texte(o, "siret"), siren=texte(o, "siren"))


def lire_num_cpte(corps: Any) -> dm.DemandeNumCpte:
    env, c = lire_enveloppe(corps)
    return dm.DemandeNumCpte(env, texte(c, "iban"), texte(c, "verificationCompte"))


def lire_spi(corps: Any) -> dm.DemandeSpi:
    env, c = lire_enveloppe(corps)
    return dm.DemandeSpi(env, texte(c, "numeroSPI", "numeroSpi"))


def lire_siret_siren(corps: Any) -> dm.DemandeSiretSiren:
    env, c = lire_enveloppe(corps)
    return dm.DemandeSiretSiren(env, _siret_siren(c))


def lire_per_phy(corps: Any) -> dm.DemandePerPhy:
    env, c = lire_enveloppe(corps)
    return dm.DemandePerPhy(env, _pp(c, avec_domiciliation=True))


def lire_per_pro(corps: Any) -> dm.DemandePerPro:
    env, c = lire_enveloppe(corps)
    return dm.DemandePerPro(env, _pm(c))


def _selecteurs(c: Obj, *noms: str) -> tuple[str, ...]:
    valeurs = []
    for nom, *alias in (n.split("|") for n in noms):
        v = texte(c, nom, *alias)
        if not v:
            raise FicobaError("CAF001", nom)
        if v not in ("0", "1"):
            raise FicobaError("CAF002", nom)
        valeurs.append(v)
    return tuple(valeurs)


def lire_verif_iban(corps: Any) -> dm.DemandeVerifIban:
    env, c = lire_enveloppe(corps)
    pp, pm, ss = _selecteurs(
        c, "recherchePP", "recherchePM", "rechercheSirenSiret|rechercheSIRENSIRET"
    )
    return dm.DemandeVerifIban(
        enveloppe=env,
        iban=texte(c, "iban"),
        recherche_pp=pp,
        recherche_pm=pm,
        recherche_siren_siret=ss,
        personne_physique=_pp(c, avec_domiciliation=False),
        personne_morale=dm.CriteresPM(
            designation=_designation(objet(c, "designation")),
            designation_fournie=objet(c, "designation") is not None,
        ),
        identifiant=_siret_siren(c),
    )


def lire_multi_det(corps: Any) -> dm.DemandeMultiDet:
    env, c = lire_enveloppe(corps)
    # `rechercheSIRENSIRET` here (S2), `rechercheSirenSiret` accepted leniently (CONTRACT §9 #6).
    pp, pm, ss = _selecteurs(
        c, "recherchePP", "recherchePM", "rechercheSIRENSIRET|rechercheSirenSiret"
    )
    return dm.DemandeMultiDet(
        enveloppe=env,
        accord_client=texte(c, "accordClient"),
        code_nature=texte(c, "codeNatureCompte"),
        recherche_pp=pp,
        recherche_pm=pm,
        recherche_siren_siret=ss,
        personne_physique=_pp(objet(c, "criteresRecherchePhy"), avec_domiciliation=True),
        personne_morale=_pm(objet(c, "criteresRecherchePro")),
        identifiant=_siret_siren(
            objet(c, "criteresSiretSiren") or objet(c, "criteresRechercheSiretSiren")
        ),
        code_etablissement=texte(c, "codeEtablissement"),
    )
