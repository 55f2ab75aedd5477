"""The fictitious FICOBA file: immutable records, named after the protocol's objects.

Field values are stored as the protocol restitutes them (strings, labels already in the FICOBA
display style), so the backend renders without recomputing: e.g. `mois_naissance` "2" (not padded,
CONTRACT §4.2), `libelle_departement_naissance` "Bouches-du-Rhone", `libelle_commune_residence`
"PARIS". Empty optional values are "" (the examples print "" for `dateCloture`, `dateFinDroit`).
Field names are the protocol's, in Python's spelling (`dateCloture` -> `date_cloture`).

Slots dataclasses keep 1 M accounts within the memory budget (docs/data.md); records refer to each
other by key (IBAN, person id), never by object, so they pickle flat for the start-up cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, make_dataclass
from operator import attrgetter
from typing import Any, TypeVar

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class Adresse:
    """`adresse` of an ayant droit (CONTRACT §4.4.3, S2 `Adresse`)."""

    code_pays_residence: str
    libelle_pays_residence: str
    code_departement_residence: str = ""
    libelle_departement_residence: str = ""
    code_commune_residence: str = ""  # 3 characters (2 in DOM/COM), as the examples print it
    libelle_commune_residence: str = ""
    numero_voie: str = ""
    indice_repetition: str = ""
    code_nature_voie: str = ""
    libelle_voie: str = ""
    libelle_compl_adr: str = ""
    code_postal: str = ""
    indicateur_codif_adresse: str = ""


@dataclass(frozen=True, slots=True)
class PersonnePhysique:
    """A natural person (CONTRACT §4.2 `personneRecherche`, §4.4.3 `personnePhysique`)."""

    id: str  # stable key: "pp:<spi>" for generated persons, "pp:<persona id>" for personas
    nom_naissance: str
    nom_usage: str
    prenoms: str  # several first names separated by spaces
    sexe: str  # "1".."4"
    annee_naissance: str
    mois_naissance: str  # "" when unknown (people born abroad may have incomplete dates)
    jour_naissance: str
    code_pays_naissance: str
    libelle_pays_naissance: str
    code_departement_naissance: str = ""
    libelle_departement_naissance: str = ""
    code_commune_naissance: str = ""
    libelle_commune_naissance: str = ""
    date_deces: str = ""
    numero_spi: str = ""  # 13 digits (10 for the protocol's example personas, CONTRACT §9 #11)
    adresse: Adresse | None = None
    persona: str = ""  # persona file stem, "" for generated records


@dataclass(frozen=True, slots=True)
class PersonneMorale:
    """A legal entity, one record per establishment (SIRET) (CONTRACT §4.3, §4.4.3)."""

    id: str
    raison_sociale: str
    sigle: str = ""
    enseigne: str = ""
    siren: str = ""
    siret: str = ""
    categorie_juridique: str = ""  # 4 digits, INSEE; rendered int in personneRecherche (§9 #8)
    type_repertoire: str = ""
    numero_rna: str = ""
    numero_copro: str = ""
    numero_lei: str = ""
    adresse: Adresse | None = None
    entrepreneur: str = ""  # id of the natural person behind an entrepreneur individuel (1000)
    persona: str = ""


@dataclass(frozen=True, slots=True)
class Banque:
    """`etablissementGestionnaire.etablissement` (CONTRACT §4.4.2)."""

    numero_etablissement: str
    libelle_etablissement: str
    bic_etablissement: str


@dataclass(frozen=True, slots=True)
class Guichet:
    """`etablissementGestionnaire.guichet`; empty address lines are omitted when rendered."""

    numero_etablissement: str
    numero_guichet: str
    libelle_guichet: str
    lib_adr1: str = ""
    lib_adr2: str = ""
    lib_adr3: str = ""
    lib_adr4: str = ""


@dataclass(frozen=True, slots=True)
class Compte:
    """`caracteristiqueCompte` + the managing branch (CONTRACT §4.4.1). Labels come from
    `domain.codes` (NATURES, TYPES, CARACTERISTIQUES, MOTIFS_OUVERTURE)."""

    iban: str
    date_ouverture: str
    code_nature: int
    code_type: int
    numero_etablissement: str
    numero_guichet: str
    date_fiscale: str = ""
    code_motif_ouverture: str = "0"
    date_cloture: str = ""
    format_compte: str = "IBAN"
    code_caracteristique: int = 1
    succession: str = "0"
    resident: str = "0"
    code_devise: str = "EUR"
    persona: str = ""


@dataclass(frozen=True, slots=True)
class Droit:
    """One `ayantsDroits[]` item: a right of a person on an account (CONTRACT §4.4.3).

    `personne` is the id of a PersonnePhysique ("pp:...") or PersonneMorale ("pm:...").
    `avec_adresse`: the examples restitute the address of holders and omit it for powers of
    attorney; personas can say otherwise.
    """

    iban: str
    personne: str
    droit_sur_compte: str  # code "1", "2", "6", "8", "9" (label via domain.codes.DROITS)
    date_debut_droit: str
    date_fin_droit: str = ""
    date_maj: str = ""
    avec_adresse: bool = True

    @property
    def is_personne_physique(self) -> bool:
        return self.personne.startswith("pp:")


def camel_case(name: str) -> str:
    """The protocol's spelling of a field name: `date_ouverture` -> `dateOuverture`,
    `lib_adr1` -> `libAdr1` (the persona files' keys, the dataset digest's field names)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _install_fast_paths(*classes: type) -> None:
    """Speed up the three bulk operations on records, without changing what they produce.

    * `new_record(cls)`: a positional constructor ~6x faster than the frozen `__init__` (which
      pays an `object.__setattr__` call per field). It fills an unfrozen twin class with the same
      slots, then switches the instance's `__class__` to the frozen class: the result is an
      ordinary frozen instance (equality, hash, `replace`, immutability unchanged).
    * `__reduce__`: pickle records as `new_record(cls)(*values)` (the start-up cache).
    * `record_text(record)`: the text the dataset digest hashes, one format call per record.
    """
    for cls in classes:
        specs = []
        for f in fields(cls):
            spec = field(default=f.default) if f.default is not MISSING else field()
            specs.append((f.name, f.type, spec))
        twin = make_dataclass(cls.__name__, specs, slots=True, eq=False, repr=False)
        twin.__module__ = cls.__module__
        assert twin.__dict__["__slots__"] == cls.__dict__["__slots__"]
        new = _constructor(cls, twin)
        globals()[new.__name__] = new  # pickle finds the constructor by module and name
        _CONSTRUCTORS[cls] = new
        names = tuple(f.name for f in fields(cls))
        getter = attrgetter(*names)
        # installed on the class once it exists (a dataclass takes no __reduce__ argument); its
        # type is object.__reduce__'s, which mypy reads as a different signature
        cls.__reduce__ = _reducer(new, getter)  # type: ignore[method-assign,assignment]
        _TEXTS[cls] = _text_function(cls.__qualname__, names, getter)


