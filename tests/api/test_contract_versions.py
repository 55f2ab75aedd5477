"""Contract versions side by side (docs/contract-versions.md): requests written as each published
OpenAPI says, sent to a real sandbox started with that version (`contract_version`), answered as
the version says and validated against that version's official document; the default sandbox
answering older requests as the parity table says; `ficoba-sandbox parity` between two sandboxes
differing only by version finds exactly the differences the versions introduce."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from ficoba_sandbox.cli import main
from ficoba_sandbox.cli.serve import demo_search
from ficoba_sandbox.domain.contract import NEWEST, VERSIONS
from ficoba_sandbox.recette.parity import default_table
from ficoba_sandbox.testing import FicobaSandbox, run_sandbox

pytestmark = pytest.mark.tls

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
BACKEND = "/fcb-masrestit/api/v2"


def official(version: str) -> dict[str, Any]:
    return dict(json.loads((REFERENCE / VERSIONS[version].document).read_text()))


#: the schemas whose properties differ between versions (docs/contract-versions.md)
VERSIONED_SCHEMAS = ("CompteCaracteristiques", "CompteMultiDet", "EtablissementBancaire")


def strict_validator(spec: dict[str, Any], path: str, method: str) -> Draft4Validator:
    """The 200 schema of `path` in `spec`, the schemas that differ between versions closed
    (`additionalProperties: false`): the official documents leave them open, which would let
    another version's field names through."""
    closed = copy.deepcopy(spec)
    for name in VERSIONED_SCHEMAS:
        closed["components"]["schemas"][name]["additionalProperties"] = False
    schema = closed["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    registry = Registry().with_resource("urn:spec", DRAFT4.create_resource(closed))  # type: ignore[arg-type]
    ref = schema["schema"]["$ref"].replace("#/", "urn:spec#/")
    return Draft4Validator({"$ref": ref}, registry=registry)


def required_headers(spec: dict[str, Any], path: str, method: str) -> set[str]:
    """The header parameters `spec` marks required on an operation (`$ref`s resolved)."""
    names = set()
    for p in spec["paths"][path][method].get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p.get("in") == "header" and p.get("required"):
            names.add(p["name"])
    return names - {"Authorization"}


def as_written(spec: dict[str, Any], path: str, method: str, token: str) -> dict[str, str]:
    """The headers a client of that version sends: the required ones, nothing else."""
    values = {"X-Correlation-ID": str(uuid.uuid4()), "X-Request-ID": str(uuid.uuid4()),
              "X-JWT-Assertion": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmaWN0aWYifQ."}  # fmt: skip
    by_name = {name.lower(): value for name, value in values.items()}  # 2025-04: "X-request-ID"
    sent = {name: by_name[name.lower()] for name in required_headers(spec, path, method)}
    return {**sent, "Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FicobaSandbox]]:
    """One real sandbox (mutual TLS, its own state directory) per published version."""
    from contextlib import ExitStack

    cache = tmp_path_factory.mktemp("cache")
    with ExitStack() as stack:
        yield {
            v: stack.enter_context(
                run_sandbox(
                    tmp_path_factory.mktemp(v), size=300, cache_dir=cache, contract_version=v
                )
            )
            for v in VERSIONS
        }
        for http in _RAW.values():
            http.close()
        _RAW.clear()


_RAW: dict[str, httpx.Client] = {}


def raw(sb: FicobaSandbox) -> httpx.Client:
    """A client that sends only the headers it is given (no correlation id added); closed with
    the module's sandboxes."""
    key = sb.origin
    if key not in _RAW:
        _RAW[key] = httpx.Client(base_url=sb.origin, verify=sb.ssl_context(), timeout=30)
    return _RAW[key]


def _search(sb: FicobaSandbox) -> tuple[str, dict[str, Any]]:
    creds = {"motifs": sb.motifs, "siret_demandeur": sb.siret_demandeur}
    return demo_search(sb.app.sandbox, creds)


@pytest.mark.parametrize("version", list(VERSIONS))
def test_requests_as_each_version_writes_them(
    sandboxes: dict[str, FicobaSandbox], version: str
) -> None:
    sb = sandboxes[version]
    spec = official(version)
    prefix = "/ficoba-api/v2" if version == "2026-01" else BACKEND
    http = raw(sb)
    token = sb.token()
    # etatSante, with exactly the headers the version requires
    r = http.get(prefix + "/etatSante", headers=as_written(spec, "/etatSante", "get", token))
    assert r.status_code == 200, r.text
    strict_validator(spec, "/etatSante", "get").validate(r.json())
    assert uuid.UUID(r.headers["X-Correlation-ID"])
    # a search with data, as the version writes it: a 2024-11 client sends X-JWT-Assertion and
    # no X-Request-ID
    resource, body = _search(sb)
    headers = as_written(spec, resource, "post", token)
    if version == "2024-11":
        assert "X-Request-ID" not in headers and "X-JWT-Assertion" in headers
    r = http.post(prefix + resource, json=body, headers=headers)
    assert r.status_code == 200, r.text
    strict_validator(spec, resource, "post").validate(r.json())
    old_names = ("codeMotifOuverture", "libelleMotifOuverture", "bicEtablissement")
    if version == "2024-11":
        assert "motifOuverture" in r.text and not any(n in r.text for n in old_names)
    else:
        assert all(n in r.text for n in old_names) and '"motifOuverture"' not in r.text
    # the served OpenAPI describes the version where it differs
    served = http.get("/openapi.json").json()
    assert f"**{version}**" in served["info"]["description"]
    health = served["paths"][prefix.replace(BACKEND, BACKEND) + "/etatSante"]["get"]
    (cid,) = [p for p in health["parameters"] if p["name"] == "X-Correlation-ID"]
    assert cid["required"] is VERSIONS[version].health_requires_correlation_id
    names = set(served["components"]["schemas"]["CompteCaracteristiques"]["properties"])
    assert ("motifOuverture" in names) is (version == "2024-11")
    assert sb.admin().get("/__sandbox/health").json()["contract_version"] == version


@pytest.mark.parametrize("version", list(VERSIONS))
def test_etat_sante_without_correlation_ids(
    sandboxes: dict[str, FicobaSandbox], version: str
) -> None:
    """Required until 2025-04 (910000); optional from 2025-10 (200, with a correlation id made
    up, as every answer of the gateway carries one)."""
    sb = sandboxes[version]
    r = raw(sb).get(BACKEND.replace(BACKEND, "/ficoba-api/v2") + "/etatSante",
                    headers={"Authorization": f"Bearer {sb.token()}"})  # fmt: skip
    if VERSIONS[version].health_requires_correlation_id:
        assert r.status_code == 400 and r.json()["erreur"]["code"] == "910000"
    else:
        assert r.status_code == 200, r.text
        assert uuid.UUID(r.headers["X-Correlation-ID"]).version == 4
    # a gateway refusal carries X-Correlation-ID in every version (2026-01 defaultErrorApim)
    cid = str(uuid.uuid4())
    r = raw(sb).get("/ficoba-api/v2/etatSante", headers={"X-Correlation-ID": cid})
    assert r.status_code == 401 and r.headers["X-Correlation-ID"] == cid


@pytest.mark.parametrize("version", list(VERSIONS))
def test_operation_scopes_from_2026_01_only(
    sandboxes: dict[str, FicobaSandbox], version: str
) -> None:
    """A token asked for one operation scope: enforced from 2026-01 (900910); before, the
    versions have no operation scopes and the modality rights decide."""
    sb = sandboxes[version]
    http = raw(sb)
    r = http.post("/token", data={"grant_type": "client_credentials", "scope": "VerifParIban"},
                  auth=(sb.client_id, sb.client_secret))  # fmt: skip
    assert r.status_code == 200, r.text
    resource, body = _search(sb)
    headers = {"X-Correlation-ID": str(uuid.uuid4()),
               "Authorization": f"Bearer {r.json()['access_token']}"}  # fmt: skip
    r = http.post("/ficoba-api/v2" + resource, json=body, headers=headers)
    if VERSIONS[version].operation_scopes:
        assert r.status_code == 403 and r.json()["erreur"]["code"] == "900910"
    else:
        assert r.status_code == 200, r.text


def test_default_is_the_newest_and_answers_older_requests(
    sandboxes: dict[str, FicobaSandbox],
) -> None:
    """The default sandbox follows 2026-01; a 2024-11 client (X-JWT-Assertion, no X-Request-ID)
    and a 2025-04 one are answered, with the newest field names (parity table rows)."""
    assert NEWEST == "2026-01" and max(VERSIONS) == NEWEST
    sb = sandboxes[NEWEST]
    http = raw(sb)
    token = sb.token()
    resource, body = _search(sb)
    for version in ("2024-11", "2025-04", "2025-10"):
        spec = official(version)
        r = http.post(BACKEND + resource, json=body,
                      headers=as_written(spec, resource, "post", token))  # fmt: skip
        assert r.status_code == 200, r.text
        strict_validator(official(NEWEST), resource, "post").validate(r.json())
        assert "codeMotifOuverture" in r.text
    table = default_table()
    assert any(e.aspect == "field:*.motifOuverture" for e in table)


PACK = """\
name: contract-versions
description: what a client reads in every version
steps:
  - name: etatSante
    request: {resource: etatSante}
  - name: a SPI of 12 characters (CAF004)
    request: {resource: spi, criteres: {numeroSPI: "123456789012"}}
  - name: etatSante without correlation id
    request: {resource: etatSante, correlation_id: false}
"""


def _client_file(sb: FicobaSandbox, path: Path) -> Path:
    creds = json.loads((sb.state_dir / "demo-client.json").read_text())
    creds["base_url"] = sb.base_url
    creds["token_url"] = sb.token_url
    path.write_text(json.dumps(creds))
    return path


def test_parity_between_versions(
    sandboxes: dict[str, FicobaSandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two sandboxes differing only by contract version (2024-11, 2026-01): the differences
    found are the field names the versions rename, each expected by a row of the table."""
    a_sb, b_sb = sandboxes["2024-11"], sandboxes["2026-01"]
    resource, body = _search(a_sb)
    # both targets hold the data (same seed): portable here, though a reserved bank's IBAN
    step = (f"  - name: a search with data\n    portable: true\n    request: {{resource: "
            f"{resource.rsplit('/', 1)[1]}, criteres: {json.dumps(body['criteresRecherche'])}}}\n")  # fmt: skip
    pack = tmp_path / "versions.yaml"
    pack.write_text(PACK + step)
    a = _client_file(a_sb, tmp_path / "a.json")
    b = _client_file(b_sb, tmp_path / "b.json")
    out = tmp_path / "report"
    assert main(["parity", "--a", str(a), "--b", str(b), "--out", str(out), str(pack)]) == 0
    doc = json.loads(out.with_suffix(".json").read_text())
    found = {(s["step"], d["aspect"], d["expected"]) for s in doc["steps"]
             for d in s["differences"] if d["aspect"] != "seconds"}  # fmt: skip
    assert all(expected for _, _, expected in found), found
    by_step: dict[str, set[str]] = {}
    for step_name, aspect, _ in found:
        by_step.setdefault(step_name, set()).add(aspect)
    assert set(by_step) == {"a search with data", "etatSante without correlation id"}, found
    renamed = {a.rsplit(".", 1)[-1] for a in by_step["a search with data"]}
    assert renamed == {"motifOuverture", "codeMotifOuverture", "libelleMotifOuverture",
                       "bicEtablissement"}, found  # fmt: skip
    assert {"status", "erreur.code"} <= by_step["etatSante without correlation id"], found
    health = next(s for s in doc["steps"] if s["step"] == "etatSante without correlation id")
    assert health["a"]["status"] == 400 and health["a"]["error_code"] == "910000"
    assert health["b"]["status"] == 200
    capsys.readouterr()
