"""`ficoba-sandbox parity`: two live sandboxes differing in known ways (B: a latency on etatSante,
an expected difference; a body limit that refuses the pack's bodies, unexpected ones); the
report finds exactly those, classified, and nothing else; the secret never in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import main
from ficoba_sandbox.gateway.clients import public_origin
from ficoba_sandbox.gateway.pki import ensure_pki
from ficoba_sandbox.recette.parity import default_table, field_types, load_table
from gateway_support import free_port, serve_in_thread

PACK = """\
name: parity-probe
description: two portable steps and a sandbox-only one
steps:
  - name: etatSante
    request: {resource: etatSante}
  - name: a SPI of 12 characters (CAF004)
    request: {resource: spi, criteres: {numeroSPI: "123456789012"}}
  - name: closed
    request: {resource: numCpte, magic: closed-account}
"""


def _client_file(qa_server: Any, origin: str, path: Path) -> Path:
    creds = json.loads((qa_server.dir / "demo-client.json").read_text())
    creds["base_url"] = origin + "/ficoba-api/v2"
    creds["token_url"] = origin + "/token"
    path.write_text(json.dumps(creds))
    return path


@pytest.fixture
def sandbox_b(qa_server: Any) -> Iterator[str]:
    """A second sandbox on the same state directory: etatSante 1.5 s slower, bodies over 150
    bytes refused."""
    from ficoba_sandbox.cli.serve import uvicorn_config

    s = qa_server.settings.model_copy(
        update={"port": free_port(), "latency": "etatSante=1500ms", "max_body_bytes": 150}
    )
    app = create_app(s)
    paths, _ = ensure_pki(s.state_dir)
    with serve_in_thread(uvicorn_config(app, s, paths, log_level="warning")):
        yield public_origin(s.host, s.port)


def test_field_types_and_table() -> None:
    doc = {"erreur": {"code": "CAF004", "n": 1}, "l": [{"x": 1}, {"x": "a"}]}
    assert field_types(doc) == {"erreur": "object", "erreur.code": "string",
                                "erreur.n": "integer", "l": "array", "l[]": "object",
                                "l[].x": "integer|string"}  # fmt: skip
    assert all(e.reason for e in default_table())
    with pytest.raises(ValueError, match="needs aspect and reason"):
        load_table("- aspect: status\n")


@pytest.mark.parametrize(
    ("step", "aspect", "expected"),
    [
        ("an unknown path under the prefix (404)", "erreur.code", True),
        ("a search sent with GET (405)", "field:erreur.message", True),
        ("a body over the size cap (413)", "erreur.code", True),
        # the status of these refusals is HTTP's own: a difference there is a finding
        ("an unknown path under the prefix (404)", "status", False),
        ("a body over the size cap (413)", "status", False),
        ("no token (900902)", "erreur.code", False),
    ],
)
def test_the_table_expects_the_unpublished_bodies_of_the_gateway_refusals(
    step: str, aspect: str, expected: bool
) -> None:
    """The portable set's 404, 405 and 413 steps (fixtures/scenarios/portable/gateway.yaml): a
    real gateway's body for them is not published, their status is."""
    assert any(e.matches(step, aspect) for e in default_table()) is expected


@pytest.mark.tls
def test_parity_finds_exactly_the_differences_introduced(
    qa_server: Any, sandbox_b: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "probe.yaml"
    pack.write_text(PACK)
    a = _client_file(qa_server, qa_server.origin, tmp_path / "a.json")
    b = _client_file(qa_server, sandbox_b, tmp_path / "b.json")
    out = tmp_path / "report"

    # the same target twice: nothing differs
    assert main(["parity", "--a", str(a), "--b", str(a), "--out", str(out), str(pack)]) == 0
    doc = json.loads(out.with_suffix(".json").read_text())
    assert doc["summary"] == {"steps": 2, "skipped": 1, "expected_differences": 0,
                              "unexpected_differences": 0}  # fmt: skip
    capsys.readouterr()

    assert main(["parity", "--a", str(a), "--b", str(b), "--out", str(out), str(pack)]) == 1
    doc = json.loads(out.with_suffix(".json").read_text())
    found = {
        (s["step"], d["aspect"], d["expected"]) for s in doc["steps"] for d in s["differences"]
    }
    assert found == {
        ("etatSante", "seconds", True),
        ("a SPI of 12 characters (CAF004)", "status", False),
        ("a SPI of 12 characters (CAF004)", "erreur.code", False),
    }, found
    spi = next(s for s in doc["steps"] if s["step"].startswith("a SPI"))
    assert spi["a"]["status"] == 400 and spi["b"]["status"] == 413
    assert spi["a"]["error_code"] == "CAF004"
    closed = next(s for s in doc["steps"] if s["step"] == "closed")
    assert closed["skipped"] and closed["a"] is None
    md = out.with_suffix(".md").read_text()
    assert "| parity-probe | etatSante | seconds |" in md and "**unexpected**" in md
    html_text = out.with_suffix(".html").read_text()
    assert 'data-verdict="fail"' in html_text
    printed = capsys.readouterr().out
    assert "unexpected  parity-probe / a SPI of 12 characters (CAF004): status" in printed
    secret = qa_server.demo["client_secret"]
    for f in (out.with_suffix(".json"), out.with_suffix(".md"), out.with_suffix(".html")):
        assert secret not in f.read_text()
    assert secret not in printed


QUOTA_PACK = """\
name: parity-quota
description: five plain requests; the second target's quota is four calls a minute
steps:
""" + "".join(
    f"""  - name: call {i}
    request: {{resource: spi, criteres: {{numeroSPI: "123456789012"}}}}
"""
    for i in range(1, 6)
)


@pytest.fixture
def sandbox_small_quota(qa_server: Any) -> Iterator[str]:
    """A second sandbox on the same state directory whose clients have 4 calls a minute (the
    demo client is registered without a quota of its own)."""
    from ficoba_sandbox.cli.serve import uvicorn_config

    s = qa_server.settings.model_copy(update={"port": free_port(), "default_quota": 4})
    app = create_app(s)
    paths, _ = ensure_pki(s.state_dir)
    with serve_in_thread(uvicorn_config(app, s, paths, log_level="warning")):
        yield public_origin(s.host, s.port)


@pytest.mark.tls
def test_parity_classifies_a_quota_difference(
    qa_server: Any, sandbox_small_quota: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another quota: its policy is an expected difference (the table's RateLimit-Policy row;
    `RateLimit`, the calls left, is compared by presence); the 429 it ends in is not (a client
    must be told)."""
    pack = tmp_path / "quota.yaml"
    pack.write_text(QUOTA_PACK)
    a = _client_file(qa_server, qa_server.origin, tmp_path / "a.json")
    b = _client_file(qa_server, sandbox_small_quota, tmp_path / "b.json")
    out = tmp_path / "report"
    assert main(["parity", "--a", str(a), "--b", str(b), "--out", str(out), str(pack)]) == 1
    capsys.readouterr()
    doc = json.loads(out.with_suffix(".json").read_text())
    found = {
        (s["step"], d["aspect"], d["expected"]) for s in doc["steps"] for d in s["differences"]
    }
    policy = {(f"call {i}", "header:RateLimit-Policy", True) for i in range(1, 6)}
    refused = {
        ("call 5", aspect, False) for aspect in ("status", "erreur.code", "header:Retry-After")
    }
    assert found == policy | refused, found
    last = doc["steps"][-1]
    assert last["a"]["status"] == 400 and last["b"]["status"] == 429
    assert last["b"]["error_code"] == "900804"
