"""Parsed requests (one dataclass per resource), in the backend's own words.

Every text field is a `str` ("" when absent or null): the API layer has already checked
presence and JSON types (CAF001/CAF002 on the envelope, CAT002 on the JSON itself). The
original JSON object is kept in `brut` for the `caracteristiquesDemande` echo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Enveloppe:
    date_demande: str
    motif: str
    siret_demandeur: str
    siren_demandeur: str
    justification: str
    brut: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class EtatCivil:
    nom: str = ""
    prenoms: str = ""
    sexe: str = ""
    annee: str = ""
    mois: str = ""
    jour: str = ""
    annee_debut: str = ""
    mois_debut: str = ""
    jour_debut: str = ""
    annee_fin: str = ""
    mois_fin: str = ""
    jour_fin: str = ""

    def vide(self) -> bool:
        return not any(getattr(self, f) for f in self.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class LieuNaissance:
    code_pays: str = ""
    code_departement: str = ""
    code_commune: str = ""

    def vide(self) -> bool:
        return not (self.code_pays or self.code_departement or self.code_commune)


@dataclass(frozen=True, slots=True)
class Domiciliation:
    code_pays: str = ""
    code_departement: str = ""
    code_commune: str = ""
    code_nature_voie: str = ""
    libelle_voie: str = ""
    numero_voie: str = ""
    indice_repetition: str = ""
    code_postal: str = ""

    def vide(self) -> bool:
        return not any(getattr(self, f) for f in self.__dataclass_fields__)

    def elements_adresse(self) -> bool:
        """Anything beyond the country code."""
        return any(getattr(self, f) for f in self.__dataclass_fields__ if f != "code_pays")


@dataclass(frozen=True, slots=True)
class Designation:
    raison_sociale: str = ""
    sigle: str = ""
    enseigne: str = ""
    categorie_juridique: str = ""

    def vide(self) -> bool:
        return not (self.raison_sociale or self.sigle or self.enseigne or self.categorie_juridique)


@dataclass(frozen=True, slots=True)
class SiretSiren:
    siret: str = ""
    siren: str = ""

    def vide(self) -> bool:
        return not (self.siret or self.siren)


@dataclass(frozen=True, slots=True)
class CriteresPP:
    etat_civil: EtatCivil = EtatCivil()
    lieu_naissance: LieuNaissance = LieuNaissance()
    domiciliation: Domiciliation = Domiciliation()
    #: which objects were present in the request (None/absent vs given)
    etat_civil_fourni: bool = False

    def vide(self) -> bool:
        return self.etat_civil.vide() and self.lieu_naissance.vide() and self.domiciliation.vide()


@dataclass(frozen=True, slots=True)
class CriteresPM:
    designation: Designation = Designation()
    domiciliation: Domiciliation = Domiciliation()
    designation_fournie: bool = False

    def vide(self) -> bool:
        return self.designation.vide() and self.domiciliation.vide()


@dataclass(frozen=True, slots=True)
class DemandeNumCpte:
    enveloppe: Enveloppe
    iban: str
    verification: str  # "0" | "1"


@dataclass(frozen=True, slots=True)
class DemandeSpi:
    enveloppe: Enveloppe
    numero_spi: str


@dataclass(frozen=True, slots=True)
class DemandeSiretSiren:
    enveloppe: Enveloppe
    identifiant: SiretSiren


@dataclass(frozen=True, slots=True)
class DemandePerPhy:
    enveloppe: Enveloppe
    criteres: CriteresPP


@dataclass(frozen=True, slots=True)
class DemandePerPro:
    enveloppe: Enveloppe
    criteres: CriteresPM


@dataclass(frozen=True, slots=True)
class DemandeVerifIban:
    enveloppe: Enveloppe
    iban: str
    recherche_pp: str
    recherche_pm: str
    recherche_siren_siret: str
    personne_physique: CriteresPP
    personne_morale: CriteresPM
    identifiant: SiretSiren


@dataclass(frozen=True, slots=True)
class DemandeMultiDet:
    enveloppe: Enveloppe
    accord_client: str
    code_nature: str
    recherche_pp: str
    recherche_pm: str
    recherche_siren_siret: str
    personne_physique: CriteresPP
    personne_morale: CriteresPM
    identifiant: SiretSiren
    #: sandbox extension for CAF037 (see docs/contract-choices.md): optional bank code
    code_etablissement: str = ""


Demande = (
    DemandeNumCpte
    | DemandeSpi
    | DemandeSiretSiren
    | DemandePerPhy
    | DemandePerPro
    | DemandeVerifIban
    | DemandeMultiDet
)
