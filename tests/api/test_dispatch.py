"""api/dispatch.py: resource POSTs skip FastAPI's routing, with the same answers; the router
still decides which route wins; the answer's bytes do not depend on the JSON encoder."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ficoba_sandbox.api import dispatch
from ficoba_sandbox.api.resources import EXEMPLES, DocumentResponse

from .helpers import PREFIXES, headers

RESOURCES = ("numCpte", "siretSiren", "spi", "perPhy", "perPro", "verifIban", "multiDet")


def _layer(app: FastAPI) -> dispatch.ResourceDispatch:
    layer: Any = app.middleware_stack or app.build_middleware_stack()
    while not isinstance(layer, dispatch.ResourceDispatch):
        layer = layer.app
    return layer


def test_every_resource_post_is_dispatched(backend_app: FastAPI) -> None:
    layer = _layer(backend_app)
    layer._refresh()
    assert set(layer._table) == {f"{p}/comptes/{r}" for p in PREFIXES for r in RESOURCES}


def _answers(api: Any, monkeypatch: pytest.MonkeyPatch, direct: bool) -> list[tuple]:
    if not direct:
        monkeypatch.setattr(dispatch.ResourceDispatch, "_refresh", lambda self: None)
        monkeypatch.setattr(dispatch.ResourceDispatch, "_table", {}, raising=False)
    out = []
    bodies: list[tuple[str, Any]] = [
        ("numCpte", EXEMPLES["numCpte"]["compte"]),
        ("numCpte", {**EXEMPLES["numCpte"]["compte"], "motif": "x"}),
        ("spi", b"{"),
        ("perPhy", EXEMPLES["perPhy"]["intervalle"]),
        ("multiDet", EXEMPLES["multiDet"]["siren"]),
    ]
    for prefix in PREFIXES:
        for resource, body in bodies:
            kw: dict[str, Any] = {"headers": headers()}
            if isinstance(body, bytes):
                kw["content"] = body
            else:
                kw["json"] = copy.deepcopy(body)
            r = api.post(f"{prefix}/comptes/{resource}", **kw)
            doc = r.json()
            doc.pop("referenceDemande", None)  # a new reference per call
            hdrs = sorted(
                (k, v)
                for k, v in r.headers.items()
                if k not in ("x-request-id", "x-correlation-id", "ratelimit", "content-length")
            )
            out.append((r.status_code, hdrs, doc))
    return out


def test_same_answers_through_the_router(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    direct = _answers(api, monkeypatch, True)
    routed = _answers(api, monkeypatch, False)
    assert direct == routed
    assert {a[0] for a in direct} == {200, 400}


def test_a_route_put_in_front_wins(backend_app: FastAPI) -> None:
    layer = _layer(backend_app)
    path = f"{PREFIXES[0]}/comptes/numCpte"

    async def other() -> dict[str, str]:
        return {}

    backend_app.post(path)(other)
    routes = backend_app.router.routes
    routes.insert(0, routes.pop())  # now the first route matching the path
    try:
        layer._refresh()
        assert path not in layer._table
        assert f"{PREFIXES[1]}/comptes/numCpte" in layer._table
    finally:
        routes.pop(0)
        layer._refresh()
    assert path in layer._table


@pytest.mark.parametrize(
    "doc",
    [
        {"a": 'é\u2028\x00\x1f\x7f"\\/', "b": [1, -2, 2**63 - 1, True, None, {}]},
        {"big": 2**64, "nested": [[[]]]},  # beyond 64 bits: json.dumps
        {"deep": json.loads("[" * 300 + "]" * 300)},
        {"k\U0001f600": "\U0001f600"},
    ],
)
def test_document_bytes_are_json_response_bytes(doc: dict[str, Any]) -> None:
    assert DocumentResponse(doc).body == JSONResponse(doc).body


def test_a_lone_surrogate_fails_the_same_way() -> None:
    with pytest.raises(UnicodeEncodeError):
        JSONResponse({"a": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        DocumentResponse({"a": "\ud800"})


def test_a_float_in_the_request_keeps_pythons_encoder(api: Any) -> None:
    body = copy.deepcopy(EXEMPLES["numCpte"]["compte"])
    body["criteresRecherche"]["extra"] = [1e16, 0.1, 1.5e-7]
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert b'"extra":[1e+16,0.1,1.5e-07]' in r.content


def test_shared_parts_go_out_as_fragments_with_jsons_bytes(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer whose accounts are encoded once (`orjson.Fragment`s, FragmentResponse) has the
    bytes of the plain document rendered by JSONResponse; a second call reuses the fragments."""
    from ficoba_sandbox.api import resources

    seen: list[Any] = []
    render = resources.FragmentResponse.render

    def spy(self: Any, content: Any) -> bytes:
        seen.append(content)
        return render(self, content)

    monkeypatch.setattr(resources.FragmentResponse, "render", spy)
    body = copy.deepcopy(EXEMPLES["numCpte"]["compte"])
    first = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    again = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert first.status_code == again.status_code == 200
    comptes = [doc["reponses"]["comptes"][0] for doc in seen]
    assert len(comptes) == 2 and all(isinstance(c, orjson.Fragment) for c in comptes)
    assert comptes[0] is comptes[1]  # encoded once
    plain = json.loads(first.content)
    assert first.content == JSONResponse(plain).body


def test_what_orjson_refuses_in_the_echo_goes_through_json(api: Any) -> None:
    """An integer beyond 64 bits in the criteria (echoed, never read): orjson refuses the
    document with fragments, the plain one is rendered by json, and the answer is a 200."""
    body = copy.deepcopy(EXEMPLES["numCpte"]["compte"])
    body["criteresRecherche"]["extra"] = 2**70
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert f'"extra":{2**70}'.encode() in r.content
    assert r.content == JSONResponse(json.loads(r.content)).body


def test_a_fragment_orjson_refuses_falls_back_to_the_plain_answer(
    api: Any, backend_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If encoding a shared part fails (orjson refuses it), the answer is the plain document,
    a 200 with JSONResponse's bytes, not a CAT004."""
    from ficoba_sandbox.api import resources

    class Refusing:
        OPT_PASSTHROUGH_SUBCLASS = orjson.OPT_PASSTHROUGH_SUBCLASS
        Fragment = orjson.Fragment

        @staticmethod
        def dumps(obj: Any, option: int | None = None) -> bytes:
            if option is None:  # how `_dump` encodes a shared part
                raise TypeError("refused")
            return orjson.dumps(obj, option=option)

    monkeypatch.setattr(resources, "_orjson", Refusing)
    monkeypatch.setattr(backend_app.state, "dump_memo", resources.DumpMemo())  # nothing encoded yet
    body = copy.deepcopy(EXEMPLES["numCpte"]["compte"])
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert r.content == JSONResponse(json.loads(r.content)).body
    assert json.loads(r.content)["reponses"]["comptes"]
