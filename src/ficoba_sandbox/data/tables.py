"""The tables the generator (`data/generate.py`) draws from: account natures and legal
categories with their shares, the communes drawn most, street kinds and words, countries of birth
abroad, company words, and Faker fr_FR's names. Shares are documented in docs/data.md.
"""

from __future__ import annotations

import ast
from importlib.util import find_spec
from pathlib import Path

from ficoba_sandbox.domain.normalize import label_upper

# Natures for natural persons: (code, probability per person). Rare natures keep small shares
# so that every one of the 25 appears in a default dataset.
PP_NATURES: tuple[tuple[int, float], ...] = (
    (201, 0.62),
    (202, 0.05),
    (203, 0.01),
    (204, 0.04),
    (205, 0.40),
    (206, 0.10),
    (208, 0.004),
    (209, 0.15),
    (210, 0.08),
    (211, 0.006),
    (212, 0.10),
    (213, 0.07),
    (214, 0.015),
    (215, 0.04),
    (216, 0.20),
    (217, 0.01),
    (300, 0.02),
    (401, 0.09),
    (500, 0.02),
    (900, 0.01),
    (103, 0.03),
    (104, 0.01),
)
PM_NATURES: tuple[tuple[int, float], ...] = (
    (207, 0.02),
    (216, 0.08),
    (300, 0.10),
    (401, 0.06),
    (500, 0.03),
    (900, 0.02),
    (103, 0.05),
)
CATEGORIES: tuple[tuple[str, int], ...] = (
    ("5710", 26),
    ("5499", 18),
    ("5720", 8),
    ("6540", 12),
    ("9220", 9),
    ("5599", 3),
    ("5498", 5),
    ("5202", 1),
    ("6599", 2),
    ("6589", 1),
    ("9110", 3),
    ("5485", 1),
    ("5520", 1),
    ("7210", 1),
    ("6220", 1),
    ("5800", 1),
)
BIG_COMMUNES = [
    "75101",
    "75104",
    "75108",
    "75111",
    "75112",
    "75113",
    "75115",
    "75116",
    "75117",
    "75118",
    "75119",
    "75120",
    "13055",
    "69123",
    "31555",
    "06088",
    "44109",
    "67482",
    "34172",
    "33063",
    "59350",
    "35238",
    "51454",
    "76351",
    "42218",
    "83137",
    "49007",
    "38185",
    "21231",
    "37261",
    "92050",
    "93066",
    "94028",
    "78646",
    "95127",
    "91228",
    "77288",
    "97411",
    "97209",
    "97101",
    "2A004",
    "2B033",
]
VOIES: tuple[tuple[str, int], ...] = (
    ("RUE", 45), ("AV", 15), ("BD", 8), ("CHE", 8), ("PL", 4), ("IMP", 5), ("ALL", 5),
    ("RTE", 4), ("QUAI", 2), ("LOT", 2), ("RES", 2), ("SQ", 1), ("CRS", 1), ("PAS", 1),
)  # fmt: skip
STREET_WORDS = (
    "DE LA PAIX",
    "DE LA REPUBLIQUE",
    "VICTOR HUGO",
    "JEAN JAURES",
    "DU GENERAL DE GAULLE",
    "PASTEUR",
    "DE LA GARE",
    "DES LILAS",
    "DU MOULIN",
    "DE L EGLISE",
    "DES ECOLES",
    "GAMBETTA",
    "JULES FERRY",
    "DU 8 MAI 1945",
    "DES TILLEULS",
    "DE VERDUN",
    "CARNOT",
    "DU STADE",
    "DES ACACIAS",
    "DE LA LIBERATION",
    "ARISTIDE BRIAND",
    "DU CHATEAU",
    "DES PEUPLIERS",
    "FOCH",
    "EMILE ZOLA",
)
FOREIGN_COUNTRIES = (
    "99109",
    "99134",
    "99127",
    "99131",
    "99139",
    "99132",
    "99350",
    "99352",
    "99351",
)
COMPANY_WORDS = (
    "TRANSPORTS",
    "BOULANGERIE",
    "GARAGE",
    "IMMOBILIERE",
    "CONSEIL",
    "BATIMENT",
    "RESTAURANT",
    "PHARMACIE",
    "INFORMATIQUE",
    "DISTRIBUTION",
    "NEGOCE",
    "ATELIER",
    "AGENCE",
    "SERVICES",
    "INDUSTRIES",
    "MENUISERIE",
    "PLOMBERIE",
    "CABINET",
    "HOLDING",
    "FINANCES",
)


_FAKER_LISTS = ("last_names", "first_names_male", "first_names_female")


def faker_word_lists() -> tuple[tuple[str, ...], ...]:
    """Faker fr_FR's `last_names`, `first_names_male`, `first_names_female`, read as literals
    from the provider's source: importing Faker costs ~50 ms (it scans every locale at import),
    a third of what the whole INSEE loading costs. Falls back to the import when the source is
    not the expected shape (tests/data checks both give the same tuples)."""
    try:
        spec = find_spec("faker")
        assert spec is not None and spec.submodule_search_locations
        root = Path(next(iter(spec.submodule_search_locations)))
        tree = ast.parse((root / "providers" / "person" / "fr_FR" / "__init__.py").read_bytes())
        found: dict[str, tuple[str, ...]] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Provider":
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name)
                        and stmt.targets[0].id in _FAKER_LISTS
                    ):
                        found[stmt.targets[0].id] = ast.literal_eval(stmt.value)
        lists = tuple(found[name] for name in _FAKER_LISTS)
        if all(isinstance(x, tuple) and x and all(isinstance(n, str) for n in x) for x in lists):
            return lists
    except Exception:  # any surprise: the plain import below
        pass
    from faker.providers.person.fr_FR import Provider

    return tuple(getattr(Provider, name) for name in _FAKER_LISTS)


def name_pools() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    # Faker's fr_FR word lists (tuples, stable order), in the FICOBA upper-case style.
    last, male, female = (tuple(label_upper(n) for n in x) for x in faker_word_lists())
    return last, male, female
