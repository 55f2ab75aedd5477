"""What a search asks and answers, and the matching rules (docs/data.md): the criteria of
perPhy / perPro / verifIban / multiDet as the backend hands them to the Store, the SearchResult
and its SearchStatus, and the pure rules that decide whether a record matches.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

from ficoba_sandbox.data.model import Adresse, PersonnePhysique
from ficoba_sandbox.domain.normalize import normalize_text, normalize_words

# CAF036 "Il y a trop de réponses satisfaisant aux critères": above this many matching persons
# (or entities) a search is refused. The protocol gives no figure [G]; 50 keeps responses small.
MAX_REPONSES = 50

T = TypeVar("T")


class SearchStatus(enum.Enum):
    """Why a search returned what it returned; the backend maps it to a code (CONTRACT §6.3)."""

    OK = "OK"
    TOO_MANY = "TOO_MANY"  # CAF036 (400)
    NO_MATCH = "NO_MATCH"  # no person/entity with this identity: CAF013 (PP) / CAF015 (PM)
    ADDRESS_UNKNOWN = (
        "ADDRESS_UNKNOWN"  # identity found, nobody in the file at this address: CAF028
    )
    NOT_AT_ADDRESS = "NOT_AT_ADDRESS"  # identity found, address exists, not theirs: CAF029


@dataclass(frozen=True, slots=True)
class CriteresAdresse:
    """`domiciliation` (S2 `Domiciliation`). Empty / None fields are ignored."""

    code_pays: str | None = None
    code_departement: str | None = None
    code_commune: str | None = None
    code_nature_voie: str | None = None
    libelle_voie: str | None = None
    numero_voie: str | None = None
    indice_repetition: str | None = None
    code_postal: str | None = None

    def is_empty(self) -> bool:
        return not any(clean(getattr(self, f.name)) for f in fields(self))


@dataclass(frozen=True, slots=True)
class CriteresPersonnePhysique:
    """perPhy / verifIban PP / multiDet PP criteria (CONTRACT §3.5). Strings as received; the
    store normalises them. Date parts may be "", "0", "00" (unknown) or digits."""

    nom: str
    prenoms: str | None = None
    sexe: str | None = None
    annee_naissance: str | None = None
    mois_naissance: str | None = None
    jour_naissance: str | None = None
    annee_naissance_debut: str | None = None
    mois_naissance_debut: str | None = None
    jour_naissance_debut: str | None = None
    annee_naissance_fin: str | None = None
    mois_naissance_fin: str | None = None
    jour_naissance_fin: str | None = None
    code_pays_naissance: str | None = None
    code_departement_naissance: str | None = None
    code_commune_naissance: str | None = None
    adresse: CriteresAdresse | None = None


@dataclass(frozen=True, slots=True)
class CriteresPersonneMorale:
    """perPro / verifIban PM / multiDet PM criteria (CONTRACT §3.4)."""

    raison_sociale: str | None = None
    sigle: str | None = None
    enseigne: str | None = None
    code_categorie_juridique: str | None = None
    adresse: CriteresAdresse | None = None


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[T]):
    status: SearchStatus
    matches: tuple[T, ...] = ()
    count: int = 0  # number of matches before truncation (> MAX_REPONSES when TOO_MANY)


def clean(value: str | None) -> str:
    return value.strip() if value else ""


def int_or_zero(value: str | None) -> int:
    v = clean(value)
    return int(v) if v.isdigit() else 0


# ------------------------------------------------------------------------- matching rules


def name_keys(text: str) -> tuple[str, ...]:
    """Index keys of a name: the normalised form and the same without spaces ("LE CORBUSIER"
    and "LECORBUSIER" meet)."""
    norm = normalize_text(text)
    if not norm:
        return ()
    squashed = norm.replace(" ", "")
    return (norm,) if squashed == norm else (norm, squashed)


@functools.lru_cache(maxsize=1 << 16)
def _stored_words(stored: str) -> tuple[str, ...]:
    return normalize_words(stored)


def words_match(wanted: tuple[str, ...], stored: str) -> bool:
    """The first-names rule, the criterion already split (`normalize_words`): every first name
    given must be among the person's first names, the first one first: "CORINNE" and "CORINNE
    MARIE" match "CORINNE ANNE MARIE"; "ANNE" does not."""
    if not wanted:
        return True
    have = _stored_words(stored)
    if not have or wanted[0] != have[0]:
        # "CHARLES-EDOUARD" vs "CHARLESEDOUARD": compare squashed too
        return "".join(wanted) == "".join(have)
    return all(w in have for w in wanted[1:])


