"""The magic catalogue, driven from the live admin plane's `/__sandbox/magic` (cannot drift)."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ficoba_sandbox.data import reserved
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.runner import get_path

pytestmark = pytest.mark.tls
ROOT = Path(__file__).resolve().parents[2]
_MISSING = get_path({}, "x")


def _token(qa_server: Any, http: httpx.Client) -> str:
    d = qa_server.demo
    r = http.post(qa_server.token_url, data={"grant_type": "client_credentials"},
                  auth=(d["client_id"], d["client_secret"]))  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def api(qa_server: Any):  # type: ignore[no-untyped-def]
    target = qa_server.target()
    with httpx.Client(verify=target.ssl_context(), timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {_token(qa_server, http)}"
        yield http


@pytest.fixture(scope="module")
def catalogue(qa_server: Any) -> dict[str, Any]:
    r = httpx.get(qa_server.admin_url + "/__sandbox/magic", headers=qa_server.admin_headers)
    assert r.status_code == 200
    return r.json()


def _call(qa_server: Any, api: httpx.Client, entry: dict[str, Any], body: Any,
          headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    h = {"X-Correlation-ID": str(uuid.uuid4()), **(headers or {})}
    return api.post(qa_server.origin + entry["path"], json=body, headers=h)


def _assert_expected(entry: dict[str, Any], r: httpx.Response, *, fields: bool = True) -> None:
    exp = entry["expected"]
    doc = r.json()
    assert r.status_code == exp["status"], (entry["name"], r.text)
    if exp["code_field"]:
        assert get_path(doc, exp["code_field"]) == exp["code"], (entry["name"], r.text)
    else:
        assert get_path(doc, "erreur") is _MISSING and (
            get_path(doc, "messageInformatif") is _MISSING
        ), (entry["name"], r.text)
    if fields:
        for path, want in exp["fields_equal"].items():
            assert get_path(doc, path) == want, (entry["name"], path, r.text)
        for path in exp["fields_absent"]:
            assert get_path(doc, path) is _MISSING, (entry["name"], path)
    for name in exp["headers_present"]:
        assert name in r.headers, (entry["name"], name)
    assert r.headers.get("X-Correlation-ID"), "the gateway echo survives the magic outcome"


def test_catalogue_covers_the_issue(catalogue: dict[str, Any]) -> None:
    entries = catalogue["entries"]
    codes = {(e["expected"]["status"], e["expected"]["code"]) for e in entries}
    for nr in ("CAF007", "CAF009", "CAF011", "CAF013", "CAF015", "CAF020", "CAF021", "CAF022",
               "CAF023", "CAF026", "CAF028", "CAF029"):  # fmt: skip
        assert (200, nr) in codes, nr
    for need in [(400, "CAF036"), (503, "CAT001"), (500, "CAT003"), (500, "CAT004"),
                 (500, "CAT007"), (408, "HTTP408"), (509, "HTTP509"), (429, "900804")]:  # fmt: skip
        assert need in codes, need
    names = {e["name"] for e in entries}
    for outcome in ("closed-account", "joint-account", "deceased-holder", "succession-account",
                    "safe-deposit-box", "multidet-found-with-consent",
                    "multidet-found-without-consent", "multidet-not-found-with-consent",
                    "multidet-not-found-without-consent"):  # fmt: skip
        assert outcome in names
    for e in entries:  # complete bodies for the demo client
        assert e["body"]["siretDemandeur"] == catalogue["entries"][0]["body"]["siretDemandeur"]
        assert set(e["body"]) >= {"dateDemande", "motif", "justification", "criteresRecherche"}


def test_every_entry_yields_its_outcome(qa_server: Any, api: httpx.Client,
                                        catalogue: dict[str, Any]) -> None:  # fmt: skip
    for entry in catalogue["entries"]:
        _assert_expected(entry, _call(qa_server, api, entry, entry["body"]))


def test_every_entry_by_name(qa_server: Any, api: httpx.Client, catalogue: dict[str, Any]) -> None:
    for entry in catalogue["entries"]:
        by = entry["by_name"]
        r = _call(qa_server, api, entry, by["body"], by["headers"])
        _assert_expected(entry, r)


def test_technical_entries_by_name_on_every_resource(qa_server: Any, api: httpx.Client,
                                                     catalogue: dict[str, Any]) -> None:  # fmt: skip
    for entry in catalogue["entries"]:
        if len(entry["by_name"]["resources"]) == 1 or entry["name"] == "timeout":
            continue
        for res in entry["by_name"]["resources"]:
            body = magic.envelope(entry["body"]["siretDemandeur"], entry["body"]["motif"],
                                  entry["body"]["dateDemande"], magic.NEUTRAL[res])  # fmt: skip
            r = api.post(f"{qa_server.base_url}/comptes/{res}", json=body,
                         headers={"X-Correlation-ID": str(uuid.uuid4()),
                                  magic.HEADER: entry["name"]})  # fmt: skip
            assert r.status_code == entry["expected"]["status"], (entry["name"], res, r.text)
            assert r.json()["erreur"]["code"] == entry["expected"]["code"]


def test_validation_runs_first(qa_server: Any, api: httpx.Client,
                               catalogue: dict[str, Any]) -> None:  # fmt: skip
    """A magic value never turns an invalid request into anything but its validation error."""
    for entry in catalogue["entries"]:
        if entry["name"] == "timeout":
            continue
        bad = {**entry["body"], "motif": "9876"}
        r = _call(qa_server, api, entry, bad)
        assert (r.status_code, r.json()["erreur"]["code"]) == (400, "CAF003"), entry["name"]
        r = _call(qa_server, api, entry, {**entry["by_name"]["body"], "motif": "9876"},
                  entry["by_name"]["headers"])  # fmt: skip
        assert (r.status_code, r.json()["erreur"]["code"]) == (400, "CAF003"), entry["name"]


def test_unknown_scenario_name(qa_server: Any, api: httpx.Client,
                               catalogue: dict[str, Any]) -> None:  # fmt: skip
    entry = catalogue["entries"][0]
    r = _call(qa_server, api, entry, entry["body"], {magic.HEADER: "no-such-thing"})
    assert r.status_code == 400
    err = r.json()["erreur"]
    assert err["code"] == "CAF002" and set(err) == {"code", "message", "horodatage"}
    assert "no-such-thing" in err["message"]
    for name in magic.names_for(entry["resource"]):
        assert name in err["message"]
    # a valid name, but for another resource
    spi_body = magic.envelope(entry["body"]["siretDemandeur"], entry["body"]["motif"],
                              entry["body"]["dateDemande"], magic.NEUTRAL["spi"])  # fmt: skip
    r = api.post(f"{qa_server.base_url}/comptes/spi", json=spi_body,
                 headers={"X-Correlation-ID": str(uuid.uuid4()), magic.HEADER: "closed-account"})  # fmt: skip
    assert r.status_code == 400 and "non applicable" in r.json()["erreur"]["message"]
    # the same through the justification token
    body = {**spi_body, "justification": "test sandbox-scenario:nope"}
    r = api.post(f"{qa_server.base_url}/comptes/spi", json=body,
                 headers={"X-Correlation-ID": str(uuid.uuid4())})  # fmt: skip
    assert r.status_code == 400 and "nope" in r.json()["erreur"]["message"]


def test_timeout_waits(qa_server: Any, api: httpx.Client, catalogue: dict[str, Any]) -> None:
    import time

    entry = next(e for e in catalogue["entries"] if e["name"] == "timeout")
    start = time.monotonic()
    r = _call(qa_server, api, entry, entry["body"])
    assert r.status_code == 408 and time.monotonic() - start >= entry["delay_seconds"] * 0.9


def test_reserved_identifiers_are_reserved() -> None:
    for kind, value in magic.reserved_values():
        if kind == "iban":
            assert reserved.is_reserved_iban(value), value
        elif kind == "spi":
            assert reserved.is_reserved_spi(value), value
        else:
            assert reserved.is_reserved_siren(value), value


def test_magic_personas_match_the_catalogue() -> None:
    doc = yaml.safe_load((ROOT / "fixtures" / "personas" / "magic.yaml").read_text())
    ibans = {c["iban"] for c in doc["comptes"]}
    assert ibans == {
        magic.IBAN_CLOSED, magic.IBAN_JOINT, magic.IBAN_DECEASED, magic.IBAN_SUCCESSION,
        magic.IBAN_SAFE_BOX, magic.IBAN_NO_HOLDER, magic.IBAN_LIVRET_A, magic.IBAN_NO_LIVRET,
        magic.IBAN_ENTITY,
    }  # fmt: skip
    spis = {p["id"]: p.get("numeroSpi", "") for p in doc["personnesPhysiques"]}
    for pid, person in magic.PERSONS.items():
        assert spis[pid] == person.spi
    assert doc["personnesMorales"][0]["siren"] == magic.SIREN_ENTITY


def test_stable_identifiers() -> None:
    """Published values: changing one breaks integrators' test suites."""
    assert magic.IBAN_CLOSED == "FR7699999000010000000000115"
    assert magic.IBAN_MISSING == "FR7699999000020000000001167"
    assert magic.SPI_DECEASED == "3999900003491"
    assert magic.SIREN_MISSING == "999999998"
    assert magic.BY_NAME["sql-error"].trigger.value == magic.iban(magic.BRANCH_FORCED, 3)  # type: ignore[union-attr]


