"""Helpers of the journal tests: a tiny stand-in API app (a gateway check, a token endpoint, a
resource, a crash) and a live uvicorn server on loopback."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ficoba_sandbox.api.journal_middleware import install_journal
from ficoba_sandbox.domain.access import Caller
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.journal import Journal

# Raw values that must never reach the journal file when masking is on.
IBAN = "FR7630004000031234567890143"
SPI = "1489335901123"
SIREN = "732829320"
SIRET = "73282932000074"
NAME = "DUBOISXAVIERE"
FIRST_NAME = "MARGUERITTE"
JUSTIFICATION = "Dossier contentieux numero secretissime"
CLIENT_SECRET = "s3cr3t-Client-Secret-value-9876"


def fake_jwt(client_id: str) -> str:
    def b64(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{b64({'alg': 'ES256'})}.{b64({'client_id': client_id, 'sub': client_id})}.c2lnbmF0dXJlLXNpZw"


def build_app(journal: Journal, clock: SystemClock | None = None) -> FastAPI:
    app = FastAPI()
    app.state.clock = clock or SystemClock()
    issued: dict[str, str] = {}

    @app.middleware("http")
    async def gateway(request: Request, call_next: Any) -> Any:
        if request.url.path == "/token":
            return await call_next(request)
        if "x-correlation-id" not in request.headers:
            return JSONResponse(
                {"erreur": {"code": 910000, "message": "X-Correlation-ID absent"}}, 400
            )
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return JSONResponse({"erreur": {"code": 900902, "message": "Missing"}}, 401)
        token = auth[7:]
        if token not in issued:
            return JSONResponse({"erreur": {"code": 900901, "message": "Invalid"}}, 401)
        request.state.caller = Caller(client_id=issued[token])
        response = await call_next(request)
        response.headers["X-Request-ID"] = "rid-" + request.headers["x-correlation-id"]
        return response

    @app.post("/token")
    async def token(request: Request) -> Any:
        form = dict(p.split("=", 1) for p in (await request.body()).decode().split("&") if "=" in p)
        if form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, 401)
        tok = fake_jwt(form["client_id"])
        issued[tok] = form["client_id"]
        return {"access_token": tok, "token_type": "Bearer", "expires_in": 3600}

    @app.post("/ficoba-api/v2/comptes/{resource}")
    async def resource(resource: str, request: Request) -> Any:
        body = await request.json()
        n = body.get("criteresRecherche", {}).get("n", 1)
        if resource == "perPhy" and n == 0:
            return {
                "referenceDemande": "FCB_2026_000000000",
                "nombreReponses": "000",
                "messageInformatif": {"code": "CAF013", "message": "Aucun compte"},
            }
        return {"referenceDemande": f"FCB_2026_{n:09d}", "nombreReponses": "001"}

    @app.get("/crash")
    async def crash() -> Any:
        raise RuntimeError("boom")

    install_journal(app, journal)
    return app


class LiveServer:
    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def now() -> datetime:
    return datetime.now(UTC)
