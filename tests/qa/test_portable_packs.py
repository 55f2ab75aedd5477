"""The shipped portable pack set: every step portable (`scenarios check --portable`) and green
against this sandbox, the search shapes fed with a dataset record's criteria as variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import main
from ficoba_sandbox.gateway.clients import public_origin
from ficoba_sandbox.gateway.pki import ensure_pki
from gateway_support import free_port, serve_in_thread

PORTABLE = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "portable"


def sandbox_variables(qa_server: Any) -> dict[str, str]:
    """The variables of portable/search-shapes.yaml, from records of the served dataset that
    are not magic personas (as a user would copy them from their own account's data)."""
    r = httpx.get(
        qa_server.admin_url + "/__sandbox/dataset",
        params={"client_id": qa_server.demo["client_id"]},
        headers={"Authorization": f"Bearer {qa_server.admin_token}"},
    )
    personas = [p for p in r.json()["personas"] if ":sbx-" not in p["id"]]
    pp = next(p["requests"] for p in personas
              if p["id"].startswith("pp:") and {"spi", "perPhy", "numCpte"} <= set(p["requests"])
              and p["requests"]["perPhy"]["criteresRecherche"]["lieuNaissance"]["codePaysNaissance"] == "99100")  # fmt: skip
    pm = next(p["requests"] for p in personas
              if p["id"].startswith("pm:") and {"perPro", "siretSiren"} <= set(p["requests"]))  # fmt: skip
    civil = pp["perPhy"]["criteresRecherche"]["etatCivil"]
    place = pp["perPhy"]["criteresRecherche"]["lieuNaissance"]
    return {
        "IBAN": pp["numCpte"]["criteresRecherche"]["iban"],
        "SPI": pp["spi"]["criteresRecherche"]["numeroSPI"],
        "SIREN": pm["siretSiren"]["criteresRecherche"]["siren"],
        "NOM": civil["nom"],
        "PRENOMS": civil["prenoms"],
        "ANNEE_NAISSANCE": civil["anneeNaissance"],
        "MOIS_NAISSANCE": civil["moisNaissance"],
        "JOUR_NAISSANCE": civil["jourNaissance"],
        "DEPARTEMENT_NAISSANCE": place["codeDepartementNaissance"],
        "COMMUNE_NAISSANCE": place["codeCommuneNaissance"],
        "RAISON_SOCIALE": pm["perPro"]["criteresRecherche"]["designation"]["raisonSociale"],
        # the demo client's motif 0003 allows the multi-holding searches only (gateway/registry.py)
        "MOTIF_NOT_FOR_NUMCPTE": "0003",
    }


def test_every_shipped_portable_step_is_portable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "check", "--portable", str(PORTABLE), str(PORTABLE / "quota")]) == 0
    assert "0 sandbox-only step(s)" in capsys.readouterr().out


@pytest.mark.tls
def test_the_portable_set_replays_green(
    qa_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    variables = tmp_path / "vars.yaml"
    variables.write_text(yaml.safe_dump(sandbox_variables(qa_server)))
    t = qa_server.target()
    args = ["replay", str(PORTABLE), "--target", str(qa_server.dir / "demo-client.json"),
            "--base-url", t.base_url, "--token-url", t.token_url, "--admin-url", t.admin_url,
            "--portable-only", "--vars", str(variables)]  # fmt: skip
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped" not in out and "FAIL" not in out


@pytest.fixture
def fresh_quota_origin(qa_server: Any) -> Iterator[str]:
    """Another sandbox on the same state directory: its own quota counters (in memory), so the
    quota pack uses up nobody else's minute."""
    from ficoba_sandbox.cli.serve import uvicorn_config

    s = qa_server.settings.model_copy(update={"port": free_port()})
    paths, _ = ensure_pki(s.state_dir)
    with serve_in_thread(uvicorn_config(create_app(s), s, paths, log_level="warning")):
        yield public_origin(s.host, s.port)


@pytest.mark.tls
def test_the_quota_pack_ends_in_the_429(
    qa_server: Any, fresh_quota_origin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """201 calls against the default quota of 200 a minute: the last one 429 900804."""
    t = qa_server.target()
    args = ["replay", str(PORTABLE / "quota"), "--target", str(qa_server.dir / "demo-client.json"),
            "--base-url", fresh_quota_origin + "/ficoba-api/v2",
            "--token-url", fresh_quota_origin + "/token", "--admin-url", t.admin_url,
            "--portable-only"]  # fmt: skip
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped" not in out and "FAIL" not in out
