"""Fuzz the served OpenAPI with schemathesis (bounded): no 5xx, and every non-200 response is
in the error format `{"erreur": {code, message, horodatage}}`; every 200 conforms to the
served schema. Requests go through the real gateway with an authenticated client."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

HORODATAGE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _served_validator(case) -> Draft202012Validator:
    spec = case.operation.schema.raw_schema
    op = spec["paths"][case.operation.path][case.method.lower()]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:served", DRAFT202012.create_resource(spec))
    ref = {"$ref": schema["$ref"].replace("#/", "urn:served#/")}
    return Draft202012Validator(ref, registry=registry)


def _check(case, api) -> None:
    kw = case.as_transport_kwargs(base_url="https://localhost")
    method = kw.pop("method")
    url = kw.pop("url")
    kw.pop("cookies", None)
    headers = {
        k: v for k, v in (kw.pop("headers", None) or {}).items() if k.lower() != "authorization"
    }
    send = {"headers": headers}
    if "json" in kw:
        send["json"] = kw["json"]
    elif kw.get("content") is not None or kw.get("data") is not None:
        send["content"] = kw.get("content") or kw.get("data")
    if kw.get("params"):
        send["params"] = kw["params"]
    r = api.request(method, url, **send)
    assert r.status_code < 500 or r.status_code == 503, r.text
    body = r.json()
    if r.status_code != 200:
        assert set(body) == {"erreur"}, r.text
        assert set(body["erreur"]) == {"code", "message", "horodatage"}, r.text
        assert HORODATAGE.match(body["erreur"]["horodatage"])
    else:
        _served_validator(case).validate(body)


def test_fuzz_served_openapi(api, backend_app) -> None:
    served = schemathesis.openapi.from_dict(backend_app.openapi())
    operations = [r.ok() for r in served.get_all_operations() if "/v2/" in r.ok().path]
    assert len(operations) == 16  # 8 operations x 2 prefixes
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case) -> None:
            _check(case, api)

        run()
