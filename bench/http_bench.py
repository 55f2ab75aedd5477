"""HTTP pieces of `bench/run.py` (each runs in its own process):

python bench/http_bench.py ceiling --dir D --port P
    the framework's ceiling: a minimal FastAPI app whose endpoints parse the same request
    bodies (a pydantic model of `caracteristiquesDemande`) and answer a small JSON, served
    with the sandbox's own uvicorn TLS configuration (`cli.serve.uvicorn_config`: our h11
    protocol class, TLS >= 1.2, client certificate required, same certificates).

python bench/http_bench.py load --port P --path PATH --bodies FILE --token T --ca .. --cert ..
    --key .. [--requests 3000] [--concurrency 8] [--warmup 200]
    the load: CONCURRENCY keep-alive TLS connections (mutual TLS) on one asyncio loop, raw
    HTTP/1.1 written by hand so the client costs little; bodies taken in turn from FILE (a
    JSON list); a fresh X-Correlation-ID per request. Prints one JSON object: requests/s,
    p50/p90/p99 latency (ms), status counts.
"""

import argparse
import asyncio
import json
import ssl
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any


def ceiling_app() -> Any:
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Demande(BaseModel):
        dateDemande: str
        motif: str
        siretDemandeur: str
        sirenDemandeur: str = ""
        justification: str = ""
        criteresRecherche: dict[str, Any]

    app = FastAPI()

    @app.post("/ficoba-api/v2/comptes/numCpte")
    async def num_cpte(demande: Demande) -> dict[str, Any]:
        return {"referenceDemande": "FCB_2026_000000001", "nombreReponses": "000"}

    @app.post("/ficoba-api/v2/comptes/perPhy")
    async def per_phy(demande: Demande) -> dict[str, Any]:
        return {"referenceDemande": "FCB_2026_000000001", "nombreReponses": "000"}

    return app


def cmd_ceiling(args: argparse.Namespace) -> int:
    import uvicorn

    from ficoba_sandbox.cli.serve import uvicorn_config
    from ficoba_sandbox.gateway.pki import PkiPaths
    from ficoba_sandbox.settings import Settings

    settings = Settings(state_dir=Path(args.dir), host="127.0.0.1", port=args.port)
    config = uvicorn_config(
        ceiling_app(), settings, PkiPaths(Path(args.dir).resolve()), log_level="warning"
    )
    uvicorn.Server(config).run()
    return 0


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.load_cert_chain(args.cert, args.key)
    bodies = [json.dumps(b).encode() for b in json.loads(Path(args.bodies).read_text())]
    head = (
        f"POST {args.path} HTTP/1.1\r\nHost: localhost:{args.port}\r\n"
        f"Authorization: Bearer {args.token}\r\nContent-Type: application/json\r\n"
    ).encode()
    total = args.warmup + args.requests
    counter = iter(range(total))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    started: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", args.port, ssl=ctx, server_hostname="localhost"
        )
        try:
            for i in counter:
                body = bodies[i % len(bodies)]
                if i == args.warmup:
                    started.append(time.perf_counter())
                t0 = time.perf_counter()
                writer.write(
                    head
                    + f"X-Correlation-ID: {uuid.uuid4()}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                status_line_and_headers = await reader.readuntil(b"\r\n\r\n")
                lines = status_line_and_headers.split(b"\r\n")
                status = lines[0].split(b" ", 2)[1].decode()
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if i >= args.warmup:
                    latencies.append(time.perf_counter() - t0)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - (started[0] if started else 0)
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "concurrency": args.concurrency,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "statuses": statuses,
    }


def cmd_load(args: argparse.Namespace) -> int:
    print(json.dumps(asyncio.run(_load(args))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("ceiling")
    c.add_argument("--dir", required=True)
    c.add_argument("--port", type=int, required=True)
    c.set_defaults(handler=cmd_ceiling)
    ld = sub.add_parser("load")
    ld.add_argument("--port", type=int, required=True)
    ld.add_argument("--path", required=True)
    ld.add_argument("--bodies", required=True)
    ld.add_argument("--token", default="none")
    ld.add_argument("--ca", required=True)
    ld.add_argument("--cert", required=True)
    ld.add_argument("--key", required=True)
    ld.add_argument("--requests", type=int, default=3000)
    ld.add_argument("--concurrency", type=int, default=8)
    ld.add_argument("--warmup", type=int, default=200)
    ld.set_defaults(handler=cmd_load)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
