"""Portability: each step derived portable or sandbox-only (admin, scenario header, magic,
personas, reserved identifiers), declarable; `scenarios check --portable`; `replay
--portable-only` skips and says so; loose expectations (`fields.types`, `a[].b`); `${VAR}`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ficoba_sandbox.cli import main
from ficoba_sandbox.qa.pack import PackError, load_pack, portability
from ficoba_sandbox.qa.runner import get_all, json_type

MIXED = """\
name: mixed
description: portable and sandbox-only steps
steps:
  - name: etatSante
    request: {resource: etatSante}
    expect: {status: 200}
  - name: closed
    request: {resource: numCpte, magic: closed-account}
    expect: {from_magic: true}
  - name: reserved IBAN without magic
    request: {resource: numCpte, criteres: {iban: FR7699999000020000000001167, verificationCompte: "0"}}
    expect: {status: 200}
  - name: scenario header
    request: {resource: etatSante, headers: {X-Sandbox-Scenario: maintenance}}
  - name: clock
    admin: {advance_clock: 1m}
  - name: declared sandbox-only
    portable: false
    request: {resource: etatSante}
  - name: no token
    request: {resource: numCpte, token: none, criteres: {iban: "${IBAN}", verificationCompte: "0"}}
    expect: {status: 401, error_code: "900902", headers: {present: [WWW-Authenticate]}}
"""


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_portability_is_derived_and_declared(tmp_path: Path) -> None:
    pack = load_pack(_write(tmp_path, MIXED))
    got = [(portability(s).portable, portability(s).reasons) for s in pack.steps]
    assert got[0] == (True, ())
    assert got[1][0] is False and "magic entry closed-account" in got[1][1]
    assert got[2][0] is False and any("reserved" in r for r in got[2][1])
    assert got[3] == (False, ("X-Sandbox-Scenario header",))
    assert got[4] == (False, ("admin action",))
    assert got[5] == (False, ())
    assert got[6] == (True, ())


def test_declared_portable_cannot_cover_a_control(tmp_path: Path) -> None:
    text = MIXED.replace(
        "  - name: scenario header\n", "  - name: scenario header\n    portable: true\n"
    )
    with pytest.raises(PackError) as exc:
        load_pack(_write(tmp_path, text))
    assert "steps[3].portable" in str(exc.value) and "X-Sandbox-Scenario" in str(exc.value)
    # sandbox data can be vouched for (the author knows the target holds it)
    text = MIXED.replace(
        "  - name: closed\n    request", "  - name: closed\n    portable: true\n    request"
    )
    text = text.replace("    expect: {from_magic: true}\n", "    expect: {status: 200}\n")
    assert portability(load_pack(_write(tmp_path, text)).steps[1]).portable


def test_check_portable_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, MIXED)
    assert main(["scenarios", "check", str(f)]) == 0
    assert main(["scenarios", "check", "--portable", str(f)]) == 1
    out = capsys.readouterr().out
    assert "   2 sandbox-only closed (expectation from the magic catalogue" in out
    assert "   5 sandbox-only clock (admin action)" in out
    assert "   7 portable     no token  uses ${IBAN}" in out
    assert "5 sandbox-only step(s)" in out
    only = _write(tmp_path, MIXED.split("  - name: closed")[0], "only.yaml")
    assert main(["scenarios", "check", "--portable", str(only)]) == 0


def test_loose_paths_and_types() -> None:
    doc = {"comptes": [{"iban": "FR76", "n": 1}, {"iban": "FR77", "n": 1.5}], "x": None}
    assert get_all(doc, "comptes[].iban") == ["FR76", "FR77"]
    assert get_all(doc, "comptes[0].n") == [1]
    assert get_all(doc, "missing[].iban") == [] and get_all(doc, "x") == [None]
    assert [json_type(v) for v in (1, 1.5, True, "s", [], {}, None)] == [
        "integer", "number", "boolean", "string", "array", "object", "null"]  # fmt: skip


@pytest.mark.tls
def test_replay_portable_only_types_and_variables(
    qa_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        MIXED
        + """\
  - name: loose shape of an error
    request: {resource: numCpte, criteres: {iban: "${IBAN}"}, remove: [criteresRecherche.verificationCompte]}
    expect:
      status: 400
      fields: {types: {erreur.code: string, erreur.horodatage: string, "erreur": object}}
      headers: {present: [X-Correlation-ID]}
"""
    )
    f = _write(tmp_path, text)
    t = qa_server.target()
    args = ["replay", str(f), "--target", str(qa_server.dir / "demo-client.json"),
            "--base-url", t.base_url, "--token-url", t.token_url,
            "--admin-url", t.admin_url, "--portable-only"]  # fmt: skip
    assert main(args) == 1  # ${IBAN} not given
    out = capsys.readouterr().out
    assert "variable IBAN not given (--var IBAN=VALUE or --vars FILE)" in out
    variables = _write(tmp_path, "IBAN: FR7630001007941234567890185\n", "vars.yaml")
    assert main([*args, "--vars", str(variables)]) == 0
    out = capsys.readouterr().out
    assert "step 2 'closed' skipped: sandbox-only (expectation from the magic catalogue" in out
    assert "step 5 'clock' skipped: sandbox-only (admin action)" in out
    assert "3/3 steps passed, 5 sandbox-only skipped" in out
    wrong = text.replace("erreur.code: string", "erreur.code: integer")
    _write(tmp_path, wrong)
    assert main([*args, "--var", "IBAN=FR7630001007941234567890185"]) == 1
    assert "erreur.code is string, expected integer" in capsys.readouterr().out
    assert main([*args, "--var", "IBAN"]) == 2
