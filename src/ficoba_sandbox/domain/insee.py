"""INSEE reference lists: countries (99xxx), départements, communes (COG) and their postcodes.

The backend checks request codes against them (CAF038/CAF039 birth country/commune, CAF040/CAF041
address country/commune, CONTRACT §6.3) and the generator draws addresses and birthplaces from
them. Data: `domain/data/insee.json.gz`, rebuilt by `scripts/extract_insee.py` (see the README
beside the data file for sources and licences).

Codes as the protocol writes them (Annex 10, CONTRACT §3.7): a commune is identified by
département + commune, 2 + 3 characters in metropolitan France (Corsica "2A"/"2B"), 3 + 2 in the
DOM/COM ("971" + "20" = 97120 Pointe-à-Pitre). `commune()` also accepts 3 + 3 for the DOM
("971", "120"). Historical codes (delegated/associated communes, pre-1968 Seine-et-Oise codes...)
are accepted: the protocol allows them for birthplaces.

Loading is lazy and cached (≈ 0.05 s, once: the JSON only; `Commune` objects are built on
first use, one by one), so importing this module costs nothing.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypedDict

from ficoba_sandbox.domain.normalize import label_upper, strip_accents

PAYS_FRANCE = "99100"


@dataclass(frozen=True, slots=True)
class Commune:
    code: str  # 5-character COG code, e.g. "94028"
    nom: str  # official label, e.g. "Créteil"
    codes_postaux: tuple[str, ...]
    historique: bool

    @property
    def code_departement(self) -> str:
        return departement_of(self.code)

    @property
    def code_commune(self) -> str:
        return self.code[len(self.code_departement) :]


class _Payload(TypedDict):
    """The content of `data/insee.json.gz` (written by `scripts/extract_insee.py`)."""

    pays: dict[str, str]  # code -> label
    departements: dict[str, str]  # code -> label
    communes: dict[str, list[Any]]  # code -> [label, postcodes, historical flag]


@cache
def _payload() -> _Payload:
    raw = resources.files("ficoba_sandbox.domain").joinpath("data/insee.json.gz").read_bytes()
    payload: _Payload = json.loads(gzip.decompress(raw))
    return payload


def commune_rows() -> dict[str, list[Any]]:
    """The raw commune list, code -> [label, postcodes, historical flag], in code order: for the
    generator, which reads a few thousand of the 39 000 communes (building them all as `Commune`
    objects would cost more than the rest of the INSEE loading)."""
    return _payload()["communes"]


_COMMUNES: dict[str, Commune] = {}  # built on first use; only real codes are kept


def _commune(code5: str) -> Commune | None:
    found = _COMMUNES.get(code5)
    if found is None:
        row = commune_rows().get(code5)
        if row is None:
            return None
        nom, postcodes, hist = row
        found = _COMMUNES[code5] = Commune(code5, nom, tuple(postcodes), bool(hist))
    return found


@cache
def _all_communes() -> dict[str, Commune]:
    return {code: found for code in commune_rows() if (found := _commune(code)) is not None}


def departement_of(code_commune5: str) -> str:
    """The département part of a 5-character commune code (3 characters for 97x/98x)."""
    return code_commune5[:3] if code_commune5[:2] in ("97", "98") else code_commune5[:2]


def commune_code(code_departement: str, code_commune: str) -> str | None:
    """Join the protocol's département + commune codes into the 5-character COG code.

    Accepts 2+3 (metropole), 3+2 (DOM/COM) and 3+3 when the commune repeats the département's
    last digit ("971" + "120"). Returns None when the shapes do not fit.
    """
    dep = (code_departement or "").strip().upper()
    com = (code_commune or "").strip().upper()
    if len(dep) == 2 and len(com) == 3:
        return dep + com
    if len(dep) == 3 and len(com) == 2:
        return dep + com
    if len(dep) == 3 and len(com) == 3 and com[0] == dep[2]:
        return dep + com[1:]
    if len(dep) == 3 and dep[0] == "0" and len(com) == 3:  # "094" + "028": zero-padded dept
        return dep[1:] + com
    return None


def pays(code: str) -> str | None:
    """INSEE country label (upper case, as the list prints it): pays("99100") -> "FRANCE"."""
    return _payload()["pays"].get(code)


def departement(code: str) -> str | None:
    """Official département label: departement("13") -> "Bouches-du-Rhône"."""
    return _payload()["departements"].get(code)


def commune_by_code(code5: str) -> Commune | None:
    return _commune(code5) if isinstance(code5, str) else None


def commune(code_departement: str, code_commune: str) -> Commune | None:
    """The commune for the protocol's (département, commune) pair, historical codes included."""
    code5 = commune_code(code_departement, code_commune)
    return _commune(code5) if code5 else None


def all_pays() -> dict[str, str]:
    return _payload()["pays"]


def all_departements() -> dict[str, str]:
    return _payload()["departements"]


def all_communes() -> dict[str, Commune]:
    return _all_communes()


# FICOBA display styles, as the protocol examples print the labels (CONTRACT §3.1, §3.2):
# communes "CRETEIL", "MARSEILLE", "PARIS" (for arrondissement 75111); départements without
# accents but in mixed case ("Bouches-du-Rhone", "Val-de-Marne"); countries upper case.
_ARRONDISSEMENT = re.compile(r"\s+\d+(?:er|e)\s+Arrondissement$", re.IGNORECASE)


def libelle_commune_ficoba(found: Commune) -> str:
    return label_upper(_ARRONDISSEMENT.sub("", found.nom))


def libelle_departement_ficoba(code: str) -> str | None:
    label = departement(code)
    return strip_accents(label) if label is not None else None


def libelle_pays_ficoba(code: str) -> str | None:
    label = pays(code)
    return label_upper(label) if label is not None else None
