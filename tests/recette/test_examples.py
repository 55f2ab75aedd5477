"""The two example clients against a real mutual-TLS server, with every drill armed; the report
(CLI, JSON, Markdown, HTML rendered in headless Chromium) and its exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ficoba_sandbox.cli import main
from ficoba_sandbox.recette.criteria import CRITERIA, PASS
from system_deps import skip_or_fail

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    tls_server: Any,
    enrol_client: Callable[..., dict[str, Any]],
    tmp_path: Path,
    client_id: str,
    script: str,
    *args: str,
) -> Path:
    creds = enrol_client(client_id)
    creds.update(token_url=tls_server.token_url, base_url=tls_server.base_url)
    creds_file = tmp_path / f"{client_id}.json"
    creds_file.write_text(json.dumps(creds))
    d = str(tls_server.dir)
    assert main(["recette", "start", "--dir", d, "--client", client_id]) == 0
    try:
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / script), "--creds", str(creds_file), *args],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        assert done.returncode == 0, done.stderr
    finally:
        assert main(["recette", "stop", "--dir", d, "--client", client_id]) == 0
    tls_server.app.sandbox.journal.flush()
    return creds_file


@pytest.fixture(scope="module")
def reference(tls_server: Any, enrol_client: Any, tmp_path_factory: Any) -> str:
    _run(
        tls_server,
        enrol_client,
        tmp_path_factory.mktemp("ref"),
        "recette-ref",
        "reference_client.py",
    )
    return "recette-ref"


@pytest.fixture(scope="module")
def careless(tls_server: Any, enrol_client: Any, tmp_path_factory: Any) -> str:
    _run(
        tls_server,
        enrol_client,
        tmp_path_factory.mktemp("careless"),
        "recette-careless",
        "careless_client.py",
    )
    return "recette-careless"


def _report(tls_server: Any, client: str, out: Path, *extra: str) -> int:
    return main(
        [
            "recette",
            "report",
            "--dir",
            str(tls_server.dir),
            "--client",
            client,
            "--output",
            str(out),
            *extra,
        ]
    )


def test_reference_client_passes_every_criterion(
    tls_server: Any, reference: str, tmp_path: Path
) -> None:
    out = tmp_path / "ref.json"
    assert _report(tls_server, reference, out, "--format", "json", "--strict") == 0
    doc = json.loads(out.read_text())
    verdicts = {c["id"]: c["verdict"] for c in doc["criteria"]}
    assert verdicts == dict.fromkeys(CRITERIA, PASS), doc
    assert doc["verdict"] == "pass" and doc["to_fix"] == []
    fired = {d["drill"] for d in doc["drills"] if d["event"] == "fired"}
    assert fired == {"token_expiry", "throttling", "maintenance", "error_500", "slow"}
    assert doc["header"]["certificate_thumbprint"] and doc["header"]["dataset_digest"]
    assert all(doc["coverage"]["matrix"][t]["data"] for t in doc["coverage"]["entitled"])


def test_careless_client_fails_several(tls_server: Any, careless: str, tmp_path: Path) -> None:
    out = tmp_path / "careless.json"
    assert _report(tls_server, careless, out, "--format", "json", "--lang", "en") == 1
    doc = json.loads(out.read_text())
    failed = set(doc["failed"])
    assert {
        "coverage",
        "correlation_id",
        "justification",
        "registration",
        "token_reuse",
        "token_renewal",
        "retry_after",
        "backoff",
    } <= failed, doc["failed"]
    assert {"token_present", "tls_ip"}.isdisjoint(failed)
    assert {f["id"] for f in doc["to_fix"]} == failed and all(f["fix"] for f in doc["to_fix"])


def test_markdown_report_in_both_languages(tls_server: Any, careless: str, tmp_path: Path) -> None:
    fr, en = tmp_path / "fr.md", tmp_path / "en.md"
    assert _report(tls_server, careless, fr, "--format", "md") == 1
    assert _report(tls_server, careless, en, "--format", "md", "--lang", "en") == 1
    assert "NON CONFORME" in fr.read_text() and "À corriger" in fr.read_text()
    assert "**FAIL**" in en.read_text() and "What to fix" in en.read_text()


def test_unknown_client_exits_2(tls_server: Any, tmp_path: Path) -> None:
    assert _report(tls_server, "nobody-here", tmp_path / "x.json", "--format", "json") == 2


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize(
    ("client", "expected"), [("reference", "CONFORME"), ("careless", "NON CONFORME")]
)
def test_html_report_renders_in_headless_chromium(
    tls_server: Any, client: str, expected: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    client_id = request.getfixturevalue(client)
    page = tmp_path / "report.html"
    _report(tls_server, client_id, page, "--format", "html")
    text = page.read_text()
    assert (
        "<script" not in text and "http://" not in text and "https://" not in text
    )  # self-contained
    browser = _chromium()
    if browser is None:
        skip_or_fail(
            "chromium is not installed (apt-get install chromium; .ci/install-system-deps)"
        )
    profile = tmp_path / "profile"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    verdict_div = dom.stdout.split('id="verdict"', 1)[1].split("</div>", 1)[0]
    assert f": {expected}" in verdict_div, verdict_div
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