@functools.lru_cache(maxsize=1 << 16)
def stored_date(annee: str, mois: str, jour: str) -> tuple[int, int, int]:
    """A stored birth date's parts (0: unknown); pure, cached
    (errors are not cached: they are raised again)."""
    return int_or_zero(annee), int_or_zero(mois), int_or_zero(jour)


def date_predicate(c: CriteresPersonnePhysique) -> Callable[[PersonnePhysique], bool] | None:
    """The birth-date rule (see `date_matches`) as a function of `pp` alone, the criterion's
    parts computed once and the person's cached (`stored_date`); None when the criterion gives
    no date (always true). Raises ValueError where the criterion's parts are not numbers."""
    if clean(c.annee_naissance):
        year = int_or_zero(c.annee_naissance)
        wm = int_or_zero(c.mois_naissance)
        wd = int_or_zero(c.jour_naissance)

        def exact(pp: PersonnePhysique) -> bool:
            y, m, d = stored_date(pp.annee_naissance, pp.mois_naissance, pp.jour_naissance)
            if year != y:
                return False
            if wm and m and wm != m:
                return False
            return not (wd and d and wd != d)

        return exact
    if clean(c.annee_naissance_debut) or clean(c.annee_naissance_fin):
        start = (
            int_or_zero(c.annee_naissance_debut),
            int_or_zero(c.mois_naissance_debut) or 1,
            int_or_zero(c.jour_naissance_debut) or 1,
        )
        end = (
            int_or_zero(c.annee_naissance_fin) or 9999,
            int_or_zero(c.mois_naissance_fin) or 12,
            int_or_zero(c.jour_naissance_fin) or 31,
        )

        def within(pp: PersonnePhysique) -> bool:
            y, m, d = stored_date(pp.annee_naissance, pp.mois_naissance, pp.jour_naissance)
            return (y, m or 1, d or 1) <= end and (y, m or 12, d or 31) >= start

        return within
    return None


def date_matches(c: CriteresPersonnePhysique, pp: PersonnePhysique) -> bool:
    """Exact date: year required, month/day compared when both sides know them. Range: missing
    start parts are 01, missing end parts 12/31; a person with an incomplete date matches when
    the period their known parts cover overlaps the range. One rule: `date_predicate`'s."""
    predicate = date_predicate(c)
    return predicate is None or predicate(pp)


def address_matches(a: CriteresAdresse, adr: Adresse | None) -> bool:
    if adr is None:
        return False
    pairs = (
        (a.code_pays, adr.code_pays_residence),
        (a.code_departement, adr.code_departement_residence),
        (a.code_commune, adr.code_commune_residence),
        (a.code_nature_voie, adr.code_nature_voie),
        (a.numero_voie, adr.numero_voie),
        (a.indice_repetition, adr.indice_repetition),
        (a.code_postal, adr.code_postal),
    )
    for wanted, have in pairs:
        w = clean(wanted).upper()
        if w and w != have.strip().upper():
            return False
    voie = normalize_text(a.libelle_voie)
    return not (voie and voie != normalize_text(adr.libelle_voie))


def address_keys(adr: Adresse) -> tuple[tuple[str, ...], ...]:
    return (
        ("d", adr.code_departement_residence),
        ("c", adr.code_departement_residence, adr.code_commune_residence),
        ("p", adr.code_postal),
    )
