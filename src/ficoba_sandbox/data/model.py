"""The fictitious FICOBA file: immutable records, named after the protocol's objects.

Field values are stored as the protocol restitutes them (strings, labels already in the FICOBA
display style), so the backend renders without recomputing: e.g. `moisNaissance` "2" (not padded,
CONTRACT §4.2), `libelleDepartementNaissance` "Bouches-du-Rhone", `libelleCommuneResidence`
"PARIS". Empty optional values are "" (the examples print "" for `dateCloture`, `dateFinDroit`).

Slots dataclasses keep 1 M accounts within the memory budget (ISSUE 3 §6); records refer to each
other by key (IBAN, person id), never by object, so they pickle flat for the start-up cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

_R = TypeVar("_R")


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


def _install_fast_paths(*classes: type) -> None:
    """Speed up the three bulk operations on records, without changing what they produce.

    * `new_record(cls)`: a positional constructor ~6x faster than the frozen `__init__` (which
      pays an `object.__setattr__` call per field). It fills an unfrozen twin class with the same
      slots, then switches the instance's `__class__` to the frozen class: the result is an
      ordinary frozen instance (equality, hash, `replace`, immutability unchanged).
    * `__reduce__`: pickle records as `new_record(cls)(*values)` (the start-up cache).
    * `__repr__`: the same text as the dataclass repr (the digest hashes it), without the
      recursion guard and per-field f-string machinery.
    """
    from dataclasses import MISSING, fields, make_dataclass
    from operator import attrgetter

    for cls in classes:
        specs = []
        for f in fields(cls):
            spec = field(default=f.default) if f.default is not MISSING else field()
            specs.append((f.name, f.type, spec))
        twin = make_dataclass(cls.__name__, specs, slots=True, eq=False, repr=False)
        twin.__module__ = cls.__module__
        assert twin.__slots__ == cls.__slots__  # type: ignore[attr-defined]

        def new(*values, _twin=twin, _cls=cls):  # type: ignore[no-untyped-def]
            obj = _twin(*values)
            obj.__class__ = _cls
            return obj

        new.__name__ = new.__qualname__ = f"_new_{cls.__name__}"
        globals()[new.__name__] = new  # picklable by reference
        _CONSTRUCTORS[cls] = new
        names = tuple(f.name for f in fields(cls))
        getter = attrgetter(*names)
        template = cls.__qualname__ + "(" + ", ".join(f"{n}={{!r}}" for n in names) + ")"

        def __reduce__(self, _getter=getter, _new=new):  # type: ignore[no-untyped-def]
            return (_new, _getter(self))

        def __repr__(self, _getter=getter, _fmt=template.format):  # type: ignore[no-untyped-def]
            return _fmt(*_getter(self))

        cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
        cls.__repr__ = __repr__  # type: ignore[method-assign,assignment]


_CONSTRUCTORS: dict[type, object] = {}


def new_record(cls: type[_R]) -> Callable[..., _R]:
    """The fast positional constructor of a record class: `new_record(Compte)(iban, ...)` takes
    the fields in declaration order (trailing defaults may be omitted)."""
    return _CONSTRUCTORS[cls]  # type: ignore[return-value]


_install_fast_paths(Adresse, PersonnePhysique, PersonneMorale, Banque, Guichet, Compte, Droit)
