"""The admin plane: `create_admin_app(app, settings)`, a FastAPI app on its own listener.

Plain HTTP on loopback by default (`--admin-host`, `--admin-port`, 8081), so mutual TLS never
locks QA out (docs/architecture.md). Every route is under `/__sandbox/`; its OpenAPI is
`/__sandbox/openapi.json` (Swagger UI: `/__sandbox/docs`).

Access: a caller from a loopback address needs nothing while the listener is bound to loopback.
Any other caller, and every caller when the listener is bound elsewhere, must send the admin token
(`--admin-token` / `FICOBA_SANDBOX_ADMIN_TOKEN`) as `Authorization: Bearer <token>` or
`X-Admin-Token: <token>`; without a configured token they are refused (403). Binding to a
non-loopback address without a token is refused at start (`AdminConfigError`).

The admin plane drives the API app through its `app.state`: `clock` (freeze/advance),
`service_levels` (quota state/reset, forced maintenance, latency), `faults` (per-client faults),
`journal`, `gateway.registry`, `store`, `feedback`. Nothing here is rebuilt.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from ficoba_sandbox.admin.explain import explain
from ficoba_sandbox.admin.recette import build_router as build_recette_router
from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.domain.durations import parse_duration
from ficoba_sandbox.gateway.clients import DEMO_CLIENT_ID
from ficoba_sandbox.gateway.latency import Latency
from ficoba_sandbox.gateway.registry import DEMO_SIRET, Registry
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.faults import Fault
from ficoba_sandbox.sandbox import Sandbox

PREFIX = "/__sandbox"


class AdminConfigError(RuntimeError):
    """The admin plane cannot start with this configuration."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


class AdminGuard:
    """Pure-ASGI access check (runs before routing, so 404s do not leak either)."""

    def __init__(self, app: ASGIApp, token: str | None, bound_loopback: bool) -> None:
        self.app = app
        self.token = token
        self.bound_loopback = bound_loopback

    def _presented(self, scope: Scope) -> str | None:
        for k, v in scope.get("headers", ()):
            if k == b"x-admin-token":
                return v.decode("latin-1").strip()
            if k == b"authorization":
                text = v.decode("latin-1").strip()
                if text[:7].lower() == "bearer ":
                    return text[7:].strip()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        free = self.bound_loopback and is_loopback(peer)
        if not free:
            given = self._presented(scope)
            ok = (
                self.token is not None
                and given is not None
                and hmac.compare_digest(given.encode(), self.token.encode())
            )
            if not ok:
                resp = JSONResponse(
                    {
                        "error": "forbidden",
                        "detail": "admin token required for non-loopback callers"
                        if self.token
                        else "the admin plane only answers loopback callers (no admin token "
                        "configured)",
                    },
                    status_code=403,
                )
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


# --- request bodies --------------------------------------------------------------------------


class FreezeIn(BaseModel):
    at: datetime | None = Field(None, description="instant to freeze at (default: now)")


class AdvanceIn(BaseModel):
    seconds: float | None = None
    duration: str | None = Field(None, description="e.g. 90s, 15m, 2h, 1d")


class MaintenanceIn(BaseModel):
    state: Literal["down", "up", "schedule"]


class LatencyIn(BaseModel):
    spec: str = Field("", description="as --latency: 200ms | p50=80ms,p99=400ms | numCpte=300ms")


class FaultIn(BaseModel):
    latency_ms: int = Field(0, ge=0)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_code: str = "CAT004"
    remaining: int | None = Field(None, ge=1)
    resources: list[str] = Field(default_factory=list)


class QuotaFillIn(BaseModel):
    calls: int | None = Field(None, ge=1, description="calls to count (default: the whole quota)")


# --- the app ---------------------------------------------------------------------------------


