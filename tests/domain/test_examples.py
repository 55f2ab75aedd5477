"""domain/examples.py: the protocol's request examples, one or more per resource, as printed in
protocol v11 (their identifiers included, valid or not: the personas hold the invalid ones so
that each example is answered as the protocol answers it, docs/contract-choices.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ficoba_sandbox.domain import codes, identifiers, insee
from ficoba_sandbox.domain.access import RESOURCE_OF, SearchType, search_type_of
from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

EXAMPLES = [
    pytest.param(resource, body, id=f"{resource}/{name}")
    for resource, named in REQUEST_EXAMPLES.items()
    for name, body in named.items()
]


def values(document: Any, key: str) -> Iterator[str]:
    """Every non-empty value of `key`, at any depth."""
    if isinstance(document, dict):
        for k, v in document.items():
            if k == key and isinstance(v, str) and v:
                yield v
            yield from values(v, key)


def test_every_resource_has_an_example() -> None:
    assert set(REQUEST_EXAMPLES) == {path.rsplit("/", 1)[1] for path in RESOURCE_OF.values()}


def search_type(resource: str, body: dict[str, Any]) -> SearchType | None:
    c = body["criteresRecherche"]
    selectors = (
        c.get("recherchePP", ""),
        c.get("recherchePM", ""),
        # multiDet spells it so (CONTRACT §9 #6)
        c.get("rechercheSirenSiret", c.get("rechercheSIRENSIRET", "")),
    )
    return search_type_of(resource, selectors)


@pytest.mark.parametrize(("resource", "body"), EXAMPLES)
def test_an_example_is_a_whole_demande(resource: str, body: dict[str, Any]) -> None:
    envelope = {"dateDemande", "motif", "siretDemandeur", "sirenDemandeur", "justification"}
    assert set(body) == envelope | {"criteresRecherche"}
    assert search_type(resource, body) is not None


def test_the_search_types_the_examples_show() -> None:
    shown = {
        search_type(resource, body)
        for resource, named in REQUEST_EXAMPLES.items()
        for body in named.values()
    }
    # the protocol prints no example of a legal entity's verifIban or multiDet
    assert shown == set(SearchType) - {SearchType.VERIF_IBAN_PM, SearchType.MULTIDET_PM}


def test_the_identifiers_as_printed() -> None:
    """Most pass their keys; the protocol prints a few that do not, and the sandbox keeps them."""
    ibans = {v for body in REQUEST_EXAMPLES.values() for v in values(body, "iban")}
    assert {v for v in ibans if not identifiers.is_valid_fr_iban(v)} == {
        "FC1030004008711812050237399"  # safe-deposit box: RIB key 99 where 41 is due
    }
    spis = {v for body in REQUEST_EXAMPLES.values() for v in values(body, "numeroSPI")}
    assert spis == {"1489335901"}  # 10 digits where CAF004 asks 13 (CONTRACT §9 #11)
    sirets = {
        v
        for key in ("siret", "siretDemandeur")
        for body in REQUEST_EXAMPLES.values()
        for v in values(body, key)
    }
    assert {v for v in sirets if not identifiers.is_valid_siret(v)} == {
        "11210489100013",
        "81325471100020",
        "94682768462289",
    }
    sirens = {v for body in REQUEST_EXAMPLES.values() for v in values(body, "siren")}
    assert sirens == {"345678901"} and not identifiers.is_valid_siren("345678901")


def test_the_codes_are_in_the_code_lists() -> None:
    for body in REQUEST_EXAMPLES.values():
        for v in values(body, "codeNatureCompte"):
            assert int(v) in codes.NATURES
        for v in values(body, "codeCategorieJuridique"):
            assert v in codes.CATEGORIES_JURIDIQUES
        for key in ("codePays", "codePaysNaissance"):
            for v in values(body, key):
                assert insee.pays(v) is not None, v
