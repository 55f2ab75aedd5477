"""Finding people in the fictitious file from one search box (the QA console's personas page):
the text is read as an IBAN, a SPI, a SIREN, a SIRET or a name, by its shape, and looked up
through the store's own indexes (store.py), so the console finds what the API finds.

Shapes: an IBAN is two letters, two check digits and 10 to 30 letters or digits (ISO 13616,
spaces allowed); a SPI 13 digits (10 for the protocol's example personas, docs/data.md); a SIREN
9 digits, a SIRET 14 (INSEE). Anything else is a name: a natural person's birth or usage name
(then first names), or the start of a legal entity's raison sociale, sigle or enseigne, as the
`perPhy` and `perPro` searches read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ficoba_sandbox.data.model import PersonneMorale, PersonnePhysique
from ficoba_sandbox.data.search import (
    CriteresPersonneMorale,
    CriteresPersonnePhysique,
    SearchStatus,
)
from ficoba_sandbox.data.store import Store

Personne = PersonnePhysique | PersonneMorale
IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
#: at most this many people found are listed; more asks for a narrower text
MAX_FOUND = 50
#: the ways of cutting a text into name and first names tried, longest name first
MAX_NAME_WORDS = 6


@dataclass(frozen=True)
class Lookup:
    """What a text found: how it was read, the people (natural persons first), and how many
    more there were beyond MAX_FOUND."""

    read_as: str  # "iban", "spi", "siren", "siret", "name", "" (empty text)
    personnes: list[Personne] = field(default_factory=list)
    more: int = 0


def read_as(text: str) -> tuple[str, str]:
    """(what the text is, the text as that kind is looked up)."""
    compact = re.sub(r"\s+", "", text).upper()
    if not compact:
        return "", ""
    if IBAN_SHAPE.fullmatch(compact):
        return "iban", compact
    if compact.isdigit():
        kind = {13: "spi", 10: "spi", 9: "siren", 14: "siret"}.get(len(compact))
        if kind:
            return kind, compact
    return "name", " ".join(text.split())


def _by_name(store: Store, name: str) -> tuple[list[Personne], int]:
    words = name.split()
    found: list[Personne] = []
    total = 0
    # the whole text as a name, then its first words as the name (names have several words:
    # "SANDBOX CLOTURE") and the rest as first names
    tries = [
        CriteresPersonnePhysique(nom=" ".join(words[:cut]), prenoms=" ".join(words[cut:]) or None)
        for cut in range(len(words), 0, -1)
    ][:MAX_NAME_WORDS]
    for criteres in tries:
        result = store.search_personnes_physiques(criteres, limit=MAX_FOUND)
        if result.status is SearchStatus.TOO_MANY:
            total = max(total, result.count)
        elif result.matches:
            found = list(result.matches)
            total = len(found)
            break
    entities = store.search_personnes_morales(
        CriteresPersonneMorale(raison_sociale=name), limit=MAX_FOUND
    )
    if entities.status is SearchStatus.TOO_MANY:
        total += entities.count
    else:
        found += list(entities.matches)
        total += len(entities.matches)
    return found, total


def lookup(store: Store, text: str) -> Lookup:
    kind, value = read_as(text)
    found: list[Personne] = []
    total = 0
    if kind == "iban":
        compte = store.compte_by_iban(value)
        if compte is not None:
            ids = dict.fromkeys(d.personne for d in store.droits_of_compte(compte))
            found = [p for pid in ids if (p := store.personne(pid)) is not None]
    elif kind == "spi":
        pp = store.personne_physique_by_spi(value)
        found = [pp] if pp is not None else []
    elif kind == "siren":
        found = list(store.personnes_morales_by_siren(value))
    elif kind == "siret":
        pm = store.personne_morale_by_siret(value)
        found = [pm] if pm is not None else []
    elif kind == "name":
        found, total = _by_name(store, value)
    total = max(total, len(found))
    found.sort(key=lambda p: isinstance(p, PersonneMorale))  # people first, order kept
    return Lookup(kind, found[:MAX_FOUND], max(0, total - min(len(found), MAX_FOUND)))
