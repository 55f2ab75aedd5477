"""The fictitious FICOBA file: immutable records, named after the protocol's objects.

Field values are stored as the protocol restitutes them (strings, labels already in the FICOBA
display style), so the backend renders without recomputing: e.g. `moisNaissance` "2" (not padded,
CONTRACT §4.2), `libelleDepartementNaissance` "Bouches-du-Rhone", `libelleCommuneResidence`
"PARIS". Empty optional values are "" (the examples print "" for `dateCloture`, `dateFinDroit`).

Slots dataclasses keep 1 M accounts within the memory budget (ISSUE 3 §6); records refer to each
other by key (IBAN, person id), never by object, so they pickle flat for the start-up cache.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Adresse:
    """`adresse` of an ayant droit (CONTRACT §4.4.3, S2 `Adresse`)."""

    codePaysResidence: str
    libellePaysResidence: str
    codeDepartementResidence: str = ""
    libelleDepartementResidence: str = ""
    codeCommuneResidence: str = ""  # 3 characters (2 in DOM/COM), as the examples print it
    libelleCommuneResidence: str = ""
    numeroVoie: str = ""
    indiceRepetition: str = ""
    codeNatureVoie: str = ""
    libelleVoie: str = ""
    libelleComplAdr: str = ""
    codePostal: str = ""
    indicateurCodifAdresse: str = ""


@dataclass(frozen=True, slots=True)
class PersonnePhysique:
    """A natural person (CONTRACT §4.2 `personneRecherche`, §4.4.3 `personnePhysique`)."""

    id: str  # stable key: "pp:<spi>" for generated persons, "pp:<persona id>" for personas
    nomNaissance: str
    nomUsage: str
    prenoms: str  # several first names separated by spaces
    sexe: str  # "1".."4"
    anneeNaissance: str
    moisNaissance: str  # "" when unknown (people born abroad may have incomplete dates)
    jourNaissance: str
    codePaysNaissance: str
    libellePaysNaissance: str
    codeDepartementNaissance: str = ""
    libelleDepartementNaissance: str = ""
    codeCommuneNaissance: str = ""
    libelleCommuneNaissance: str = ""
    dateDeces: str = ""
    numeroSpi: str = ""  # 13 digits (10 for the protocol's example personas, CONTRACT §9 #11)
    adresse: Adresse | None = None
    persona: str = ""  # persona file stem, "" for generated records


@dataclass(frozen=True, slots=True)
class PersonneMorale:
    """A legal entity, one record per establishment (SIRET) (CONTRACT §4.3, §4.4.3)."""

    id: str
    raisonSociale: str
    sigle: str = ""
    enseigne: str = ""
    siren: str = ""
    siret: str = ""
    categorieJuridique: str = ""  # 4 digits, INSEE; rendered int in personneRecherche (§9 #8)
    typeRepertoire: str = ""
    numeroRna: str = ""
    numeroCopro: str = ""
    numeroLei: str = ""
    adresse: Adresse | None = None
    entrepreneur: str = ""  # id of the natural person behind an entrepreneur individuel (1000)
    persona: str = ""


@dataclass(frozen=True, slots=True)
class Banque:
    """`etablissementGestionnaire.etablissement` (CONTRACT §4.4.2)."""

    numeroEtablissement: str
    libelleEtablissement: str
    bicEtablissement: str


@dataclass(frozen=True, slots=True)
class Guichet:
    """`etablissementGestionnaire.guichet`; empty address lines are omitted when rendered."""

    numeroEtablissement: str
    numeroGuichet: str
    libelleGuichet: str
    libAdr1: str = ""
    libAdr2: str = ""
    libAdr3: str = ""
    libAdr4: str = ""


@dataclass(frozen=True, slots=True)
class Compte:
    """`caracteristiqueCompte` + the managing branch (CONTRACT §4.4.1). Labels come from
    `domain.codes` (NATURES, TYPES, CARACTERISTIQUES, MOTIFS_OUVERTURE)."""

    iban: str
    dateOuverture: str
    codeNature: int
    codeType: int
    numeroEtablissement: str
    numeroGuichet: str
    dateFiscale: str = ""
    codeMotifOuverture: str = "0"
    dateCloture: str = ""
    formatCompte: str = "IBAN"
    codeCaracteristique: int = 1
    succession: str = "0"
    resident: str = "0"
    codeDevise: str = "EUR"
    persona: str = ""


@dataclass(frozen=True, slots=True)
class Droit:
    """One `ayantsDroits[]` item: a right of a person on an account (CONTRACT §4.4.3).

    `personne` is the id of a PersonnePhysique ("pp:...") or PersonneMorale ("pm:...").
    `avecAdresse`: the examples restitute the address of holders and omit it for powers of
    attorney; personas can say otherwise.
    """

    iban: str
    personne: str
    droitSurCompte: str  # code "1", "2", "6", "8", "9" (label via domain.codes.DROITS)
    dateDebutDroit: str
    dateFinDroit: str = ""
    dateMaj: str = ""
    avecAdresse: bool = True

    @property
    def est_personne_physique(self) -> bool:
        return self.personne.startswith("pp:")


def _install_fast_pickle(*classes: type) -> None:
    """Pickle records as `cls(*values)`: ~2x faster to load than the dataclass default
    (`__setstate__` per object), which matters for the start-up cache."""
    for cls in classes:
        names = tuple(cls.__dataclass_fields__)
        getter = __import__("operator").attrgetter(*names)

        def __reduce__(self, _getter=getter):
            return (type(self), _getter(self))

        cls.__reduce__ = __reduce__  # type: ignore[method-assign]


_install_fast_pickle(Adresse, PersonnePhysique, PersonneMorale, Banque, Guichet, Compte, Droit)
