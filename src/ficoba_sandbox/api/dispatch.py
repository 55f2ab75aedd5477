"""The resources' POSTs served without FastAPI's routing machinery (a performance layer).

`ResourceDispatch` is the innermost middleware (just outside Starlette's `ExceptionMiddleware`
and the router). A `POST` whose path is exactly one of the resource paths (`/comptes/<name>`
under both prefixes) goes straight to the route's endpoint, as FastAPI would call it: one
`Request(scope, receive, send)`, the endpoint, then the response it returned. Everything else
(other methods, other paths, a trailing slash, a `root_path`, OpenTelemetry request telemetry, a
body limit set on the app) goes through the router unchanged.

Why it is the same answer: the resource endpoints take only the `Request` (no dependency, no
body parameter, `response_model=None`) and never raise (`resources.traiter` turns every
exception into the API's error document), so the router would call them exactly like this; and
the routes they are looked up from are the ones the router would pick (checked at the first call,
and again whenever the app's route list changes: the first route that matches the path for a POST
must be the resource router's). `/openapi.json` is untouched: the routes are still FastAPI's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import Match

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: set by Starlette's body limit middleware when the app (or a mount) has a body limit
_BODY_LIMIT_KEY = "starlette.max_body_size"
_TELEMETRY_KEY = "fastapi.telemetry"

#: endpoints that may be called directly (registered by `resources.build_router`)
FAST_ENDPOINTS: set[Callable[..., Any]] = set()


class ResourceDispatch:
    def __init__(self, app: ASGIApp, owner: Any, mounts: Sequence[tuple[str, Any]]) -> None:
        self.app = app
        self.owner = owner  # the FastAPI app (its router decides which route wins)
        self.mounts = mounts  # (prefix, APIRouter) as app.py includes them
        self._table: dict[str, tuple[APIRoute, Callable[..., Any]]] = {}
        self._routes_seen: tuple[int, int] | None = None

    def _candidates(self) -> dict[str, tuple[APIRoute, Callable[..., Any]]]:
        out: dict[str, tuple[APIRoute, Callable[..., Any]]] = {}
        for prefix, router in self.mounts:
            for route in router.routes:
                if (
                    isinstance(route, APIRoute)
                    and route.endpoint in FAST_ENDPOINTS
                    and route.methods == {"POST"}
                    and "{" not in route.path
                ):
                    out.setdefault(prefix + route.path, (route, route.endpoint))
        return out

    def _refresh(self) -> None:
        routes = self.owner.router.routes
        seen = (id(routes), len(routes))
        if seen == self._routes_seen:
            return
        table = {}
        for path, (route, endpoint) in self._candidates().items():
            chosen = self._route_for(path, route)
            if chosen is not None:
                table[path] = (chosen, endpoint)
        self._table = table
        self._routes_seen = seen

    def _route_for(self, path: str, route: APIRoute) -> APIRoute | None:
        """The route the app's router hands a POST to `path` to, if it is `route` (or, with a
        FastAPI that copies included routes, its copy); None when another route wins."""
        probe: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": path,
            "root_path": "",
            "headers": [],
            "query_string": b"",
        }
        for candidate in self.owner.router.routes:
            if candidate.matches(dict(probe))[0] != Match.FULL:
                continue
            included = getattr(candidate, "original_router", None)
            if included is None:  # a plain route (or a copy of ours) won
                same = (
                    isinstance(candidate, APIRoute)
                    and candidate.endpoint is route.endpoint
                    and candidate.path == path
                )
                return candidate if same else None
            # an included router won: it must be ours for this prefix, and inside it `route`
            # must be the first route matching the rest of the path
            for prefix, router in self.mounts:
                if included is not router or not path.startswith(prefix + "/"):
                    continue
                inner = dict(probe, path=path[len(prefix) :])
                for r in router.routes:
                    if r.matches(dict(inner))[0] == Match.FULL:
                        return route if r is route else None
            return None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not scope.get("root_path")
            and _TELEMETRY_KEY not in scope
            and _BODY_LIMIT_KEY not in scope
        ):
            self._refresh()
            target = self._table.get(scope["path"])
            if target is not None:
                route, endpoint = target
                # what the router's match would have put in the scope
                scope["endpoint"] = endpoint
                scope["path_params"] = {}
                scope["route"] = route
                if "router" not in scope:
                    scope["router"] = self.owner.router
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_resource_dispatch(app: Any, mounts: Sequence[tuple[str, Any]]) -> None:
    """Add the layer; call it before any other `add_middleware` so that it is the innermost."""
    app.add_middleware(ResourceDispatch, owner=app, mounts=mounts)
