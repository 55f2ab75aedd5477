"""`GET /metrics`: the sandbox's metrics in Prometheus' text format (docs/metrics.md).

At Prometheus' default path rather than under `/__sandbox/`, so a scrape job needs no
`metrics_path`; the admin token is required as on every admin route (a scrape job sends it with
`authorization: credentials_file:`). Written by the official client from the sandbox's own
registry (metrics.py), on the event loop, where the calls are counted.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ficoba_sandbox.sandbox import Sandbox

METRICS_PATH = "/metrics"


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(tags=["metrics"])

    @r.get(
        METRICS_PATH,
        summary="Metrics in Prometheus' text format",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(sandbox.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return r
