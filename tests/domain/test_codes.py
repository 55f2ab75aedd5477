"""domain/codes.py: the code lists of the protocol (CONTRACT §5; protocol v11 Annexes 1-7)."""

from __future__ import annotations

from ficoba_sandbox.domain import codes


def test_natures_of_annex_1() -> None:
    assert len(codes.NATURES) == 25
    assert list(codes.NATURES)[-2:] == [500, 900]
    assert codes.NATURES[201] == "Compte d'épargne livret A"
    assert codes.NATURES_REGLEMENTEES.issubset(codes.NATURES)
    for nature, group in codes.NATURES_EQUIVALENTES.items():
        assert nature in group and all(codes.NATURES_EQUIVALENTES[n] == group for n in group)


def test_types_as_the_examples_print_them() -> None:
    assert codes.TYPES == {1: "Simple", 2: "Joint", 3: "Collectif", 4: "Indivis"}
    assert set(codes.TYPES_ANNEXE) == set(codes.TYPES)


def test_small_lists() -> None:
    assert codes.CARACTERISTIQUES == {1: "Compte unique", 2: "Compte principal"}
    assert codes.OUI_NON == {"0": "Non", "1": "Oui"}
    assert list(codes.MOTIFS_OUVERTURE) == ["0", "1", "2", "3"]
    assert list(codes.SEXES) == ["1", "2", "3", "4"]
    assert codes.FORMATS_COMPTE[0] == "IBAN"
    assert "SIRENE" in codes.TYPES_REPERTOIRE
    assert "ADRESSECODIFIEE" in codes.INDICATEURS_CODIF_ADRESSE


def test_rights() -> None:
    named = [
        codes.DROIT_TITULAIRE,
        codes.DROIT_PROCURATION,
        codes.DROIT_MANDATAIRE,
        codes.DROIT_ETCI_EI,
        codes.DROIT_BENEFICIAIRE_EFFECTIF,
    ]
    assert list(codes.DROITS) == named == ["1", "2", "6", "8", "9"]
    assert codes.DROITS["1"] == "Titulaire" and codes.DROITS["2"] == "Procuration"


def test_annexes_parsed_line_by_line() -> None:
    assert len(codes.NATURES_VOIE) == 158
    assert codes.NATURES_VOIE["AV"] == "Avenue" and codes.NATURES_VOIE["ACH"] == "Ancien chemin"
    assert codes.DEVISES["ADP"] == "Peseta d'Andorre"
    assert {"EUR", "FRF", "ZWD", "USD"} <= set(codes.DEVISES)
    assert all(len(code) == 3 and label for code, label in codes.DEVISES.items())


def test_legal_categories() -> None:
    assert codes.CATEGORIES_JURIDIQUES[codes.CATEGORIE_ENTREPRENEUR_INDIVIDUEL] == (
        "Entrepreneur individuel"
    )
    for cat in ("5710", "5499", "5599", "6540", "9220", "5520", "7210"):  # the examples' codes
        assert cat in codes.CATEGORIES_JURIDIQUES
    assert all(len(c) == 4 and c.isdigit() for c in codes.CATEGORIES_JURIDIQUES)
