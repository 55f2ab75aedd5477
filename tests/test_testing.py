"""The `ficoba_sandbox` pytest fixture, used as an integrator would: a scratch project with its
own test file, run by a separate pytest process that finds the plugin through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRATCH_TEST = textwrap.dedent(
    '''
    import ssl
    import time

    import httpx

    SEEN = []


    def test_fields(ficoba_sandbox):
        s = ficoba_sandbox
        assert s.base_url.startswith("https://localhost:") and s.base_url.endswith("/ficoba-api/v2")
        assert s.token_url == s.base_url.removesuffix("/ficoba-api/v2") + "/token"
        assert s.admin_url.startswith("http://127.0.0.1:")
        for path in (s.ca, s.cert, s.key):
            with open(path) as fh:
                assert fh.read().startswith("-----BEGIN")
        assert s.client_id and s.client_secret
        assert isinstance(s.client, httpx.Client)


    def test_ready_client(ficoba_sandbox):
        hooks = ficoba_sandbox.client.event_hooks["response"]
        hooks.append(
            lambda r: r.url.path.endswith("/token")
            or SEEN.append(r.request.headers.get("X-Correlation-ID"))
        )
        try:
            r = ficoba_sandbox.client.get("/etatSante")
            assert r.status_code == 200, r.text
            body = {
                "dateDemande": time.strftime("%Y-%m-%d"),
                "motif": ficoba_sandbox.motifs[0],
                "siretDemandeur": ficoba_sandbox.siret_demandeur,
                "sirenDemandeur": "",
                "justification": "integrator test",
                "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "0"},
            }
            r = ficoba_sandbox.client.post("/comptes/numCpte", json=body)
            assert r.status_code == 200, r.text
            # the protocol's persona account: the personas ship inside the package (a wheel
            # install outside the checkout has them too)
            assert r.json()["nombreReponses"] == "001", r.text
            compte = r.json()["reponses"]["comptes"][0]["caracteristiqueCompte"]
            assert compte["iban"] == "FR7630004009550000135601429"
        finally:
            hooks.pop()
        assert len(SEEN) == 2 and SEEN[0] and SEEN[0] != SEEN[1]


    def test_my_own_client(ficoba_sandbox):
        """What an integrator's client code does with the raw credentials."""
        ctx = ssl.create_default_context(cafile=ficoba_sandbox.ca)
        ctx.load_cert_chain(ficoba_sandbox.cert, ficoba_sandbox.key)
        with httpx.Client(verify=ctx) as http:
            r = http.post(
                ficoba_sandbox.token_url,
                data={"grant_type": "client_credentials"},
                auth=(ficoba_sandbox.client_id, ficoba_sandbox.client_secret),
            )
            assert r.status_code == 200, r.text
            token = r.json()["access_token"]
            r = http.get(
                ficoba_sandbox.base_url + "/etatSante",
                headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": "5b9a8f2e-1c3d-4e5f-8a7b-6c5d4e3f2a1b"},
            )
            assert r.status_code == 200, r.text
        # no token: the gateway refuses
        r = ficoba_sandbox.client.get("/etatSante", auth=None)
        assert r.status_code == 401, r.text


    def test_admin_plane(ficoba_sandbox):
        assert httpx.get(ficoba_sandbox.admin_url + "/__sandbox/health").status_code == 401
        admin = ficoba_sandbox.admin()  # sends the token of the sandbox's admin.json
        assert admin.get("/__sandbox/health").status_code == 200
        assert ficoba_sandbox.admin_token not in repr(ficoba_sandbox)


    def test_started_once(ficoba_sandbox, tmp_path_factory):
        dirs = list(tmp_path_factory.getbasetemp().glob("ficoba-sandbox[0-9]*"))
        assert len(dirs) == 1
    '''
)


def run_scratch_project(python: str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    project.mkdir(parents=True, exist_ok=True)
    (project / "test_my_ficoba_client.py").write_text(SCRATCH_TEST)
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nficoba_sandbox_size = "300"\nfilterwarnings = ["error"]\n'
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FICOBA_SANDBOX", "PYTEST_", "PYTHONPATH"))
    }
    return subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:randomly", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_fixture_from_a_scratch_project(tmp_path: Path) -> None:
    out = run_scratch_project(sys.executable, tmp_path / "project")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "5 passed" in out.stdout


@pytest.mark.slow
def test_fixture_from_a_non_editable_install(tmp_path: Path) -> None:
    """A fresh virtualenv, the package installed (not editable) from this clone. The
    dependencies come from the current environment (no network here), the package does not."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "deps-from-dev-venv.pth").write_text(ours + "\n")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("ficoba_sandbox-*.whl")
    # the QA console's templates and static files are package data (pyproject.toml)
    packed = set(zipfile.ZipFile(wheel).namelist())
    console = "ficoba_sandbox/admin/console/"
    for name in ("templates/base.html", "static/console.css", "static/htmx-2.0.11/htmx.min.js",
                 "static/htmx-2.0.11/LICENSE"):  # fmt: skip
        assert console + name in packed, name
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    where = subprocess.run(
        [python, "-c", "import ficoba_sandbox; print(ficoba_sandbox.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(env_dir)), where
    out = run_scratch_project(python, tmp_path / "project")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "5 passed" in out.stdout
