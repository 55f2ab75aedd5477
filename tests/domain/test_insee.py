"""domain/insee.py: the INSEE reference lists (countries, départements, communes, postcodes) and
the FICOBA display style of their labels (CONTRACT §3.1, §3.2, Annex 10)."""

from __future__ import annotations

import pytest

from ficoba_sandbox.domain import insee


def test_countries() -> None:
    assert insee.pays(insee.PAYS_FRANCE) == "FRANCE"
    assert insee.libelle_pays_ficoba("99134") == "ESPAGNE"
    assert insee.pays("99999") is None and insee.libelle_pays_ficoba("99999") is None
    assert len(insee.all_pays()) > 200


def test_departements() -> None:
    assert insee.departement("13") == "Bouches-du-Rhône"
    assert insee.libelle_departement_ficoba("13") == "Bouches-du-Rhone"
    assert insee.departement("2A") == "Corse-du-Sud" and insee.departement("971") == "Guadeloupe"
    assert insee.libelle_departement_ficoba("00") is None
    assert len(insee.all_departements()) >= 101


@pytest.mark.parametrize(
    ("dep", "com", "code"),
    [
        ("94", "028", "94028"),  # metropolitan: 2 + 3
        ("2A", "004", "2A004"),  # Corsica
        ("971", "20", "97120"),  # DOM: 3 + 2
        ("971", "120", "97120"),  # DOM, the commune repeating the département's last digit
        ("094", "028", "94028"),  # zero-padded département
        (" 2a ", "004", "2A004"),
        ("94", "28", None),
        ("971", "220", None),
        ("", "028", None),
    ],
)
def test_commune_code_shapes(dep: str, com: str, code: str | None) -> None:
    assert insee.commune_code(dep, com) == code


def test_communes() -> None:
    creteil = insee.commune("94", "028")
    assert creteil is not None and creteil.nom == "Créteil"
    assert insee.libelle_commune_ficoba(creteil) == "CRETEIL"
    assert (creteil.code_departement, creteil.code_commune) == ("94", "028")
    pap = insee.commune_by_code("97120")
    assert pap is not None and (pap.code_departement, pap.code_commune) == ("971", "20")
    paris_11 = insee.commune("75", "111")
    assert paris_11 is not None and insee.libelle_commune_ficoba(paris_11) == "PARIS"
    historic = insee.commune("78", "454")  # Seine-et-Oise before 1968: allowed for birthplaces
    assert historic is not None and historic.historique
    assert insee.commune("75", "100") is None and insee.commune_by_code("00000") is None


def test_departement_of() -> None:
    assert insee.departement_of("94028") == "94"
    assert insee.departement_of("97411") == "974"
    assert insee.departement_of("2B033") == "2B"


def test_every_commune_row_is_a_commune_of_a_known_departement() -> None:
    communes = insee.all_communes()
    assert len(communes) == len(insee.commune_rows()) > 30_000
    deps = insee.all_departements()
    current = [c for c in communes.values() if not c.historique]
    assert all(c.code_departement in deps for c in current)
    # every current commune has a postcode, but the districts of the TAAF (984), uninhabited
    assert {c.code_departement for c in current if not c.codes_postaux} == {"984"}
