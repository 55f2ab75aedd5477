"""The benchmark, in one run, on this machine (loopback only; stops by itself):

    python bench/run.py [--requests 5000] [--concurrency 8] [--rounds 8] [--skip-big] [--out FILE]
                        [--only throughput|startup|data|auth|metrics|console]
                        [--auth-seconds 4]

(a) throughput and latency of `numCpte` and `perPhy` over mutual TLS with keep-alive: the full
    sandbox (`ficoba-sandbox serve`: gateway, token, binding, quota, journal, backend, store) next
    to a minimal FastAPI app that parses the same bodies on the same uvicorn TLS configuration
    (the framework's ceiling, bench/http_bench.py); reported as ratios (targets: numCpte >= 0.75,
    perPhy >= 0.70, docs/performance.md). The load
    comes from a separate process (bench/http_bench.py load). Both servers run at once (the one
    not being measured is idle) and are measured alternately: ROUNDS rounds, each one batch of
    the sandbox and one of the ceiling per endpoint back to back (the order swapped every other
    round), so both see the same machine load; the ratio is the median of the rounds' ratios.
(b) time from process start to a healthy `/etatSante` over mutual TLS: first start (empty state
    directory: PKI, clients, dataset, cache), cold (no dataset cache) and warm (target <= 1.5 s
    at the default size). The servers run with Python's bytecode cache, as an installed package
    does (pip compiles it at install; the Docker image has it): the package is compiled once
    before measuring and PYTHONDONTWRITEBYTECODE is not passed on (a machine that sets it would
    otherwise compile every module of the package at every start, ≈ 0.3-0.5 s).
(c) build time and memory of the default dataset and of about 1 M accounts (bench/data_bench.py;
    `--skip-big` leaves the 1 M one out: it takes minutes and about 1.5 GB).
(d) client authentication under a secret-guessing burst (bench/auth_bench.py): the `/etatSante`
    latency (p50, p99) of a well-behaved client holding a token, alone and while 8 parallel
    streams post wrong secrets to `/token`, over mutual TLS; the ratios burst/quiet. Twice: the
    failure back-off off (what the worker threads alone give: scrypt off the event loop) and at
    its defaults (the guesses soon answered 429 without hashing). docs/security.md.
(e) the cost of the metrics (docs/metrics.md): the `numCpte` throughput of two sandboxes on copies
    of one state directory, running at once, one with `--metrics` (the default) and one with
    `--no-metrics`, measured alternately as in (a) (ROUNDS rounds, the order swapped every other
    round); the cost is 1 - the median of the rounds' on/off ratios (target <= 3 %).
(f) the cost of the QA console (docs/console.md): the `numCpte` throughput of two sandboxes on
    copies of one state directory, measured alternately as in (e), one of them watched all along
    by a browser's worth of console traffic and more: its whole journal page fetched every
    CONSOLE_POLL_SECONDS (a quarter of the live view's own 2 s, as four open tabs would, each
    fetch heavier than the view's); the cost is 1 - the median of the watched/unwatched ratios.

Prints one JSON document (progress on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "ficoba-sandbox") if (BIN / "ficoba-sandbox").exists() else "ficoba-sandbox"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def env_for(state: Path, port: int, admin_port: int, size: int) -> dict[str, str]:
    # Bytecode cache as an installed package has it (see the docstring, (b)).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FICOBA_SANDBOX") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        FICOBA_SANDBOX_STATE_DIR=str(state),
        FICOBA_SANDBOX_HOST="127.0.0.1",
        FICOBA_SANDBOX_PORT=str(port),
        FICOBA_SANDBOX_ADMIN_HOST="127.0.0.1",
        FICOBA_SANDBOX_ADMIN_PORT=str(admin_port),
        FICOBA_SANDBOX_SIZE=str(size),
    )
    return env


def probe(port: int, creds_file: Path) -> bool:
    """One attempt: token then GET /etatSante over mutual TLS (raw http.client, cheap)."""
    import base64
    import http.client

    try:
        creds = json.loads(creds_file.read_text())
    except (OSError, ValueError):
        return False
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    try:
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=2)
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode())
        conn.request(
            "POST",
            "/token",
            body="grant_type=client_credentials",
            headers={
                "Authorization": "Basic " + basic.decode(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        r = conn.getresponse()
        if r.status != 200:
            return False
        token = json.loads(r.read())["access_token"]
        conn.request(
            "GET",
            "/ficoba-api/v2/etatSante",
            headers={
                "Authorization": f"Bearer {token}",
                "X-Correlation-ID": "0b5e7f8a-9c1d-4e2f-8a3b-4c5d6e7f8a9b",
            },
        )
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status == 200
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return False


@contextlib.contextmanager
def sandbox(
    state: Path,
    size: int,
    *extra: str,
    env: dict[str, str] | None = None,
    pids: list[int] | None = None,
    admin_ports: list[int] | None = None,
) -> Iterator[tuple[int, float]]:
    """`ficoba-sandbox serve` in a subprocess (`env`: more FICOBA_SANDBOX_* settings); yields
    (port, seconds until healthy). `pids` receives the server's process id, `admin_ports` its
    admin plane's port."""
    port, admin_port = free_port(), free_port()
    if admin_ports is not None:
        admin_ports.append(admin_port)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [CLI, "serve", "--log-level", "warning", *extra],
        env={**env_for(state, port, admin_port, size), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if pids is not None:
        pids.append(proc.pid)
    try:
        deadline = t0 + 300
        while not probe(port, state / "demo-client.json"):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"the sandbox did not become healthy (rc={proc.poll()})")
            time.sleep(0.02)
        yield port, time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def compile_package() -> None:
    """The package's bytecode, as `pip install` writes it (editable installs leave it to the
    first import, which a machine with PYTHONDONTWRITEBYTECODE=1 never writes)."""
    import compileall

    import ficoba_sandbox

    compileall.compile_dir(str(Path(ficoba_sandbox.__file__).parent), quiet=1)


