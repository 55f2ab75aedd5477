"""Wire schemas: pydantic models named after the official OpenAPI schemas (S2), with the
protocol's names and value types where the sources disagree (CONTRACT §9): `anneNaissance`,
`nRep`, `ibanExistant`, integer `categorieJuridique` in `personneRecherche` and string in
`ayantsDroits`, `reponses` object (numCpte, verifIban) vs array (spi, perPhy, siretSiren, perPro).

Python attributes are snake_case and equal to those of `backend.results`, so a result is
serialised with `Model.model_validate(result, from_attributes=True)` and dumped by alias with
None left out (omitted empty `libAdr*` lines, fields outside the data scopes).

Requests are not validated by pydantic (the error codes must be FICOBA's): api/reading.py reads
the raw JSON object into `backend.demandes` objects. The request models below document the body
in /openapi.json.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


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