def create_admin_app(sandbox: Sandbox, settings: Any) -> FastAPI:
    host = getattr(settings, "admin_host", "127.0.0.1")
    token = getattr(settings, "admin_token", None) or None
    bound_loopback = is_loopback(host)
    if not bound_loopback and not token:
        raise AdminConfigError(
            f"the admin plane is bound to {host}, not loopback: set --admin-token "
            "(FICOBA_SANDBOX_ADMIN_TOKEN)"
        )
    admin = FastAPI(
        title="ficoba-sandbox admin plane",
        version="1",
        description="QA toolkit of the FICOBA sandbox: magic values, journal, clock, quota, "
        "maintenance, faults, dataset, explain. Sandbox only.",
        openapi_url=PREFIX + "/openapi.json",
        docs_url=PREFIX + "/docs",
        redoc_url=None,
    )
    admin.include_router(build_router(sandbox, settings))
    admin.include_router(build_recette_router(sandbox))
    admin.add_middleware(AdminGuard, token=token, bound_loopback=bound_loopback)
    return admin


def _demo_requester(registry: Registry, client_id: str | None) -> tuple[str, str, str]:
    """(client_id, siret, motif) used to build complete request bodies."""
    cid = client_id or DEMO_CLIENT_ID
    record = registry.get(cid)
    if record is None:
        if client_id:
            raise HTTPException(404, f"unknown client {client_id!r}")
        return cid, DEMO_SIRET, "0001"
    siret = sorted(record.sirets)[0] if record.sirets else DEMO_SIRET
    everything = [m for m, types in record.motifs.items() if set(types) >= set(SearchType)]
    motif = (everything or sorted(record.motifs) or ["0001"])[0]
    return cid, siret, motif


def _today(sandbox: Sandbox) -> str:
    return sandbox.backend.today().isoformat()


def _clock_json(sandbox: Sandbox) -> dict[str, Any]:
    clock = sandbox.clock
    now = clock.now()
    return {
        "now": now.isoformat(),
        "frozen": bool(getattr(clock, "frozen", False)),
        "offset_seconds": round((now - datetime.now(UTC)).total_seconds(), 3),
        "today": _today(sandbox),
    }