def startup(size: int, runs: int) -> dict[str, Any]:
    compile_package()
    out: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory(prefix="ficoba-bench-") as tmp:
        state = Path(tmp) / "state"
        log("start-up: first start (empty state directory)")
        with sandbox(state, size) as (_, t):
            out["first_start_s"] = round(t, 3)
        cold, warm = [], []
        for _ in range(runs):
            shutil.rmtree(state / "cache", ignore_errors=True)
            with sandbox(state, size) as (_, t):
                cold.append(t)
            with sandbox(state, size) as (_, t):
                warm.append(t)
        # What a new container of the image meets (Dockerfile: `ficoba-sandbox prepare` built the
        # dataset cache into /data at image build time): the dataset cache and nothing else, so
        # the PKI and the demo client are made at this start.
        prepared = []
        for i in range(runs):
            fresh = Path(tmp) / f"prepared-{i}"
            shutil.copytree(state / "cache", fresh / "cache")
            with sandbox(fresh, size) as (_, t):
                prepared.append(t)
        log(f"start-up: cold {cold}, warm {warm}, prepared first start {prepared}")
        out["cold_no_cache_s"] = round(statistics.median(cold), 3)
        out["warm_cache_s"] = round(statistics.median(warm), 3)
        out["prepared_first_start_s"] = round(statistics.median(prepared), 3)
        out["runs"] = {
            "cold": [round(t, 3) for t in cold],
            "warm": [round(t, 3) for t in warm],
            "prepared_first_start": [round(t, 3) for t in prepared],
        }
    out["target_s"] = 1.5
    out["warm_meets_target"] = out["warm_cache_s"] <= 1.5
    out["cold_meets_target"] = out["cold_no_cache_s"] <= 1.5
    out["bytecode_cache"] = "compiled before measuring, as pip installs it (see (b))"
    out["prepared_first_start_meets_target"] = out["prepared_first_start_s"] <= 1.5
    return out


