"""Every response of every resource (both prefixes) validates against the official OpenAPI
response schema (`docs/reference/openapi-ficoba-v2.json`, `$ref`s resolved)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

from .helpers import PREFIXES, headers
from .test_codes import NO_RESULT

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "reference" / "openapi-ficoba-v2.json"
SPEC = json.loads(SPEC_PATH.read_text())


def validator(path: str, status: str) -> Draft4Validator:
    assert SPEC is not None
    method = "get" if path == "/etatSante" else "post"
    schema = SPEC["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"
    ]
    registry = Registry().with_resource("urn:spec", DRAFT4.create_resource(SPEC))  # type: ignore[arg-type]
    ref = schema["$ref"].replace("#/", "urn:spec#/")
    return Draft4Validator({"$ref": ref}, registry=registry)


CASES = [(res, name, body) for res, exs in REQUEST_EXAMPLES.items() for name, body in exs.items()]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("resource", "name", "body"), CASES, ids=[f"{r}-{n}" for r, n, _ in CASES])
def test_success_responses_conform(api, prefix, resource, name, body) -> None:
    r = api.post(f"{prefix}/comptes/{resource}", json=body, headers=headers())
    assert r.status_code == 200, r.text
    validator(f"/comptes/{resource}", "200").validate(r.json())


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("resource", "body", "code"), [e[1:] for e in NO_RESULT], ids=[e[0] for e in NO_RESULT]
)
def test_no_result_responses_conform(api, prefix, resource, body, code) -> None:
    r = api.post(f"{prefix}/comptes/{resource}", json=body, headers=headers())
    validator(f"/comptes/{resource}", "200").validate(r.json())


@pytest.mark.parametrize("caller", ["verif", "full"])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_scope_filtered_responses_conform(api, prefix, caller) -> None:
    for resource, exs in REQUEST_EXAMPLES.items():
        for body in exs.values():
            r = api.post(
                f"{prefix}/comptes/{resource}",
                json=body,
                headers=headers(**{"X-Test-Caller": caller}),
            )
            assert r.status_code == 200, r.text
            validator(f"/comptes/{resource}", "200").validate(r.json())


@pytest.mark.parametrize("prefix", PREFIXES)
def test_etat_sante_conforms(api, backend_app, prefix) -> None:
    r = api.get(f"{prefix}/etatSante", headers=headers())
    assert r.status_code == 200
    assert r.json() == {"descriptif": "L'API est opérationnelle"}
    validator("/etatSante", "200").validate(r.json())


def test_validator_can_fail() -> None:
    bad = copy.deepcopy(
        json.loads((Path(__file__).parent / "protocole" / "numCpte_compte.json").read_text())
    )
    bad["reponses"]["comptes"][0]["caracteristiqueCompte"]["nature"]["codeNature"] = "101"
    with pytest.raises(Exception, match="is not of type"):
        validator("/comptes/numCpte", "200").validate(bad)
