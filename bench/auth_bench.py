"""Client-authentication pieces of `bench/run.py` (each runs in its own process):

python bench/auth_bench.py measure --port P --token T --ca .. --cert .. --key ..
    [--seconds 4] [--streams 8] [--guess-client demo-client] [--burst]
    a well-behaved client: one keep-alive mutual-TLS connection, `GET /etatSante` one after the
    other for SECONDS, with a token it already holds. With --burst, STREAMS parallel streams of
    wrong secrets on `/token` run meanwhile (a `guess` process, started first and given a
    moment to connect). Prints one JSON object: the client's latency (p50, p99, mean, ms), its
    request count, and what the guesses were answered (status counts, guesses per second).

python bench/auth_bench.py guess --port P --ca .. --cert .. --key .. --client-id ID
    [--streams 8] [--seconds 5]
    the burst: STREAMS threads, each a keep-alive mutual-TLS connection posting
    `grant_type=client_credentials` with HTTP Basic ID and a new wrong secret each time, until
    SECONDS have passed. Prints the status counts as JSON.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import ssl
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEALTH = "/ficoba-api/v2/etatSante"


def context(args: argparse.Namespace) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.load_cert_chain(args.cert, args.key)
    return ctx


def connect(args: argparse.Namespace) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection("localhost", args.port, context=context(args), timeout=30)


def cmd_guess(args: argparse.Namespace) -> int:
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    end = time.perf_counter() + args.seconds

    def stream(n: int) -> None:
        conn = connect(args)
        i = 0
        while time.perf_counter() < end:
            i += 1
            basic = base64.b64encode(f"{args.client_id}:wrong-{n}-{i}".encode()).decode()
            conn.request(
                "POST",
                "/token",
                body="grant_type=client_credentials",
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            r = conn.getresponse()
            r.read()
            with lock:
                statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
        conn.close()

    threads = [threading.Thread(target=stream, args=(n,)) for n in range(args.streams)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    total = sum(statuses.values())
    print(
        json.dumps(
            {"statuses": statuses, "guesses": total, "per_second": round(total / elapsed, 1)}
        )
    )
    return 0


def timed_calls(args: argparse.Namespace, seconds: float) -> list[float]:
    conn = connect(args)
    headers = {"Authorization": f"Bearer {args.token}"}
    out: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        conn.request("GET", HEALTH, headers={**headers, "X-Correlation-ID": str(uuid.uuid4())})
        r = conn.getresponse()
        r.read()
        out.append(time.perf_counter() - t0)
        if r.status != 200:
            raise SystemExit(f"/etatSante answered {r.status}")
    conn.close()
    return out


def cmd_measure(args: argparse.Namespace) -> int:
    timed_calls(args, 0.5)  # warm: the connection, the server's token cache
    guesser = None
    if args.burst:
        guesser = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "guess",
                *("--port", str(args.port), "--ca", args.ca, "--cert", args.cert),
                *("--key", args.key, "--client-id", args.guess_client),
                *("--streams", str(args.streams), "--seconds", str(args.seconds + 1.5)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.75)  # every stream connected and guessing
    latencies = timed_calls(args, args.seconds)
    ms = sorted(x * 1000 for x in latencies)
    out: dict[str, Any] = {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }
    if guesser is not None:
        stdout, _ = guesser.communicate(timeout=120)
        out["guesses"] = json.loads(stdout)
    print(json.dumps(out))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("measure", "guess"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--ca", required=True)
        p.add_argument("--cert", required=True)
        p.add_argument("--key", required=True)
        p.add_argument("--streams", type=int, default=8)
        p.add_argument("--seconds", type=float, default=4.0)
    measure, guess = sub.choices["measure"], sub.choices["guess"]
    measure.add_argument("--token", required=True)
    measure.add_argument("--burst", action="store_true")
    measure.add_argument("--guess-client", default="demo-client")
    measure.set_defaults(handler=cmd_measure)
    guess.add_argument("--client-id", required=True)
    guess.set_defaults(handler=cmd_guess)
    args = parser.parse_args()
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