def bodies(state: Path, size: int, creds: dict[str, Any], n: int = 500) -> dict[str, list]:
    from ficoba_sandbox.data.build import build_store
    from ficoba_sandbox.data.personas import default_personas_dir

    dirs = [d for d in [default_personas_dir()] if d is not None]
    store = build_store(42, size, dirs, cache_dir=state / "cache")
    common = {
        "dateDemande": time.strftime("%Y-%m-%d"),
        "motif": creds["motifs"][0],
        "siretDemandeur": creds["siret_demandeur"],
        "sirenDemandeur": "",
        "justification": "bench",
    }
    comptes = list(store.comptes())
    step = max(1, len(comptes) // n)
    num_cpte = [
        {**common, "criteresRecherche": {"iban": c.iban, "verificationCompte": "0"}}
        for c in comptes[::step][:n]
    ]
    pps = list(store.personnes_physiques())
    step = max(1, len(pps) // n)
    per_phy = []
    for pp in pps[::step][:n]:
        etat = {
            k: ""
            for k in (
                "anneeNaissanceDebut",
                "moisNaissanceDebut",
                "jourNaissanceDebut",
                "anneeNaissanceFin",
                "moisNaissanceFin",
                "jourNaissanceFin",
            )
        }
        etat.update(
            anneeNaissance=pp.annee_naissance,
            moisNaissance=pp.mois_naissance,
            jourNaissance=pp.jour_naissance,
            nom=pp.nom_naissance,
            prenoms=pp.prenoms.split(" ")[0],
            sexe=pp.sexe,
        )
        per_phy.append(
            {
                **common,
                "criteresRecherche": {
                    "etatCivil": etat,
                    "lieuNaissance": {
                        "codePaysNaissance": "",
                        "codeDepartementNaissance": "",
                        "codeCommuneNaissance": "",
                    },
                    "domiciliation": {"codePays": "", "codeDepartement": "", "codeCommune": ""},
                },
            }
        )
    return {"numCpte": num_cpte, "perPhy": per_phy}


def load(port: int, path: str, bodies_file: Path, creds: dict, token: str, args: Any) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "http_bench.py"),
            "load",
            "--port",
            str(port),
            "--path",
            path,
            "--bodies",
            str(bodies_file),
            "--token",
            token,
            "--ca",
            creds["ca"],
            "--cert",
            creds["cert"],
            "--key",
            creds["key"],
            "--requests",
            str(args.requests),
            "--concurrency",
            str(args.concurrency),
            "--warmup",
            str(args.warmup),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout)