def build_router(sandbox: Sandbox, settings: Any) -> APIRouter:
    registry = sandbox.gateway.registry
    r = APIRouter(prefix=PREFIX)

    # -- health ---------------------------------------------------------------------------
    @r.get("/health", tags=["health"], summary="Liveness")
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    @r.get("/ready", tags=["health"], summary="Readiness: data, gateway keys, journal, quota")
    async def ready() -> JSONResponse:
        checks: dict[str, bool] = {
            "dataset": sandbox.store is not None,
            "gateway": sandbox.gateway is not None,
            "journal": sandbox.journal.healthy,
            "quota_storage": await sandbox.levels.quota.check(),
        }
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    # -- magic ----------------------------------------------------------------------------
    @r.get("/magic", tags=["magic"], summary="The magic-value catalogue")
    def magic_catalogue(
        client_id: str | None = Query(None, description="build bodies for this client"),
        prefix: str = Query("/ficoba-api/v2"),
    ) -> dict[str, Any]:
        cid, siret, motif = _demo_requester(registry, client_id)
        return {
            "client_id": cid,
            "header": magic.HEADER,
            "justification_token": "sandbox-scenario:<name>",
            "rules": [
                "The request is processed for real first; only an HTTP 200 answer is replaced "
                "by the entry's outcome: validation errors always win.",
                "Technical entries apply on every resource when named by header.",
                "A data entry named by header answers as if criteresRecherche were the entry's.",
            ],
            "entries": magic.catalogue(
                siret=siret, motif=motif, today=_today(sandbox), prefix=prefix
            ),
        }

    @r.get("/magic/{name}", tags=["magic"], summary="One entry of the catalogue")
    def magic_entry(name: str, client_id: str | None = None) -> dict[str, Any]:
        entry = magic.get(name)
        if entry is None:
            raise HTTPException(404, {"unknown": name, "valid": magic.names()})
        _, siret, motif = _demo_requester(registry, client_id)
        return magic.describe(entry, siret=siret, motif=motif, today=_today(sandbox))

    # -- journal --------------------------------------------------------------------------
    def _journal() -> Any:
        return sandbox.journal

    @r.get("/journal", tags=["journal"], summary="Journal rows, newest first")
    def journal_rows(
        client: str | None = None,
        since: str | None = Query(None, description="ISO 8601 or relative: 10m, 2h, 1d"),
        status: str | None = Query(None, description="429, 4xx, error"),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        try:
            rows = _journal().query(client_id=client, since=since, status=status, limit=limit)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"count": len(rows), "rows": rows}

    @r.delete("/journal", tags=["journal"], summary="Purge the journal (or one client's rows)")
    def journal_purge(client: str | None = None) -> dict[str, Any]:
        return {"purged": _journal().purge(client)}

    @r.post("/journal/purge", tags=["journal"], summary="Purge (POST form)")
    def journal_purge_post(client: str | None = None) -> dict[str, Any]:
        return {"purged": _journal().purge(client)}

    # -- clients and quota ----------------------------------------------------------------
    def _levels() -> Any:
        return sandbox.levels

    async def _client_json(record: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client_id": record.client_id,
            "revoked": record.revoked,
            "quota_per_minute": record.quota_per_minute,
            "modalities": sorted(record.modalities),
            "scopes": sorted(record.scopes),
            "sirets": sorted(record.sirets),
            "motifs": {m: sorted(str(t) for t in ts) for m, ts in record.motifs.items()},
            "cert_not_after": record.cert_not_after,
        }
        out["quota"] = await sandbox.levels.quota_state(record.client_id)
        faults = sandbox.faults.get(record.client_id)
        out["fault"] = faults.to_json() if faults else None
        return out

    @r.get("/clients", tags=["clients"], summary="Clients with their quota state")
    async def clients() -> dict[str, Any]:
        records = list(registry)
        return {"clients": [await _client_json(rec) for rec in records]}

    def _record(client_id: str) -> Any:
        record = registry.get(client_id)
        if record is None:
            raise HTTPException(404, f"unknown client {client_id!r}")
        return record

    @r.get("/clients/{client_id}", tags=["clients"])
    async def client(client_id: str) -> dict[str, Any]:
        return await _client_json(_record(client_id))

    @r.post("/clients/{client_id}/quota/reset", tags=["clients"], summary="Reset the quota")
    async def quota_reset(client_id: str) -> dict[str, Any]:
        _record(client_id)
        levels = _levels()
        await levels.reset_quota(client_id)
        return await levels.quota_state(client_id)

    @r.post("/clients/{client_id}/quota/fill", tags=["clients"], summary="Count calls now")
    async def quota_fill(client_id: str, body: QuotaFillIn | None = None) -> dict[str, Any]:
        _record(client_id)
        levels = _levels()
        quota = levels.quota_for(client_id)
        for _ in range((body.calls if body and body.calls else None) or quota):
            decision = await levels.quota.hit(client_id, quota)
            if not decision.allowed:
                break
        return await levels.quota_state(client_id)

    # -- clock ----------------------------------------------------------------------------
    def _clock() -> SystemClock:
        clock = sandbox.clock
        if not isinstance(clock, SystemClock):
            raise HTTPException(409, "this sandbox's clock cannot be driven")
        return clock

    @r.get("/clock", tags=["clock"])
    def clock_now() -> dict[str, Any]:
        return _clock_json(sandbox)

    @r.post("/clock/freeze", tags=["clock"])
    def clock_freeze(body: FreezeIn | None = None) -> dict[str, Any]:
        at = body.at if body else None
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        _clock().freeze(at)
        return _clock_json(sandbox)

    @r.post("/clock/unfreeze", tags=["clock"])
    def clock_unfreeze() -> dict[str, Any]:
        _clock().unfreeze()
        return _clock_json(sandbox)

    @r.post("/clock/advance", tags=["clock"])
    def clock_advance(body: AdvanceIn) -> dict[str, Any]:
        if body.seconds is None and not body.duration:
            raise HTTPException(422, "give seconds or duration")
        try:
            seconds = (
                body.seconds if body.seconds is not None else parse_duration(body.duration or "")
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        _clock().advance(timedelta(seconds=seconds or 0))
        return _clock_json(sandbox)

    @r.post("/clock/reset", tags=["clock"], summary="Back to wall-clock time, not frozen")
    def clock_reset() -> dict[str, Any]:
        _reset_clock(_clock())
        return _clock_json(sandbox)

    # -- maintenance and latency ----------------------------------------------------------
    @r.get("/maintenance", tags=["service"])
    def maintenance() -> dict[str, Any]:
        return _levels().service_state()

    @r.post("/maintenance", tags=["service"], summary="down | up | schedule")
    def maintenance_set(body: MaintenanceIn) -> dict[str, Any]:
        levels = _levels()
        {"down": levels.force_down, "up": levels.force_up, "schedule": levels.release}[body.state]()
        return levels.service_state()

    @r.get("/latency", tags=["service"])
    def latency() -> dict[str, Any]:
        levels = _levels()
        return {"latency": levels.latency.describe(), "request_timeout": levels.request_timeout}

    @r.put("/latency", tags=["service"], summary="Replace the emulated latency ('' = none)")
    def latency_set(body: LatencyIn) -> dict[str, Any]:
        levels = _levels()
        try:
            levels.latency = Latency.parse(body.spec, seed=getattr(settings, "seed", 0))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"latency": levels.latency.describe(), "request_timeout": levels.request_timeout}

    # -- faults ---------------------------------------------------------------------------
    @r.get("/faults", tags=["faults"])
    def faults() -> dict[str, Any]:
        return {cid: f.to_json() for cid, f in sandbox.faults.all().items()}

    @r.get("/faults/{client_id}", tags=["faults"])
    def fault(client_id: str) -> dict[str, Any]:
        f = sandbox.faults.get(client_id)
        if f is None:
            raise HTTPException(404, f"no fault for {client_id!r}")
        return f.to_json()

    @r.put("/faults/{client_id}", tags=["faults"], summary="Set a client's faults")
    def fault_set(client_id: str, body: FaultIn) -> dict[str, Any]:
        try:
            f = Fault(
                latency_ms=body.latency_ms,
                error_rate=body.error_rate,
                error_code=body.error_code,
                remaining=body.remaining,
                resources=tuple(body.resources),
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return sandbox.faults.set(client_id, f).to_json()

    @r.delete("/faults/{client_id}", tags=["faults"])
    def fault_clear(client_id: str) -> dict[str, Any]:
        return {"cleared": sandbox.faults.clear(client_id)}

    @r.delete("/faults", tags=["faults"])
    def faults_clear() -> dict[str, Any]:
        return {"cleared": sandbox.faults.clear_all()}

    # -- reset ----------------------------------------------------------------------------
    @r.post("/reset", tags=["service"], summary="Faults off, schedule back, clock back")
    async def reset_all(client_id: str | None = None) -> dict[str, Any]:
        sandbox.faults.clear_all()
        sandbox.levels.release()
        if client_id:
            await sandbox.levels.reset_quota(client_id)
        if isinstance(sandbox.clock, SystemClock):
            _reset_clock(sandbox.clock)
        return {"reset": True, "clock": _clock_json(sandbox)}

    # -- dataset --------------------------------------------------------------------------
    @r.get("/dataset", tags=["dataset"], summary="Seed, size, digest, personas and their requests")
    def dataset(client_id: str | None = None) -> dict[str, Any]:
        store = sandbox.store
        _, siret, motif = _demo_requester(registry, client_id)
        return {
            "seed": getattr(store, "seed", None),
            "size": getattr(store, "size", None),
            "digest": store.digest(),
            "counts": store.counts(),
            "personas": personas(store, siret=siret, motif=motif, today=_today(sandbox)),
        }

    # -- explain --------------------------------------------------------------------------
    @r.get("/explain/{client_id}", tags=["explain"], summary="The client's last refused call")
    def explain_client(client_id: str) -> dict[str, Any]:
        row = sandbox.journal.last_rejected(client_id)
        feedback = sandbox.feedback
        seen = feedback.find(client_id, row.get("request_id") if row else None)
        if seen is None and row is None:
            seen = feedback.last(client_id)
        if row is None and seen is None:
            raise HTTPException(404, f"no refused call of {client_id!r} on record")
        code = (seen or {}).get("code") or (row or {}).get("error_code")
        message = (seen or {}).get("message")
        out = {
            "client_id": client_id,
            "call": {
                "ts": (row or seen or {}).get("ts"),
                "method": (row or seen or {}).get("method"),
                "path": (row or seen or {}).get("path"),
                "status": (row or seen or {}).get("status"),
                "correlation_id": (row or seen or {}).get("correlation_id"),
                "request_id": (row or seen or {}).get("request_id"),
                "search_type": (row or {}).get("search_type"),
            },
            **explain(code, message),
        }
        if seen and seen.get("scenario"):
            out["scenario"] = seen["scenario"]
        if seen and seen.get("fault"):
            out["fault"] = True
            out["fr"] = "Erreur injectée par une panne configurée (admin /faults). " + out["fr"]
            out["en"] = "Error injected by a configured fault (admin /faults). " + out["en"]
        return out

    return r


def _reset_clock(clock: SystemClock) -> None:
    if clock.frozen:
        clock.unfreeze()
    drift = clock.now() - datetime.now(UTC)
    clock.advance(-drift)


# --- personas with their requests ------------------------------------------------------------


def _pp_requests(p: Any, siret: str, motif: str, today: str) -> dict[str, Any]:
    reqs: dict[str, Any] = {}
    if p.numero_spi:
        reqs["spi"] = magic.envelope(siret, motif, today, {"numeroSPI": p.numero_spi})
    etat = {
        "nom": p.nom_naissance,
        "prenoms": p.prenoms,
        "sexe": "",
        "anneeNaissance": p.annee_naissance,
        "moisNaissance": p.mois_naissance,
        "jourNaissance": p.jour_naissance,
    }
    lieu = {
        "codePaysNaissance": p.code_pays_naissance,
        "codeDepartementNaissance": p.code_departement_naissance,
        "codeCommuneNaissance": p.code_commune_naissance,
    }
    reqs["perPhy"] = magic.envelope(siret, motif, today, {"etatCivil": etat, "lieuNaissance": lieu})
    return reqs


def personas(store: Any, *, siret: str, motif: str, today: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in store.personnes_physiques():
        if not p.persona:
            continue
        comptes = [c.iban for c, _ in store.comptes_of_personne_physique(p)]
        reqs = _pp_requests(p, siret, motif, today)
        if comptes:
            reqs["numCpte"] = magic.envelope(
                siret, motif, today, {"iban": comptes[0], "verificationCompte": "0"}
            )
        out.append(
            {
                "id": p.id,
                "file": p.persona,
                "kind": "personne_physique",
                "name": f"{p.nom_naissance} {p.prenoms}",
                "spi": p.numero_spi or None,
                "ibans": comptes,
                "requests": reqs,
            }
        )
    for m in store.personnes_morales():
        if not m.persona:
            continue
        comptes = [c.iban for c, _ in store.comptes_of_personne_morale(m)]
        reqs = {
            "perPro": magic.envelope(
                siret,
                motif,
                today,
                {
                    "designation": {
                        "raisonSociale": m.raison_sociale,
                        "sigle": "",
                        "enseigne": "",
                        "codeCategorieJuridique": "",
                    }
                },
            )
        }
        if m.siren or m.siret:
            ident = {"siret": "", "siren": m.siren} if m.siren else {"siret": m.siret, "siren": ""}
            reqs["siretSiren"] = magic.envelope(siret, motif, today, ident)
        if comptes:
            reqs["numCpte"] = magic.envelope(
                siret, motif, today, {"iban": comptes[0], "verificationCompte": "0"}
            )
        out.append(
            {
                "id": m.id,
                "file": m.persona,
                "kind": "personne_morale",
                "name": m.raison_sociale,
                "siren": m.siren or None,
                "siret": m.siret or None,
                "ibans": comptes,
                "requests": reqs,
            }
        )
    return out
