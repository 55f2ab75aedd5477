"""api/rendering.py: an answer's bytes are those Starlette's `JSONResponse` would send, whatever
encoder made them (orjson, shared parts encoded once, Python's json for floats and what orjson
refuses)."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest
from fastapi.responses import JSONResponse

from ficoba_sandbox.api import rendering
from ficoba_sandbox.app import SandboxApp
from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

from .helpers import PREFIXES, headers


@pytest.mark.parametrize(
    "doc",
    [
        {"a": 'é\u2028\x00\x1f\x7f"\\/', "b": [1, -2, 2**63 - 1, True, None, {}]},
        {"big": 2**64, "nested": [[[]]]},  # beyond 64 bits: json.dumps
        {"deep": json.loads("[" * 300 + "]" * 300)},
        {"k\U0001f600": "\U0001f600"},
        {"float": 1e16},
    ],
)
def test_document_bytes_are_json_response_bytes(doc: dict[str, Any]) -> None:
    floats = "float" in doc
    assert rendering.encode(doc, floats) == JSONResponse(doc).body


def test_a_lone_surrogate_fails_the_same_way() -> None:
    with pytest.raises(UnicodeEncodeError):
        JSONResponse({"a": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        rendering.encode({"a": "\ud800"})


def test_a_float_in_the_request_keeps_pythons_encoder(api: Any) -> None:
    body = copy.deepcopy(REQUEST_EXAMPLES["numCpte"]["compte"])
    body["criteresRecherche"]["extra"] = [1e16, 0.1, 1.5e-7]
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert b'"extra":[1e+16,0.1,1.5e-07]' in r.content


def test_shared_parts_are_encoded_once(api: Any, backend_app: SandboxApp) -> None:
    """An answer's accounts are encoded once (`orjson.Fragment`s kept in the pipeline's memo) and
    copied into the next answers; the bytes are those of the plain document."""
    memo = backend_app.pipeline.memo
    body = copy.deepcopy(REQUEST_EXAMPLES["numCpte"]["compte"])
    first = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    fragments = {key: hit[2] for key, hit in memo.entries.items() if hit[2] is not None}
    again = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert first.status_code == again.status_code == 200
    assert fragments and all(isinstance(f, orjson.Fragment) for f in fragments.values())
    assert all(memo.entries[key][2] is f for key, f in fragments.items())  # reused, not re-encoded
    assert first.content == JSONResponse(json.loads(first.content)).body
    assert again.content.replace(again.json()["referenceDemande"].encode(), b"") == (
        first.content.replace(first.json()["referenceDemande"].encode(), b"")
    )


def test_what_orjson_refuses_in_the_echo_goes_through_json(api: Any) -> None:
    """An integer beyond 64 bits in the criteria (echoed, never read): orjson refuses the
    document with fragments, the plain one is rendered by json, and the answer is a 200."""
    body = copy.deepcopy(REQUEST_EXAMPLES["numCpte"]["compte"])
    body["criteresRecherche"]["extra"] = 2**70
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert f'"extra":{2**70}'.encode() in r.content
    assert r.content == JSONResponse(json.loads(r.content)).body


def test_a_fragment_orjson_refuses_falls_back_to_the_plain_answer(
    api: Any, backend_app: SandboxApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If encoding a shared part fails (orjson refuses it), the answer is the plain document,
    a 200 with JSONResponse's bytes, not a CAT004."""

    class Refusing:
        OPT_PASSTHROUGH_SUBCLASS = orjson.OPT_PASSTHROUGH_SUBCLASS
        Fragment = orjson.Fragment

        @staticmethod
        def dumps(obj: Any, option: int | None = None) -> bytes:
            if option is None:  # how `_dump` encodes a shared part
                raise TypeError("refused")
            return orjson.dumps(obj, option=option)

    monkeypatch.setattr(rendering, "orjson", Refusing)
    monkeypatch.setattr(backend_app.pipeline, "memo", rendering.DumpMemo())  # nothing encoded yet
    body = copy.deepcopy(REQUEST_EXAMPLES["numCpte"]["compte"])
    r = api.post(f"{PREFIXES[0]}/comptes/numCpte", json=body, headers=headers())
    assert r.status_code == 200
    assert r.content == JSONResponse(json.loads(r.content)).body
