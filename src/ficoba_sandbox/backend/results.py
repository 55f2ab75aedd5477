"""What the backend answers, in its own words (snake_case). The API layer serialises these with
the official field names (api/schemas.py: same attribute names, camelCase aliases).

`None` means "not restituted" (absent from the JSON): empty `libAdr*` lines, fields outside the
client's data scopes, `comptes` of a multiDet without the client's consent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class MessageInformatif:
    code: str
    message: str
    horodatage: str


@dataclass(slots=True)
class AdresseGuichet:
    lib_adr1: str | None = None
    lib_adr2: str | None = None
    lib_adr3: str | None = None
    lib_adr4: str | None = None


@dataclass(slots=True)
class Guichet:
    numero_guichet: str
    libelle_guichet: str
    adresse: AdresseGuichet | None = None


@dataclass(slots=True)
class Etablissement:
    numero_etablissement: str
    libelle_etablissement: str
    bic_etablissement: str


@dataclass(slots=True)
class EtablissementGestionnaire:
    etablissement: Etablissement | None
    guichet: Guichet | None


@dataclass(slots=True)
class Nature:
    code_nature: int
    libelle_nature: str


@dataclass(slots=True)
class TypeCompte:
    code_type: int
    libelle_type: str


@dataclass(slots=True)
class Caracteristique:
    code_caracteristique: int
    libelle_caracteristique: str


@dataclass(slots=True)
class Devise:
    code_devise: str


@dataclass(slots=True)
class CaracteristiqueCompte:
    iban: str
    date_ouverture: str | None
    date_fiscale: str | None
    code_motif_ouverture: str
    libelle_motif_ouverture: str
    date_cloture: str | None
    nature: Nature
    type: TypeCompte
    format_compte: str
    caracteristique: Caracteristique
    succession: str
    resident: str
    devise: Devise


@dataclass(slots=True)
class AdresseResidence:
    code_pays_residence: str | None = None
    libelle_pays_residence: str | None = None
    code_departement_residence: str | None = None
    libelle_departement_residence: str | None = None
    code_commune_residence: str | None = None
    libelle_commune_residence: str | None = None
    numero_voie: str | None = None
    indice_repetition: str | None = None
    code_nature_voie: str | None = None
    libelle_voie: str | None = None
    libelle_compl_adr: str | None = None
    code_postal: str | None = None


@dataclass(slots=True)
class AyantDroitPP:
    personne_recherchee: str | None = None
    droit_sur_compte: str | None = None
    date_debut_droit: str | None = None
    date_fin_droit: str | None = None
    date_maj: str | None = None
    nom_naissance: str | None = None
    nom_usage: str | None = None
    prenoms: str | None = None
    anne_naissance: str | None = None  # sic: every protocol example spells it so (CONTRACT §9 #1)
    mois_naissance: str | None = None
    jour_naissance: str | None = None
    sexe: str | None = None
    code_pays_naissance: str | None = None
    code_departement_naissance: str | None = None
    code_commune_naissance: str | None = None
    libelle_pays_naissance: str | None = None
    libelle_departement_naissance: str | None = None
    libelle_commune_naissance: str | None = None


@dataclass(slots=True)
class AyantDroitPM:
    personne_recherchee: str | None = None
    droit_sur_compte: str | None = None
    date_debut_droit: str | None = None
    date_fin_droit: str | None = None
    date_maj: str | None = None
    raison_sociale: str | None = None
    sigle: str | None = None
    enseigne: str | None = None
    categorie_juridique: str | None = None  # a string here (CONTRACT §9 #8)
    type_repertoire: str | None = None
    siret: str | None = None
    numero_copro: str | None = None
    numero_rna: str | None = None
    numero_lei: str | None = None


@dataclass(slots=True)
class AyantDroit:
    personne_physique: AyantDroitPP | None = None
    personne_morale: AyantDroitPM | None = None
    adresse: AdresseResidence | None = None


@dataclass(slots=True)
class CompteStructure:
    caracteristique_compte: CaracteristiqueCompte | None = None
    etablissement_gestionnaire: EtablissementGestionnaire | None = None
    ayants_droits: list[AyantDroit] | None = None


@dataclass(slots=True)
class CodeLibelle:
    code: str
    libelle: str


@dataclass(slots=True)
class PersonneRecherchePP:
    nom_naissance: str
    nom_usage: str | None
    prenom: str
    sexe: str
    annee_naissance: str
    mois_naissance: str | None
    jour_naissance: str | None
    pays_naissance: CodeLibelle | None
    departement_naissance: CodeLibelle | None
    commune_naissance: CodeLibelle | None


@dataclass(slots=True)
class PersonneRecherchePM:
    raison_sociale: str
    sigle: str | None
    enseigne: str | None
    siret: str | None
    categorie_juridique: int | None  # an integer here (CONTRACT §9 #8)
    siren: str | None


@dataclass(slots=True)
class ReponsePersonne:
    personne_recherche: PersonneRecherchePP | PersonneRecherchePM | None
    nombre_comptes: str
    comptes: list[CompteStructure]


@dataclass(slots=True)
class VerificationCompte:
    iban_existant: str
    date_cloture: str | None = None


@dataclass(slots=True)
class ReponsesCompte:
    """`reponses` of numCpte / verifIban: an object (CONTRACT §9 #7)."""

    comptes: list[CompteStructure] | None = None
    verification_compte: VerificationCompte | None = None


@dataclass(slots=True)
class CompteMultiDet:
    iban: str | None
    nature: str
    date_ouverture: str | None
    date_fiscale: str | None
    code_motif_ouverture: str | None
    libelle_motif_ouverture: str | None
    code_etab: str | None
    guichet: Guichet | None


@dataclass(slots=True)
class Resultat:
    """The envelope minus the echo: the API layer adds `caracteristiquesDemande` in front."""

    reference_demande: str
    nombre_reponses: str
    message_informatif: MessageInformatif | None = None
    #: numCpte/verifIban: ReponsesCompte; spi/perPhy/siretSiren/perPro: list[ReponsePersonne]
    reponses: ReponsesCompte | list[ReponsePersonne] | None = None
    #: multiDet only
    n_rep: str | None = None
    comptes: list[CompteMultiDet] | None = None


#: Instances the backend shares between answers (`Backend` caches them per store record, and
#: nothing mutates them once built, nor anything they hold): the API layer may memoise their
#: serialisation by identity (api/resources.py `_dump`).
SHARED: frozenset[type] = frozenset(
    {CompteStructure, PersonneRecherchePP, PersonneRecherchePM, ReponsePersonne}
)
