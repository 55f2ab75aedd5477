"""Users add their own persona files at start (`serve --personas-dir DIR`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import build_parser
from ficoba_sandbox.cli.serve import serve_settings
from ficoba_sandbox.domain.identifiers import is_valid_spi, make_spi

SPI = make_spi("3888800001")  # reserved range (first digit 3): never generated

PERSONA = f"""\
description: a QA persona of our own
personnesPhysiques:
  - id: qa-martin
    nomNaissance: QAMARTIN
    prenoms: LEA
    sexe: "2"
    anneeNaissance: "1980"
    moisNaissance: "5"
    jourNaissance: "4"
    codePaysNaissance: "99100"
    codeDepartementNaissance: "33"
    codeCommuneNaissance: "063"
    numeroSpi: "{SPI}"
"""


def test_personas_dir_flag_reaches_the_store(tmp_path: Path) -> None:
    assert is_valid_spi(SPI)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "qa.yaml").write_text(PERSONA)
    args = build_parser().parse_args(
        ["serve", "--dir", str(tmp_path / "d"), "--size", "50", "--personas-dir", str(mine)]
    )
    settings = serve_settings(args)
    assert settings.personas_dir == mine
    app = create_app(settings)
    person = app.sandbox.store.personne_physique_by_spi(SPI)
    assert person is not None and person.nom_naissance == "QAMARTIN"
    # the shipped protocol personas are still there
    assert app.sandbox.store.compte_by_iban("FR7630004009550000135601429") is not None


def test_a_broken_persona_file_stops_the_start_in_one_line(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "broken.yaml").write_text(PERSONA.replace("    prenoms: LEA\n", ""))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ficoba_sandbox",
            "serve",
            "--dir",
            str(tmp_path / "d"),
            "--port",
            "0",
            "--admin-port",
            "0",
            "--size",
            "50",
            "--personas-dir",
            str(mine),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "broken.yaml: personnesPhysiques[0].prenoms: Field required" in proc.stderr
    assert "Traceback" not in proc.stderr
