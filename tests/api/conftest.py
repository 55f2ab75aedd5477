"""Resource tests go through the real gateway: one enrolled client per caller profile
of `helpers.CALLERS`, chosen per request with the `X-Test-Caller` header (stripped before
sending). Falls back on nothing: the gateway is part of `create_app`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from ficoba_sandbox.app import create_app
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.settings import Settings
from gateway_support import make_client_for

from .helpers import CALLERS, FixedClock, replace_invalid_sirets


@pytest.fixture(scope="session")
def store() -> Store:
    personas = default_personas_dir()
    assert personas is not None
    return build_store(42, 300, [personas])


@pytest.fixture(scope="session")
def backend_app(store: Store, settings: Settings) -> FastAPI:
    s = settings.model_copy(update={"max_body_bytes": 16_384})
    return create_app(s, clock=FixedClock(), store=store)


class Api:
    """`api.post(path, json=..., headers={"X-Test-Caller": "verif", ...})`."""

    def __init__(self, clients: dict[str, httpx.Client]) -> None:
        self.clients = clients

    def _pick(self, kw: dict[str, Any]) -> httpx.Client:
        hdrs = dict(kw.get("headers") or {})
        name = hdrs.pop("X-Test-Caller", "full")
        kw["headers"] = hdrs
        return self.clients[name]

    def post(self, url: str, **kw: Any) -> httpx.Response:
        if "json" in kw:
            kw["json"] = replace_invalid_sirets(kw["json"])
        return self._pick(kw).post(url, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self._pick(kw).get(url, **kw)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self._pick(kw).request(method, url, **kw)


@pytest.fixture(scope="session")
def api(backend_app: FastAPI, enrol_client: Callable[..., dict[str, Any]]) -> Iterator[Api]:
    clients = {}
    for name, c in CALLERS.items():
        creds = enrol_client(
            f"backend-{name.replace('_', '-')}",
            modalities=sorted(c.modalities),
            scopes=sorted(c.scopes),
            quota=1_000_000,
            sirets=sorted(c.sirets),
            sirens=sorted(c.sirens),
            motifs={m: sorted(t) for m, t in c.motifs.items()},
            codes_etablissement=sorted(c.codes_etablissement),
        )
        clients[name] = make_client_for(backend_app, creds)
    yield Api(clients)
    for http in clients.values():
        http.close()


@pytest.fixture(autouse=True)
def _wire_fast_path_matches_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer of the resource tests is also serialised by pydantic, and must be identical
    (same keys, same order, same values): `rendering.wire` walks the dataclasses itself."""
    import json

    from ficoba_sandbox.api import reading, rendering

    fast = rendering.wire

    def checked(
        model: Any, result: Any, body: dict[str, Any], memo: Any = None, fragments: bool = False
    ) -> dict[str, Any]:
        out = fast(model, result, body, memo, fragments)
        slow = model.model_validate(result, from_attributes=True).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        expected = {"caracteristiquesDemande": reading.echo(body), **slow}
        plain: Any = out
        if fragments:  # the fragments' dicts back; what orjson refuses, `render` re-wires plain
            try:
                plain = json.loads(orjson.dumps(out))
            except TypeError:
                plain = None
        if plain is not None:
            assert json.dumps(plain, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
        checked.calls += 1  # type: ignore[attr-defined]
        return out

    checked.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(rendering, "wire", checked)


@pytest.fixture(autouse=True)
def _answer_bytes_match_json_response(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer the resources render is byte for byte what Starlette's `JSONResponse.render`
    (json.dumps) gives for the same document."""
    import json

    from fastapi.responses import JSONResponse

    from ficoba_sandbox.api import rendering

    encode, render = rendering.encode, rendering.render

    def checked_encode(document: Any, floats: bool = False) -> bytes:
        out = encode(document, floats)
        assert out == JSONResponse(document).body
        return out

    def checked_render(*args: Any) -> tuple[dict[str, Any], bytes]:
        document, out = render(*args)
        assert out == JSONResponse(json.loads(out)).body  # json's own spelling
        return document, out

    monkeypatch.setattr(rendering, "encode", checked_encode)
    monkeypatch.setattr(rendering, "render", checked_render)