def test_the_journal_records_the_magic_outcome(qa_server: Any, api: httpx.Client,
                                               catalogue: dict[str, Any]) -> None:  # fmt: skip
    entry = next(e for e in catalogue["entries"] if e["name"] == "sql-error")
    cid = str(uuid.uuid4())
    r = api.post(qa_server.origin + entry["path"], json=entry["body"],
                 headers={"X-Correlation-ID": cid})  # fmt: skip
    assert r.status_code == 500
    rows = httpx.get(qa_server.admin_url + "/__sandbox/journal", headers=qa_server.admin_headers,
                     params={"client": qa_server.demo["client_id"], "limit": 50}).json()["rows"]  # fmt: skip
    row = next(x for x in rows if x["correlation_id"] == cid)
    assert (row["status"], row["error_code"]) == (500, "CAT003")


def test_oversized_body_still_gets_413(qa_server: Any, api: httpx.Client,
                                       catalogue: dict[str, Any]) -> None:  # fmt: skip
    entry = next(e for e in catalogue["entries"] if e["name"] == "sql-error")
    body = {**entry["body"], "justification": "x" * (qa_server.settings.max_body_bytes + 10)}
    r = _call(qa_server, api, entry, body)
    assert r.status_code == 413, r.text


# `magic.by_trigger` (entries grouped by resource) answers as the plain loop does.