def token_for(port: int, creds: dict[str, Any]) -> str:
    import httpx

    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    with httpx.Client(verify=ctx) as http:
        r = http.post(
            f"https://localhost:{port}/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        r.raise_for_status()
        return str(r.json()["access_token"])


@contextlib.contextmanager
def ceiling(state: Path) -> Iterator[int]:
    """The framework's ceiling (bench/http_bench.py ceiling) in a subprocess; yields its port."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "http_bench.py"),
            "ceiling",
            "--dir",
            str(state),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.perf_counter() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError("the ceiling server did not start")
            time.sleep(0.05)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


LATENCY_KEYS = ("p50_ms", "p90_ms", "p99_ms", "mean_ms")


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's batches of one endpoint: the medians of the rounds (req/s and latencies),
    the statuses summed, each round's req/s kept."""
    statuses: dict[str, int] = {}
    for r in runs:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    out: dict[str, Any] = {
        "requests": sum(r["requests"] for r in runs),
        "concurrency": runs[0]["concurrency"],
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
    }
    for k in LATENCY_KEYS:
        out[k] = round(statistics.median(r[k] for r in runs), 2)
    out["statuses"] = statuses
    out["rps_rounds"] = [r["rps"] for r in runs]
    return out


def throughput(size: int, args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "requests_per_run": args.requests,
        "concurrency": args.concurrency,
        "keep_alive": True,
        "tls": "mutual TLS, uvicorn (h11), the sandbox's uvicorn_config",
        "method": (
            "interleaved: sandbox and ceiling running at once (the one not measured is idle); "
            "per round and endpoint one sandbox batch and one ceiling batch back to back, the "
            "order swapped every other round; ratio_rps = median of the rounds' ratios"
        ),
        "rounds": args.rounds,
    }
    with tempfile.TemporaryDirectory(prefix="ficoba-bench-") as tmp:
        state = Path(tmp) / "state"
        subprocess.run(
            [CLI, "init", "--dir", str(state)], check=True, capture_output=True, text=True
        )
        # a client with a quota that the benchmark cannot reach (200/min is the default)
        creds = json.loads(
            subprocess.run(
                [
                    CLI,
                    "clients",
                    "add",
                    "--dir",
                    str(state),
                    "--id",
                    "bench",
                    "--quota",
                    "100000000",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        with sandbox(state, size) as (port, _), ceiling(state) as ceiling_port:
            log("throughput: building request bodies from the dataset")
            files = {}
            for name, items in bodies(state, size, creds).items():
                files[name] = Path(tmp) / f"{name}.json"
                files[name].write_text(json.dumps(items))
            token = token_for(port, creds)
            servers = {"sandbox": (port, token), "ceiling": (ceiling_port, "none")}
            runs: dict[str, dict[str, list[dict[str, Any]]]] = {
                name: {"sandbox": [], "ceiling": []} for name in ("numCpte", "perPhy")
            }
            for rnd in range(args.rounds):
                order = ("sandbox", "ceiling") if rnd % 2 == 0 else ("ceiling", "sandbox")
                for name in ("numCpte", "perPhy"):
                    for who in order:
                        p, tok = servers[who]
                        res = load(
                            p, f"/ficoba-api/v2/comptes/{name}", files[name], creds, tok, args
                        )
                        runs[name][who].append(res)
                        log(
                            f"throughput: round {rnd + 1}/{args.rounds} {who} {name}: {res['rps']} req/s"
                        )
        # The journal (written by its child process, FICOBA_SANDBOX_JOURNAL_WRITER=process) holds
        # every resource call the load sent: read after the server stopped (SIGTERM flushes it).
        import sqlite3

        with contextlib.closing(sqlite3.connect(state / "journal.sqlite3")) as conn:
            rows = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT correlation_id) FROM journal "
                "WHERE path LIKE '/ficoba-api/v2/comptes/%'"
            ).fetchone()
        sent = args.rounds * 2 * (args.warmup + args.requests)
        out["journal"] = {
            "resource_calls_sent": sent,
            "rows": rows[0],
            "distinct_correlation_ids": rows[1],
            "complete": rows[0] == rows[1] == sent,
        }
        log(f"throughput: journal rows {rows[0]} for {sent} resource calls sent")
    for name in ("numCpte", "perPhy"):
        s_runs, c_runs = runs[name]["sandbox"], runs[name]["ceiling"]
        ratios = [round(s["rps"] / c["rps"], 3) for s, c in zip(s_runs, c_runs, strict=True)]
        out[name] = {
            "sandbox": summary(s_runs),
            "ceiling": summary(c_runs),
            "ratios_per_round": ratios,
            "ratio_rps": round(statistics.median(ratios), 3),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        }
        out[name]["target_ratio"] = TARGET_RATIO[name]
        out[name]["meets_target"] = out[name]["ratio_rps"] >= TARGET_RATIO[name]
        log(f"throughput: {name} ratios {ratios}, median {out[name]['ratio_rps']}")
    return out


#: the sandbox's throughput as a share of the ceiling's, median of the rounds (docs/performance.md)
TARGET_RATIO = {"numCpte": 0.75, "perPhy": 0.70}


def data(args: Any) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "data_bench.py"), "--size", str(args.size)]
    if args.skip_big:
        cmd.append("--skip-big")
    log(
        "data: "
        + " ".join(cmd[1:])
        + (" (the 1 M accounts run takes minutes)" * (not args.skip_big))
    )
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(out.stdout)


#: a quota the measuring client cannot reach (200/min is the default)
QUOTA_UNREACHED = ("--quota", "100000000")
#: the failure back-off off: what is measured is where the secrets are hashed
BACKOFF_OFF = {
    "FICOBA_SANDBOX_TOKEN_BACKOFF_CLIENT_FAILURES": "0",
    "FICOBA_SANDBOX_TOKEN_BACKOFF_PEER_FAILURES": "0",
}


