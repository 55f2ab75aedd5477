"""Domain rules of issue 3: normalisation, code lists, identifiers, INSEE lists, import hygiene."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ficoba_sandbox.domain import codes, identifiers, insee
from ficoba_sandbox.domain.normalize import normalize_text


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("CORBuSIER", "CORBUSIER"),
        ("CHARLES-éDOUARD", "CHARLES EDOUARD"),
        ("  l'Hôpital  &  Œuvre ", "L HOPITAL OEUVRE"),
        (None, ""),
        ("", ""),
    ],
)
def test_normalize(raw, norm):
    assert normalize_text(raw) == norm


def test_code_lists():
    assert len(codes.NATURES) == 25
    assert codes.TYPES[1] == "Simple" and codes.TYPES[2] == "Joint"
    assert codes.DROITS["1"] == "Titulaire" and codes.DROITS["2"] == "Procuration"
    assert codes.NATURES_VOIE["AV"] == "Avenue" and len(codes.NATURES_VOIE) == 158
    assert "EUR" in codes.DEVISES and "ZWD" in codes.DEVISES
    for cat in ("1000", "5710", "5499", "5599", "6540", "9220", "5520", "7210"):
        assert cat in codes.CATEGORIES_JURIDIQUES


def test_iban_and_rib():
    iban = "FR7630004009550000135601429"  # protocol §2.5.2
    assert identifiers.is_valid_fr_iban(iban)
    assert identifiers.build_fr_iban("30004", "00955", "00001356014") == iban
    assert not identifiers.is_valid_fr_iban("FR7630004009550000135601428")
    assert identifiers.rib_key("30004", "00955", "0000135601A") == identifiers.rib_key(
        "30004", "00955", "00001356011"
    )


def test_siren_siret_spi_lei():
    siren = identifiers.make_siren("73282932")
    assert identifiers.is_valid_siren(siren)
    assert identifiers.is_valid_siret(identifiers.make_siret(siren, "0001"))
    assert identifiers.is_valid_siret("35600000000048")  # La Poste: sum of digits % 5
    spi = identifiers.make_spi("1234567890")
    assert identifiers.is_valid_spi(spi) and spi[10:] == f"{1234567890 % 511:03d}"
    assert not identifiers.is_valid_spi("4234567890" + spi[10:])
    assert identifiers.is_valid_lei(identifiers.make_lei("969500VY3US76MX3IZ"))


def test_insee_lists():
    assert insee.pays("99100") == "FRANCE"
    assert insee.departement("13") == "Bouches-du-Rhône"
    assert insee.libelle_departement_ficoba("13") == "Bouches-du-Rhone"
    creteil = insee.commune("94", "028")
    assert creteil is not None and insee.libelle_commune_ficoba(creteil) == "CRETEIL"
    assert insee.postcodes_of("94", "028") == ("94000",)
    assert insee.libelle_commune_ficoba(insee.commune("75", "111")) == "PARIS"
    assert insee.commune("971", "20").nom == "Pointe-à-Pitre"
    assert insee.commune("78", "454").historique  # Annex 10: Seine-et-Oise before 1968
    assert insee.commune("75", "100") is None


def test_domain_imports_only_stdlib_and_stdnum():
    code = (
        "import sys, ficoba_sandbox.domain.identifiers, ficoba_sandbox.domain.normalize, "
        "ficoba_sandbox.domain.codes, ficoba_sandbox.domain.insee\n"
        "ficoba_sandbox.domain.insee.pays('99100')\n"
        "bad = [m for m in ('fastapi', 'faker', 'pydantic', 'yaml') if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
