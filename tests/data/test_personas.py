"""data/personas.py: persona files in the protocol's spelling, validated at load, every problem
named by file, place and reason (format: fixtures/personas/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ficoba_sandbox.data.personas import (
    PersonaError,
    default_personas_dir,
    load_personas,
    persona_files,
)
from ficoba_sandbox.domain import codes

PERSON = """\
personnesPhysiques:
  - id: qa-martin
    nomNaissance: QAMARTIN
    prenoms: LEA
    sexe: "2"
    anneeNaissance: "1980"
    codeDepartementNaissance: "33"
    codeCommuneNaissance: "063"
    adresse: {codeDepartementResidence: "94", codeCommuneResidence: "028", codePostal: "94000"}
"""
ACCOUNT = """\
comptes:
  - iban: FR7630004009550000135601429
    dateOuverture: "2020-01-01"
    codeNature: 101
    ayantsDroits:
      - {personne: "pp:qa-martin", dateDebutDroit: "2020-01-01"}
      - {personne: "pp:qa-martin", droitSurCompte: Procuration, dateDebutDroit: "2021-01-01"}
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return directory


def error_of(*dirs: Path) -> PersonaError:
    with pytest.raises(PersonaError) as caught:
        load_personas(dirs)
    return caught.value


def test_the_shipped_personas_load() -> None:
    shipped = default_personas_dir()
    assert shipped is not None
    loaded = load_personas([shipped])
    assert loaded.personnes_physiques and loaded.personnes_morales and loaded.comptes
    assert [name for name, _ in loaded.sources] == [p.name for p in persona_files([shipped])]
    dubois = next(p for p in loaded.personnes_physiques if p.numero_spi == "1489335901")
    assert dubois.id == "pp:dubois-daniel" and dubois.persona == "protocole"


def test_a_person_and_an_account(tmp_path: Path) -> None:
    loaded = load_personas([write(tmp_path / "d", "qa.yaml", PERSON + ACCOUNT)])
    (martin,) = loaded.personnes_physiques
    # labels the file leaves out come from the INSEE lists, in the FICOBA style
    assert martin.libelle_commune_naissance == "BORDEAUX"
    assert martin.libelle_departement_naissance == "Gironde"
    assert martin.libelle_pays_naissance == "FRANCE" and martin.code_pays_naissance == "99100"
    assert martin.adresse is not None and martin.adresse.libelle_commune_residence == "CRETEIL"
    (compte,) = loaded.comptes
    assert (compte.numero_etablissement, compte.numero_guichet) == (
        "30004",
        "00955",
    )  # from the IBAN
    titulaire, procuration = loaded.droits
    assert titulaire.droit_sur_compte == codes.DROIT_TITULAIRE and titulaire.avec_adresse
    # a label is accepted for the code; powers of attorney come without address by default
    assert procuration.droit_sur_compte == codes.DROIT_PROCURATION and not procuration.avec_adresse


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "d", "broken.yaml", "personnesPhysiques: [\n"))
    assert err.path.endswith("broken.yaml") and err.place.startswith("line ")
    assert err.reason.startswith("invalid YAML")


@pytest.mark.parametrize(
    ("text", "place", "reason"),
    [
        (
            "comptes:\n  - {iban: FR7630004009550000135601429, dateOuverture: '2020-01-01',"
            " codeNature: 999}\n",
            "comptes[0].codeNature",
            "unknown codeNature 999",
        ),
        (
            PERSON.replace("prenoms: LEA", "prenoms: LEA\n    nom_usage: MARTIN"),
            "personnesPhysiques[0].nom_usage",
            "Extra inputs are not permitted",  # the protocol's spelling only
        ),
        (
            PERSON + PERSON[len("personnesPhysiques:\n") :],
            "personnesPhysiques[1].id",
            "duplicate id",
        ),
        (
            PERSON + ACCOUNT.replace("pp:qa-martin", "pp:ghost", 1),
            "comptes[0].ayantsDroits[0].personne",
            "unknown person 'pp:ghost'",
        ),
        (
            PERSON.replace('codeCommuneNaissance: "063"', 'codeCommuneNaissance: "999"'),
            "personnesPhysiques[0].codeCommuneNaissance",
            "unknown INSEE commune",
        ),
        (
            PERSON.replace('sexe: "2"', 'sexe: "2"\n    codePaysNaissance: "99999"'),
            "personnesPhysiques[0].codePaysNaissance",
            "unknown INSEE country",
        ),
        ("- a list\n", "-", "mapping at top level"),
    ],
)
def test_errors_name_file_place_and_reason(
    tmp_path: Path, text: str, place: str, reason: str
) -> None:
    err = error_of(write(tmp_path / "d", "bad.yaml", text))
    assert (Path(err.path).name, err.place) == ("bad.yaml", place)
    assert reason in err.reason
    assert str(err) == f"{err.path}: {place}: {err.reason}"


def test_a_commune_outside_the_list_needs_its_label(tmp_path: Path) -> None:
    """Some protocol examples print such codes (Paris "100")."""
    forced = PERSON.replace(
        'codeCommuneNaissance: "063"',
        'codeCommuneNaissance: "999"\n    libelleCommuneNaissance: NULLE PART',
    )
    (martin,) = load_personas([write(tmp_path / "d", "qa.yaml", forced)]).personnes_physiques
    assert martin.libelle_commune_naissance == "NULLE PART"


def test_ids_are_unique_over_all_files(tmp_path: Path) -> None:
    err = error_of(
        write(tmp_path / "a", "qa.yaml", PERSON), write(tmp_path / "b", "qa.yaml", PERSON)
    )
    assert err.place == "personnesPhysiques[0].id" and "also in" in err.reason


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nowhere")
    assert err.reason == "personas directory not found"


def test_default_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = default_personas_dir()
    assert shipped is not None and (shipped / "protocole.yaml").is_file()
    monkeypatch.setenv("FICOBA_SANDBOX_PERSONAS", str(tmp_path))
    assert default_personas_dir() == tmp_path


def test_protocol_personas_are_the_protocols_examples() -> None:
    """fixtures/personas/protocole.yaml is what scripts/personas_from_examples.py harvests from
    the protocol v11's example responses (docs/reference/): regenerated, it is unchanged."""
    repo = Path(__file__).resolve().parents[2]
    script = repo / "scripts" / "personas_from_examples.py"
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == (repo / "fixtures" / "personas" / "protocole.yaml").read_text()
