"""`create_app(settings)`: the sandbox's state (`Sandbox`) and the API listener's application.

The application is FastAPI for what FastAPI does well here, the OpenAPI document and Swagger UI;
every API request goes through one pipeline (api/pipeline.py, docs/architecture.md): the
resources under `/ficoba-api/v2` (gateway path) and `/fcb-masrestit/api/v2` (backend path of the
official spec), and `POST /token`. Nothing lives at module level: `app.sandbox` holds the state,
which the admin plane receives too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ficoba_sandbox import docs_ui
from ficoba_sandbox.api import schemas
from ficoba_sandbox.api.errors import install_error_handlers
from ficoba_sandbox.api.pipeline import Pipeline, Receive, Scope, Send
from ficoba_sandbox.api.resources import PREFIXES, documentation_router
from ficoba_sandbox.api.token import router as token_router
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.contract import ContractVersion
from ficoba_sandbox.recette.server_info import publish_server_info
from ficoba_sandbox.sandbox import Sandbox
from ficoba_sandbox.settings import Settings

DESCRIPTION = """Bac à sable de l'API FICOBA v2 (DGFiP) — fichier des comptes bancaires et assimilés.

Données entièrement fictives. Les ressources sont servies sous `/ficoba-api/v2` (passerelle)
et `/fcb-masrestit/api/v2` (contexte backend de la spécification officielle). Les erreurs ont
toutes la forme `{"erreur": {"code", "message", "horodatage"}}` ; les codes « aucun résultat »
(CAF007, CAF009, CAF011, CAF013, ...) reviennent en HTTP 200 dans `messageInformatif` avec
`nombreReponses` « 000 »."""


class SandboxApp(FastAPI):
    """FastAPI whose HTTP requests all enter the pipeline (which hands the documentation paths
    back to FastAPI); the lifespan stays FastAPI's."""

    sandbox: Sandbox
    pipeline: Pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.pipeline(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def serve_documentation(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, with the request models the resources read by hand."""
        if self.openapi_schema:
            return self.openapi_schema
        spec = get_openapi(
            title=self.title,
            version=self.version,
            description=self.description,
            routes=self.routes,
            servers=[{"url": "/"}],
        )
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in schemas.REQUEST_MODELS:
            js = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
            for name, definition in js.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = js
        self.openapi_schema = versioned(spec, self.sandbox.contract)
        return self.openapi_schema


def versioned(spec: dict[str, Any], contract: ContractVersion) -> dict[str, Any]:
    """The document as the chosen contract version says where versions differ
    (docs/contract-versions.md): its name in `info`, `/etatSante`'s `X-Correlation-ID` required
    or not, the answers' field names."""
    spec["info"]["description"] += (
        f"\n\nVersion du contrat suivie : **{contract.name}** (`--contract-version`), "
        f"document officiel `docs/reference/{contract.document}`."
    )
    for path, item in spec["paths"].items():
        if path.endswith("/etatSante"):
            for operation in item.values():
                operation["parameters"] = [
                    {**p, "required": contract.health_requires_correlation_id}
                    if p.get("name") == "X-Correlation-ID"
                    else p
                    for p in operation.get("parameters", [])
                ]
    for schema in spec.get("components", {}).get("schemas", {}).values():
        properties = schema.get("properties")
        if properties and any(name in properties for name in contract.renamed_fields):
            schema["properties"] = contract.rename(properties)
    return spec


def create_app(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None
) -> SandboxApp:
    sandbox = Sandbox.open(settings, clock=clock, store=store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await sandbox.aclose()

    app = SandboxApp(
        title="FICOBA_API",
        version="v2",
        description=DESCRIPTION,
        # the pages and their assets are served by docs_ui, with no CDN
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.sandbox = sandbox
    app.pipeline = Pipeline(sandbox, app.serve_documentation)
    install_error_handlers(app, sandbox.clock)
    docs_ui.install(app)
    app.include_router(token_router)
    for prefix, suffix in zip(PREFIXES, ("", "_backend"), strict=True):
        app.include_router(documentation_router(suffix), prefix=prefix)
    publish_server_info(
        settings.state_dir,
        settings.seed,
        settings.size,
        settings.default_quota,
        sandbox.store,
        events_file=sandbox.events.path,
    )
    return app