def auth_measure(port: int, creds: dict[str, Any], token: str, args: Any, burst: bool) -> dict:
    cmd = [
        sys.executable,
        str(HERE / "auth_bench.py"),
        "measure",
        *("--port", str(port), "--token", token, "--ca", creds["ca"]),
        *("--cert", creds["cert"], "--key", creds["key"]),
        *("--seconds", str(args.auth_seconds), "--streams", "8"),
    ]
    out = subprocess.run(
        cmd + (["--burst"] if burst else []), capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def auth(size: int, args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client": "one keep-alive mutual-TLS connection, GET /etatSante one after the other, "
        f"{args.auth_seconds} s per measure",
        "burst": "8 keep-alive mutual-TLS connections posting wrong secrets for demo-client "
        "to /token, from another process",
    }
    with tempfile.TemporaryDirectory(prefix="ficoba-bench-") as tmp:
        state = Path(tmp) / "state"
        subprocess.run(
            [CLI, "init", "--dir", str(state)], check=True, capture_output=True, text=True
        )
        creds = json.loads(
            subprocess.run(
                [CLI, "clients", "add", "--dir", str(state), "--id", "bench", *QUOTA_UNREACHED],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for name, env in (("backoff_off", BACKOFF_OFF), ("backoff_default", {})):
            with sandbox(state, size, env=env) as (port, _):
                token = token_for(port, creds)
                quiet = auth_measure(port, creds, token, args, burst=False)
                burst = auth_measure(port, creds, token, args, burst=True)
            out[name] = {
                "quiet": quiet,
                "burst": burst,
                "ratio_p50": round(burst["p50_ms"] / quiet["p50_ms"], 2),
                "ratio_p99": round(burst["p99_ms"] / quiet["p99_ms"], 2),
            }
            log(
                f"auth ({name}): p50 {quiet['p50_ms']} -> {burst['p50_ms']} ms, "
                f"p99 {quiet['p99_ms']} -> {burst['p99_ms']} ms, guesses {burst['guesses']}"
            )
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (the journal's writer process),
    from /proc (proc(5): fields 14 and 15 of `stat`, in clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, ...; utime and stime are the 12th and 13th
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def twin_states(tmp: Path, size: int, part: str) -> tuple[Path, Path, dict[str, Any], Path]:
    """Two copies of one state directory (the same CA, clients, token key and dataset cache; a
    journal each), the bench client's credentials and its `numCpte` bodies' file: the two
    sandboxes a cost is measured between."""
    state = tmp / "state"
    subprocess.run([CLI, "init", "--dir", str(state)], check=True, capture_output=True, text=True)
    creds = json.loads(
        subprocess.run(
            [CLI, "clients", "add", "--dir", str(state), "--id", "bench", *QUOTA_UNREACHED],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    log(f"{part}: building request bodies from the dataset")
    body_file = tmp / "numCpte.json"
    body_file.write_text(json.dumps(bodies(state, size, creds)["numCpte"]))
    twin = tmp / "state-off"
    shutil.copytree(state, twin)
    return state, twin, creds, body_file


#: the throughput the per-call counting of the metrics may cost (docs/metrics.md)
METRICS_MAX_COST = 0.03


def metrics_cost(size: int, args: Any) -> dict[str, Any]:
    path = "/ficoba-api/v2/comptes/numCpte"
    out: dict[str, Any] = {
        "path": path,
        "method": (
            "interleaved: a --metrics and a --no-metrics sandbox (copies of one state directory) "
            "running at once; per round one batch of each back to back, the order swapped every "
            "other round; cost = 1 - median of the rounds' on/off ratios"
        ),
        "rounds": args.rounds,
        "requests_per_run": args.requests,
        "concurrency": args.concurrency,
        "baseline": f"--{args.metrics_baseline}",
    }
    with tempfile.TemporaryDirectory(prefix="ficoba-bench-") as tmp:
        state, state_off, creds, body_file = twin_states(Path(tmp), size, "metrics")
        on_pid: list[int] = []
        off_pid: list[int] = []
        with (
            sandbox(state, size, "--metrics", pids=on_pid) as (on_port, _),
            sandbox(state_off, size, f"--{args.metrics_baseline}", pids=off_pid) as (off_port, _),
        ):
            servers = {
                "on": (on_port, token_for(on_port, creds), on_pid[0]),
                "off": (off_port, token_for(off_port, creds), off_pid[0]),
            }
            runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
            for rnd in range(args.rounds):
                for who in ("on", "off") if rnd % 2 == 0 else ("off", "on"):
                    port, token, pid = servers[who]
                    cpu = cpu_seconds(pid)
                    res = load(port, path, body_file, creds, token, args)
                    # the server's CPU per call: what the counting adds, less at the mercy of
                    # the machine's other jobs than req/s (warm-up calls included)
                    calls = sum(res["statuses"].values()) + args.warmup
                    res["cpu_us_per_call"] = round((cpu_seconds(pid) - cpu) / calls * 1e6, 1)
                    runs[who].append(res)
                    log(
                        f"metrics: round {rnd + 1}/{args.rounds} {who}: {res['rps']} req/s, "
                        f"{res['cpu_us_per_call']} µs CPU per call"
                    )
    ratios = [round(a["rps"] / b["rps"], 3) for a, b in zip(runs["on"], runs["off"], strict=True)]
    ratio = statistics.median(ratios)
    cpu_ratios = [
        round(a["cpu_us_per_call"] / b["cpu_us_per_call"], 3)
        for a, b in zip(runs["on"], runs["off"], strict=True)
    ]
    out.update(
        cpu_us_per_call_on=statistics.median(r["cpu_us_per_call"] for r in runs["on"]),
        cpu_us_per_call_off=statistics.median(r["cpu_us_per_call"] for r in runs["off"]),
        cpu_ratios_per_round=cpu_ratios,
        cpu_ratio=round(statistics.median(cpu_ratios), 3),
        metrics_on=summary(runs["on"]),
        metrics_off=summary(runs["off"]),
        ratios_per_round=ratios,
        ratio_rps=round(ratio, 3),
        cost=round(1 - ratio, 3),
        target_max_cost=METRICS_MAX_COST,
        meets_target=1 - ratio <= METRICS_MAX_COST,
    )
    log(
        f"metrics: on/off req/s ratios {ratios}, median {out['ratio_rps']}, cost {out['cost']}; "
        f"CPU per call ratios {cpu_ratios}, median {out['cpu_ratio']}"
    )
    return out


#: the console's whole journal page (its filters, rows and detail), heavier than the rows alone
#: its live view fetches again (docs/console.md, "Journal"): the cost measured is an upper bound
CONSOLE_POLL_PATH = "/__sandbox/console/journal"
CONSOLE_POLL_SECONDS = 0.5
BENCH_ADMIN_TOKEN = "bench-admin-token-not-a-secret-of-any-real-server"


@contextlib.contextmanager
def console_viewer(admin_port: int) -> Iterator[dict[str, int]]:
    """A thread fetching the console's journal view every CONSOLE_POLL_SECONDS until the block
    ends; yields its counts (pages fetched, failures)."""
    import threading

    import httpx

    counts = {"pages": 0, "failed": 0}
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {BENCH_ADMIN_TOKEN}", "Accept": "text/html"}

    def watch() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{admin_port}", timeout=10) as http:
            while not stop.wait(CONSOLE_POLL_SECONDS):
                try:
                    ok = http.get(CONSOLE_POLL_PATH, headers=headers).status_code == 200
                except httpx.HTTPError:
                    ok = False
                counts["pages" if ok else "failed"] += 1

    thread = threading.Thread(target=watch, name="console-viewer", daemon=True)
    thread.start()
    try:
        yield counts
    finally:
        stop.set()
        thread.join(timeout=15)


def console_cost(size: int, args: Any) -> dict[str, Any]:
    path = "/ficoba-api/v2/comptes/numCpte"
    out: dict[str, Any] = {
        "path": path,
        "method": (
            "interleaved: two sandboxes (copies of one state directory) running at once, one "
            f"with its console's journal view fetched every {CONSOLE_POLL_SECONDS} s all along; "
            "per round one batch of each back to back, the order swapped every other round; "
            "cost = 1 - median of the rounds' watched/unwatched ratios"
        ),
        "rounds": args.rounds,
        "requests_per_run": args.requests,
        "concurrency": args.concurrency,
        "poll_path": CONSOLE_POLL_PATH,
        "poll_seconds": CONSOLE_POLL_SECONDS,
    }
    env = {"FICOBA_SANDBOX_ADMIN_TOKEN": BENCH_ADMIN_TOKEN}
    with tempfile.TemporaryDirectory(prefix="ficoba-bench-") as tmp:
        state, state_off, creds, body_file = twin_states(Path(tmp), size, "console")
        admin_ports: list[int] = []
        with (
            sandbox(state, size, env=env, admin_ports=admin_ports) as (on_port, _),
            sandbox(state_off, size, env=env) as (off_port, _),
            console_viewer(admin_ports[0]) as viewed,
        ):
            servers = {
                "watched": (on_port, token_for(on_port, creds)),
                "unwatched": (off_port, token_for(off_port, creds)),
            }
            runs: dict[str, list[dict[str, Any]]] = {"watched": [], "unwatched": []}
            for rnd in range(args.rounds):
                order = ("watched", "unwatched") if rnd % 2 == 0 else ("unwatched", "watched")
                for who in order:
                    port, token = servers[who]
                    res = load(port, path, body_file, creds, token, args)
                    runs[who].append(res)
                    log(f"console: round {rnd + 1}/{args.rounds} {who}: {res['rps']} req/s")
            pages = dict(viewed)
    ratios = [
        round(a["rps"] / b["rps"], 3)
        for a, b in zip(runs["watched"], runs["unwatched"], strict=True)
    ]
    ratio = statistics.median(ratios)
    out.update(
        console_pages_fetched=pages["pages"],
        console_pages_failed=pages["failed"],
        watched=summary(runs["watched"]),
        unwatched=summary(runs["unwatched"]),
        ratios_per_round=ratios,
        ratio_rps=round(ratio, 3),
        cost=round(1 - ratio, 3),
    )
    log(
        f"console: watched/unwatched req/s ratios {ratios}, median {out['ratio_rps']}; "
        f"{pages['pages']} console pages fetched, {pages['failed']} failed"
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="dataset size (default 10000)")
    # 5 000 requests and 8 rounds: shorter batches (under a second) and fewer rounds left the
    # ratio at the mercy of one slow round on a shared machine (docs/performance.md)
    parser.add_argument("--requests", type=int, default=5000, help="measured requests per run")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured first requests")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument(
        "--rounds", type=int, default=8, help="interleaved sandbox/ceiling rounds (default 8)"
    )
    parser.add_argument("--startup-runs", type=int, default=3, help="cold/warm start-ups")
    parser.add_argument("--skip-big", action="store_true", help="no 1 M accounts dataset")
    parser.add_argument(
        "--auth-seconds", type=float, default=4.0, help="seconds per authentication measure"
    )
    parser.add_argument(
        "--only",
        choices=["throughput", "startup", "data", "auth", "metrics", "console"],
        action="append",
    )
    parser.add_argument(
        "--metrics-baseline",
        choices=["no-metrics", "metrics"],
        default="no-metrics",
        help="the second sandbox of --only metrics; `metrics`: both alike, the noise floor",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    parts = args.only or ["throughput", "startup", "data", "auth", "metrics", "console"]
    result: dict[str, Any] = {"machine": machine()}
    t0 = time.perf_counter()
    if "throughput" in parts:
        result["throughput"] = throughput(args.size, args)
    if "startup" in parts:
        result["startup"] = startup(args.size, args.startup_runs)
    if "data" in parts:
        result["data"] = data(args)
    if "auth" in parts:
        result["auth"] = auth(args.size, args)
    if "metrics" in parts:
        result["metrics"] = metrics_cost(args.size, args)
    if "console" in parts:
        result["console"] = console_cost(args.size, args)
    result["bench_seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
