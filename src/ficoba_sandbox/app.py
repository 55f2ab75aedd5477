"""`create_app(settings)`: builds all state (store, backend, service state) and the FastAPI app.

No module-level app and no globals: everything lives on `app.state`:

- `settings`  the Settings
- `clock`     the one injectable Clock (domain.clock)
- `store`     the data layer's Store (or any backend.depot.Depot)
- `backend`   backend.service.Backend (references, rules, restitution)
- `service`   backend.service.EtatService: set `.disponible = False` to answer 503 CAT001

The resource router is mounted under both `/ficoba-api/v2` (gateway path) and
`/fcb-masrestit/api/v2` (backend path, official spec). The gateway is expected to set
`request.state.caller` (domain.access.Caller) before the resources run.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ficoba_sandbox.api import schemas
from ficoba_sandbox.api.errors import install_error_handlers
from ficoba_sandbox.api.gateway import install_gateway
from ficoba_sandbox.api.resources import DumpMemo, build_router
from ficoba_sandbox.api.service_levels import install_service_levels
from ficoba_sandbox.backend.service import Backend, EtatService
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.clock import Clock, SystemClock
from ficoba_sandbox.settings import Settings

PREFIXES = ("/ficoba-api/v2", "/fcb-masrestit/api/v2")

DESCRIPTION = """Bac à sable de l'API FICOBA v2 (DGFiP) — fichier des comptes bancaires et assimilés.

Données entièrement fictives. Les ressources sont servies sous `/ficoba-api/v2` (passerelle)
et `/fcb-masrestit/api/v2` (contexte backend de la spécification officielle). Les erreurs ont
toutes la forme `{"erreur": {"code", "message", "horodatage"}}` ; les codes « aucun résultat »
(CAF007, CAF009, CAF011, CAF013, ...) reviennent en HTTP 200 dans `messageInformatif` avec
`nombreReponses` « 000 »."""


def _default_store(settings: Settings) -> Store:
    personas = [d for d in (default_personas_dir(), settings.personas_dir) if d is not None]
    return build_store(settings.seed, settings.size, personas, settings.state_dir / "cache")


def create_app(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None
) -> FastAPI:
    app = FastAPI(
        title="FICOBA_API",
        version="v2",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.store = store if store is not None else _default_store(settings)
    app.state.backend = Backend(app.state.store, app.state.clock)
    app.state.dump_memo = DumpMemo()  # serialised shared answer fragments (api/resources.py)
    app.state.service = EtatService()
    # Audit journal (issue 6): wraps the whole stack, so it stays outermost whatever is added
    # below; `app.state.journal` (D/journal.sqlite3) is flushed and closed at lifespan shutdown.
    from ficoba_sandbox.api.journal_middleware import install_journal
    from ficoba_sandbox.journal import Journal

    install_journal(app, Journal.from_settings(settings, app.state.clock))

    install_error_handlers(app)
    # The resource routers, included below (after the token route). Their POSTs are served by
    # an innermost dispatch layer that skips FastAPI's routing (api/dispatch.py); added first,
    # so it runs last, right before the router.
    from ficoba_sandbox.api.dispatch import install_resource_dispatch

    mounts = [
        (prefix, build_router(suffix))
        for prefix, suffix in zip(PREFIXES, ("", "_backend"), strict=True)
    ]
    install_resource_dispatch(app, mounts)
    # QA hook (issue 6): magic values, X-Sandbox-Scenario, per-client faults (app.state.faults),
    # refusal feedback (app.state.feedback). Added before the service levels: runs innermost.
    from ficoba_sandbox.api.scenario import install_scenarios

    install_scenarios(app, seed=settings.seed)
    # Quota (429 900804), service hours (drives app.state.service), latency (408): a middleware
    # that must run after authentication, so the gateway middleware has to be added after it.
    install_service_levels(app, settings)
    # Recette drills (issue 8): after authentication, before the service levels.
    from ficoba_sandbox.recette.drills import install_recette

    install_recette(app, settings)
    # Gateway (issue 4): correlation id, token, certificate binding, IP -> request.state.caller,
    # and POST /token. Added after the service levels so that it runs before them.
    install_gateway(app, settings)
    for prefix, router in mounts:
        app.include_router(router, prefix=prefix)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            servers=[{"url": "/"}],
        )
        composants = spec.setdefault("components", {}).setdefault("schemas", {})
        for modele in schemas.REQUEST_MODELS:
            js = modele.model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            for nom, defn in js.pop("$defs", {}).items():
                composants.setdefault(nom, defn)
            composants[modele.__name__] = js
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
    return app
