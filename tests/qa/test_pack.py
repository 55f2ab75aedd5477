"""Pack format: check reports file + place + reason; schema in sync; coverage of the catalogue;
`replay` CLI with its report, JUnit output and exit code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ficoba_sandbox.cli import main
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.pack import PackError, load_pack, pack_files, schema_text

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
GOOD = """\
name: two-steps
description: a closed account, then CAF011
steps:
  - name: closed
    request: {resource: numCpte, magic: closed-account}
    expect: {from_magic: true}
  - name: unknown IBAN
    request: {resource: numCpte, criteres: {iban: FR7699999000020000000001167, verificationCompte: "0"}}
    expect: {status: 200, info_code: CAF011}
"""


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "place", "reason"),
    [
        ("name: x\ndescription: d\nsteps: [\n", "line", "invalid YAML"),
        (GOOD.replace("expect: {status: 200,", "expect: {status: two,"), "steps[1].expect.status (line 9)", "integer"),
        (GOOD.replace("magic: closed-account", "magic: closed-acount"), "steps[0].request.magic (line 5)", "unknown magic entry 'closed-acount'"),
        (GOOD.replace("resource: numCpte, magic", "resource: spi, magic"), "steps[0].request.magic (line 5)", "is for numCpte, not spi"),
        (GOOD.replace("name: unknown IBAN\n", "name: unknown IBAN\n    admin: {reset_quota: true}\n"), "steps[1] (line 7)", "either request"),
        (GOOD + "  - name: p\n    request: {resource: spi, persona: nobody-at-all, search: spi}\n", "steps[2].request.persona (line 11)", "unknown persona"),
        (GOOD.replace("name: two-steps", "name: Two Steps"), "name (line 1)", "pattern"),
        (GOOD.replace("    expect: {from_magic: true}\n", "    expect: {from_magic: true, colour: red}\n", 1), "steps[0].expect.colour (line 6)", "Extra inputs"),
    ],
)  # fmt: skip
def test_check_reports_file_place_reason(tmp_path: Path, text: str, place: str,
                                         reason: str) -> None:  # fmt: skip
    path = _write(tmp_path, text)
    with pytest.raises(PackError) as info:
        load_pack(path)
    err = info.value
    assert err.path == str(path)
    assert err.place.startswith(place), err
    assert reason in err.reason, err


def test_scenarios_check_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, GOOD, "good.yaml")
    assert main(["scenarios", "check", str(good)]) == 0
    bad = _write(tmp_path, GOOD.replace("resource: numCpte, criteres", "resource: numCpt, criteres"), "bad.yaml")  # fmt: skip
    assert main(["scenarios", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: steps[1].request.resource (line 8): unknown resource 'numCpt'" in err
    assert "good.yaml" not in err


def test_shipped_packs_are_valid_and_match_the_schema() -> None:
    assert (SCENARIOS / "pack.schema.json").read_text() == schema_text(), (
        "regenerate: ficoba-sandbox scenarios schema > fixtures/scenarios/pack.schema.json"
    )
    schema = json.loads(schema_text())
    files = pack_files([SCENARIOS])
    assert len(files) >= 15
    for f in files:
        load_pack(f)
        jsonschema.validate(yaml.safe_load(f.read_text()), schema)
    assert main(["scenarios", "check", str(SCENARIOS)]) == 0


def test_shipped_packs_cover_the_catalogue_and_the_search_types() -> None:
    used: set[str] = set()
    resources: set[str] = set()
    tags: set[str] = set()
    for f in pack_files([SCENARIOS]):
        pack = load_pack(f)
        tags.update(pack.tags)
        for step in pack.steps:
            if step.request is not None:
                used.update(n for n in (step.request.magic, step.request.scenario) if n)
                resources.add(step.request.resource)
    missing = set(magic.names()) - used
    assert not missing, f"magic entries no shipped pack reaches: {sorted(missing)}"
    assert resources >= {*magic.RESOURCES, "etatSante"}
    assert {"protocol", "gateway", "quota", "maintenance"} <= tags
    search_packs = [f for f in pack_files([SCENARIOS]) if f.stem.startswith("search-")]
    assert len(search_packs) == 11  # one per search type of the CGU


@pytest.mark.tls
def test_replay_cli_report_and_junit(qa_server: Any, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    good = _write(tmp_path, GOOD, "good.yaml")
    junit = tmp_path / "out.xml"
    t = qa_server.target()
    args = ["replay", str(good), "--target", str(qa_server.dir / "demo-client.json"),
            "--base-url", t.base_url, "--token-url", t.token_url,
            "--admin-url", t.admin_url, "--junit", str(junit)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "PASS  two-steps" in out and "2/2 steps passed" in out
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "0"
    assert [c.get("name") for c in root.iter("testcase")] == ["01 closed", "02 unknown IBAN"]

    bad = _write(tmp_path, GOOD.replace("info_code: CAF011", "info_code: CAF013"), "bad.yaml")
    args[1] = str(bad)
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAIL  two-steps" in out and "messageInformatif.code 'CAF011', expected CAF013" in out
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "1"
    failure = next(root.iter("failure"))
    assert "expected CAF013" in (failure.get("message") or "")


@pytest.mark.tls
def test_replay_with_explicit_options(qa_server: Any, tmp_path: Path) -> None:
    good = _write(tmp_path, GOOD, "good.yaml")
    d, t = qa_server.demo, qa_server.target()
    args = ["replay", str(good), "--base-url", t.base_url, "--token-url", t.token_url,
            "--cert", d["cert"], "--key", d["key"], "--ca", d["ca"],
            "--client-id", d["client_id"], "--client-secret", d["client_secret"],
            "--siret", d["siret_demandeur"], "--motif", d["motifs"][0], "--admin-url", ""]  # fmt: skip
    assert main(args) == 0  # no admin plane: the local catalogue resolves the magic names
    assert main(["replay", str(good), "--base-url", t.base_url]) == 2