def _constructor(cls: type, twin: type) -> Callable[..., Any]:
    def new(*values: Any) -> Any:
        record = twin(*values)
        record.__class__ = cls
        return record

    new.__name__ = new.__qualname__ = f"_new_{cls.__name__}"
    return new


def _reducer(
    new: Callable[..., Any], getter: Callable[[Any], tuple[Any, ...]]
) -> Callable[[Any], tuple[Any, ...]]:
    def reduce(record: Any) -> tuple[Any, ...]:
        return (new, getter(record))

    return reduce


_CONSTRUCTORS: dict[type, Callable[..., Any]] = {}


def new_record(cls: type[_R]) -> Callable[..., _R]:
    """The fast positional constructor of a record class: `new_record(Compte)(iban, ...)` takes
    the fields in declaration order (trailing defaults may be omitted)."""
    return _CONSTRUCTORS[cls]


def _text_function(
    name: str, fields: tuple[str, ...], getter: Callable[[Any], tuple[Any, ...]]
) -> Callable[[Any], str]:
    """`record_text` for one class: the dataclass repr's layout, field names in `camel_case`;
    a nested `adresse` is written with its own `record_text`."""
    template = (
        name
        + "("
        + ", ".join(camel_case(f) + ("={}" if f == "adresse" else "={!r}") for f in fields)
        + ")"
    )
    fmt = template.format
    if "adresse" not in fields:
        return lambda record: fmt(*getter(record))
    at = fields.index("adresse")
    adresse_text = _TEXTS[Adresse]

    def text(record: Any) -> str:
        values = list(getter(record))
        adresse = values[at]
        values[at] = "None" if adresse is None else adresse_text(adresse)
        return fmt(*values)

    return text


_TEXTS: dict[type, Callable[[Any], str]] = {}


def record_text(record: object) -> str:
    """A record as the dataset digest hashes it: `Compte(iban='FR76...', dateOuverture=...)`,
    the dataclass repr's layout with the protocol's camelCase field names, so the digest of a
    seed and size does not depend on how the Python code spells its attributes."""
    return _TEXTS[type(record)](record)


_install_fast_paths(Adresse, PersonnePhysique, PersonneMorale, Banque, Guichet, Compte, Droit)