def _plain(resource: str, body: object) -> magic.Entry | None:
    for e in magic.ENTRIES:
        if e.trigger is not None and e.trigger.matches(resource, body):
            return e
    return None


def test_by_trigger_is_the_plain_loop() -> None:
    bodies = [{"criteresRecherche": copy.deepcopy(dict(e.criteres))} for e in magic.ENTRIES]
    bodies += [None, {}, {"criteresRecherche": None}, {"criteresRecherche": {"iban": 3}}]
    for e in magic.ENTRIES:  # as a client may write them: spaced, lower case, accented
        if e.trigger is not None:
            value = e.trigger.value
            if e.trigger.path[-1] == "iban":
                written = " ".join(value[i : i + 4] for i in range(0, len(value), 4)).lower()
            else:
                written = " " + value.lower().replace("e", "é") + " "
            criteres: dict = {}
            node = criteres
            for name in e.trigger.path[:-1]:
                node = node.setdefault(name, {})
            node[e.trigger.path[-1]] = written
            bodies.append({"criteresRecherche": criteres})
    seen = 0
    for resource in (*magic.RESOURCES, "etatSante", "other"):
        for body in bodies:
            expected = _plain(resource, body)
            assert magic.by_trigger(resource, body) is expected
            seen += expected is not None
    assert seen == 2 * sum(e.trigger is not None for e in magic.ENTRIES)  # each, and its variant
