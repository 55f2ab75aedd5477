"""`ficoba-sandbox serve` as a new user runs it: the printed curl pair works as printed."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ficoba_sandbox.app import create_app
from ficoba_sandbox.cli import build_parser
from ficoba_sandbox.cli.serve import admin_line, serve_settings
from ficoba_sandbox.domain.identifiers import is_valid_spi, make_spi
from gateway_support import free_port, run_printed_commands

pytestmark = [pytest.mark.tls, pytest.mark.slow]

FORM = "application/x-www-form-urlencoded"


def _wait_port(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited early"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_serve_prints_a_working_curl_pair(tmp_path: Path) -> None:
    port, admin_port = free_port(), free_port()
    env = {
        **os.environ,
        "FICOBA_SANDBOX_SIZE": "300",  # options are environment variables too
        "FICOBA_SANDBOX_ADMIN_PORT": str(admin_port),
    }
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "D")]
    cmd += ["--port", str(port), "--log-level", "warning"]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        _check_serve(proc, port, admin_port, tmp_path)


def _check_serve(proc: subprocess.Popen[str], port: int, admin_port: int, tmp_path: Path) -> None:
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not (lines and lines[-1].startswith("curl ")):
            line = proc.stdout.readline()
            assert line, f"serve ended: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.rstrip("\n"))
        commands = [ln for ln in lines if ln.startswith(("TOKEN=", "curl "))]
        assert len(commands) == 2 and f"https://localhost:{port}/token" in commands[0]
        _wait_port(port, proc)
        _wait_port(admin_port, proc)
        out = run_printed_commands(commands)
        assert '"nombreReponses":"001"' in out.replace(" ", ""), out
        assert (tmp_path / "D" / "demo-client.json").exists()  # serve ran init on a fresh D
        _check_admin_key(lines, tmp_path / "D", admin_port)
        assert any(line.startswith("contract version 2026-01 ") for line in lines), lines
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def _check_admin_key(banner: list[str], state_dir: Path, admin_port: int) -> None:
    """The first start made the admin token, in a file of its own the banner names; the admin
    plane wants it, its index does not."""
    admin_file = state_dir / "admin.json"
    assert admin_file.stat().st_mode & 0o777 == 0o600
    access = json.loads(admin_file.read_text())
    url = f"http://127.0.0.1:{admin_port}"
    assert access["admin_url"] == url
    token = access["admin_token"]
    assert f"admin: {url}/ (token: {admin_file.resolve()})" in banner
    assert not any(token in line for line in banner)
    assert httpx.get(f"{url}/__sandbox/health").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/__sandbox/health", headers=bearer).status_code == 200
    assert httpx.get(f"{url}/", headers={"Accept": "application/json"}).json()["routes"]


def test_admin_open_beyond_loopback_is_refused_at_once(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "d"),
           "--admin-open", "--admin-host", "0.0.0.0", "--port", "0", "--admin-port", "0"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "serves loopback only" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "d").exists()  # nothing made


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_unknown_contract_version_is_refused_at_once(tmp_path: Path, how: str) -> None:
    """One line naming the versions, exit 2, nothing made (docs/contract-versions.md)."""
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "d")]
    env = dict(os.environ)
    if how == "flag":
        cmd += ["--contract-version", "2023-01"]
    else:
        env["FICOBA_SANDBOX_CONTRACT_VERSION"] = "2023-01"
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "'2023-01': one of 2024-11, 2025-04, 2025-10, 2026-01" in proc.stderr
    assert not (tmp_path / "d").exists()
    args = build_parser().parse_args(["serve", "--contract-version", "2024-11"])
    assert serve_settings(args).contract_version == "2024-11"


def test_the_banner_says_when_the_admin_plane_is_open(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", "--dir", str(tmp_path), "--admin-open"])
    settings = serve_settings(args)
    assert settings.admin_open
    assert admin_line(settings) == (
        "admin: http://127.0.0.1:8081/ OPEN: no token asked of loopback callers (--admin-open)"
    )


# `serve` on a port already taken: one clear line and exit code 2, never a traceback.


def test_serve_on_a_busy_port_says_so_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken, socket.socket() as free:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        free.bind(("127.0.0.1", 0))
        busy_port = taken.getsockname()[1]
        admin_port = free.getsockname()[1]
        free.close()
        cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "d")]
        cmd += ["--port", str(busy_port), "--admin-port", str(admin_port), "--size", "50"]
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot listen on 127.0.0.1:{busy_port}" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# Users add their own persona files at start (`serve --personas-dir DIR`).

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


@pytest.mark.parametrize("proxy", ["127.0.0.1", "0.0.0.0/0", "::1", "not-a-network"])
def test_a_trusted_proxy_range_with_loopback_stops_the_start_in_one_line(
    tmp_path: Path, proxy: str
) -> None:
    """Every local user would be a trusted proxy (docs/security.md): refused before anything is
    created, unless --trust-loopback-proxy."""
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "d")]
    proc = subprocess.run(
        [*cmd, "--trusted-proxy", proxy, "--port", "0", "--admin-port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("ficoba-sandbox: ")
    assert "--trust-loopback-proxy" in proc.stderr or "invalid --trusted-proxy" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_the_journal_flags_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FICOBA_SANDBOX_JOURNAL_WRITER", raising=False)
    monkeypatch.delenv("FICOBA_SANDBOX_JOURNAL_DURABILITY", raising=False)
    args = ["serve", "--journal-writer", "thread", "--journal-durability", "batch"]
    settings = serve_settings(build_parser().parse_args(args))
    assert (settings.journal_writer, settings.journal_durability) == ("thread", "batch")
    plain = serve_settings(build_parser().parse_args(["serve"]))
    assert (plain.journal_writer, plain.journal_durability) == ("process", "commit")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--journal-durability", "never"])


def test_trust_loopback_proxy_and_proxy_tls_client_auth_flags_reach_the_settings() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--trusted-proxy",
            "127.0.0.1",
            "--trust-loopback-proxy",
            "--proxy-tls-client-auth",
        ]
    )
    settings = serve_settings(args)
    assert settings.trust_loopback_proxy and settings.proxy_tls_client_auth
    assert settings.trusted_proxies == ["127.0.0.1"]
    plain = serve_settings(build_parser().parse_args(["serve"]))
    assert not plain.trust_loopback_proxy and not plain.proxy_tls_client_auth


def test_an_unreadable_registered_ca_file_stops_the_start_in_one_line(tmp_path: Path) -> None:
    d = tmp_path / "d"
    cmd = [sys.executable, "-m", "ficoba_sandbox"]
    subprocess.run([*cmd, "init", "--dir", str(d)], capture_output=True, check=True, timeout=120)
    (d / "pki" / "extra-cas.pem").write_text("not a certificate\n")
    proc = subprocess.run(
        [*cmd, "serve", "--dir", str(d), "--port", "0", "--admin-port", "0", "--size", "50"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ficoba-sandbox: ") and "extra-cas.pem" in last
    assert "Traceback" not in proc.stderr


# Secrets never in the banner, the logs or the journal, whatever the caller sends; the banner
# follows the port served; uvicorn's process lines once.


def _post(port: int, creds: dict[str, str], target: str, body: bytes, ctype: str) -> int:
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
    try:
        conn.request("POST", target, body=body, headers={"Content-Type": ctype})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_no_secret_in_banner_logs_or_journal(tmp_path: Path) -> None:
    state = tmp_path / "D"
    init = [sys.executable, "-m", "ficoba_sandbox", "init", "--dir", str(state)]
    subprocess.run(init, check=True, capture_output=True, timeout=60)  # written for port 8443
    port, admin_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(state), "--size", "50"]
    cmd += ["--port", str(port), "--admin-port", str(admin_port), "--log-level", "info"]
    secret = "s3cr3t-" + "x" * 24  # what a confused client sends in its body or query
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            banner: list[str] = []
            while not (banner and banner[-1].startswith("curl ")):
                line = proc.stdout.readline()
                assert line, "serve ended"
                banner.append(line)
            _wait_port(port, proc)
            creds = json.loads((state / "demo-client.json").read_text())
            assert creds["token_url"] == f"https://localhost:{port}/token"  # not 8443
            form = f"client_id=demo-client&client_secret={secret}".encode()
            assert _post(port, creds, "/token", form, "text/plain") == 400
            assert _post(port, creds, "/token", form + b"\xff", FORM) == 400
            assert _post(port, creds, f"/token?client_secret={secret}", b"", FORM) == 400
            assert _post(port, creds, "/token", b'{"client_secret":"' + secret.encode() + b'"}',
                         "application/json") == 400  # fmt: skip
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
    printed = "".join(banner) + out + err
    assert creds["client_secret"] not in printed and secret not in printed
    assert f"https://localhost:{port}/token" in printed and ":8443" not in "".join(banner)
    assert str(state.resolve() / "demo-client.json") in banner[2]
    for line in ("Started server process", "Shutting down", "Finished server process"):
        assert printed.count(line) == 1, (line, printed)
    with contextlib.closing(sqlite3.connect(state / "journal.sqlite3")) as db:
        rows = db.execute("SELECT * FROM journal WHERE path = '/token'").fetchall()
    assert len(rows) == 4
    assert secret not in repr(rows)
    bodies = [r for r in repr(rows).split("'") if r.startswith("[not stored: ")]
    assert len(bodies) == 2, rows  # text/plain, the stray byte: length and digest only


# The state directory is private whatever the umask, an older one is tightened at start, and a
# dataset cache that does not verify is never unpickled: the server rebuilds it and answers.


class _WritesAFile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _loose(state: Path) -> dict[str, str]:
    """The paths of `state` open beyond their owner: {path: mode}."""
    return {
        str(p.relative_to(state)): oct(p.stat().st_mode & 0o777)
        for p in [state, *state.rglob("*")]
        if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)
    }


def test_state_is_private_and_a_forged_cache_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "D"
    base = [sys.executable, "-m", "ficoba_sandbox"]
    open_umask = {"preexec_fn": lambda: os.umask(0)}  # the loosest a user could have
    subprocess.run(
        [*base, "init", "--dir", str(state)], check=True, capture_output=True, **open_umask
    )
    subprocess.run([*base, "prepare", "--dir", str(state), "--size", "50"], check=True,
                   capture_output=True, timeout=120, **open_umask)  # fmt: skip
    (cached,) = (state / "cache").glob("store-*.pickle")
    marker = tmp_path / "owned"
    cached.write_bytes(pickle.dumps(_WritesAFile(marker)))
    os.chmod(state, 0o755)  # as an older version left it
    os.chmod(state / "pki" / "ca.pem", 0o644)
    port, admin_port = free_port(), free_port()
    cmd = [*base, "serve", "--dir", str(state), "--size", "50", "--log-level", "warning"]
    cmd += ["--port", str(port), "--admin-port", str(admin_port)]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **open_umask
    ) as proc:
        try:
            _wait_port(port, proc)
            creds = json.loads((state / "demo-client.json").read_text())
            grant = b"grant_type=client_credentials&client_id=demo-client&client_secret="
            assert (
                _post(port, creds, "/token", grant + creds["client_secret"].encode(), FORM) == 200
            )
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
    assert not marker.exists()
    assert err.count("does not verify (HMAC): ignored, rebuilt") == 1, err
    assert f"state directory {state.resolve()}: 2 files or directories were open" in err, err
    assert _loose(state) == {}
