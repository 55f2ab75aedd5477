"""Each recette criterion made to pass and made to fail, on synthetic journal rows."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ficoba_sandbox.domain.access import MODALITIES, SearchType
from ficoba_sandbox.recette.criteria import (
    CRITERIA,
    FAIL,
    NOT_EXERCISED,
    PASS,
    Profile,
    evaluate,
    masked_match,
)

T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
THUMB = "thumb-of-the-registered-cert"
SIRET = "99000001000019"
ALL = frozenset(t.value for t in SearchType)
PROFILE = Profile(
    client_id="c1",
    thumbprint=THUMB,
    modalities=frozenset(MODALITIES),
    motifs={"0001": ALL, "0002": frozenset({"compte"})},
    sirets=frozenset({SIRET}),
    quota_per_minute=200,
    ips=("127.0.0.0/8",),
)
SMALL = Profile(
    client_id="c1",
    thumbprint=THUMB,
    modalities=frozenset({"with_ficoba_iban"}),
    motifs={"0001": ALL},
    sirets=frozenset({SIRET}),
    quota_per_minute=5,
    ips=("127.0.0.0/8",),
)
TYPE_PATH = {
    "compte": "/comptes/numCpte",
    "spi": "/comptes/spi",
}


def ts(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Rows:
    """Builds journal-shaped rows, oldest first."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.token = "tokaaaa"
        self.exp = ts(3600)

    def _add(self, **row: Any) -> dict[str, Any]:
        row.setdefault("id", len(self.rows) + 1)
        self.rows.append(row)
        return row

    def grant(self, at: float, ref: str | None = None, ttl: float = 3600) -> None:
        self.token = ref or f"tok{len(self.rows)}"
        self.exp = ts(at + ttl)
        self._add(
            ts=ts(at),
            method="POST",
            path="/token",
            status=200,
            latency_ms=2.0,
            client_id="c1",
            thumbprint=THUMB,
            peer_ip="127.0.0.1",
            auth_scheme="Basic",
            details={"issued_token": self.token, "token_exp": self.exp},
        )

    def call(
        self,
        at: float,
        stype: str = "compte",
        status: int = 200,
        *,
        error: str | None = None,
        info: str | None = None,
        corr: str | None = "new",
        justification: str = "present",
        motif: str = "0001",
        siret: str = "99**********19",
        token: str | None = "current",
        latency_ms: float = 5.0,
        retry_after: str | None = None,
        drill: str | None = None,
        thumbprint: str = THUMB,
        peer_ip: str = "127.0.0.1",
    ) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if token is not None:
            details["token_ref"] = self.token if token == "current" else token
            details["token_exp"] = self.exp
        if retry_after:
            details["retry_after"] = retry_after
        if drill:
            details["drill"] = drill
        return self._add(
            ts=ts(at),
            method="POST",
            path="/ficoba-api/v2" + TYPE_PATH.get(stype, "/comptes/verifIban"),
            status=status,
            error_code=error,
            info_code=info,
            latency_ms=latency_ms,
            client_id="c1",
            thumbprint=thumbprint,
            peer_ip=peer_ip,
            search_type=stype,
            motif=motif,
            correlation_id=str(uuid.uuid4()) if corr == "new" else corr,
            auth_scheme="Bearer" if token is not None else None,
            justification=justification,
            request_body=f'{{"motif":"{motif}","siretDemandeur":"{siret}","sirenDemandeur":""}}',
            details=details,
        )


def good_run() -> Rows:
    r = Rows()
    r.grant(0)
    for i in range(10):
        r.call(1 + i, "compte" if i % 2 else "spi")
    return r


def verdict(rows: Rows, criterion: str, profile: Profile = SMALL) -> str:
    return evaluate(rows.rows, profile).result(criterion).verdict


# --- one builder per (criterion, expected verdict) -------------------------------------------


def coverage_pass() -> Rows:
    return good_run()


def coverage_fail() -> Rows:
    r = Rows()
    r.grant(0)
    r.call(1, "compte", 400, error="CAF002")
    return r


def correlation_pass() -> Rows:
    return good_run()


def correlation_fail() -> Rows:
    r = good_run()
    r.call(20, corr="11111111-2222-3333-4444-555555555555")
    r.call(21, corr="11111111-2222-3333-4444-555555555555")
    return r


def justification_pass() -> Rows:
    return good_run()


def justification_fail() -> Rows:
    r = good_run()
    r.call(20, justification="empty")
    return r


def registration_pass() -> Rows:
    return good_run()


def registration_fail() -> Rows:
    r = good_run()
    r.call(20, motif="0999", status=400, error="CAF003")
    r.call(21, siret="12**********34")
    return r


def token_present_pass() -> Rows:
    return good_run()


def token_present_fail() -> Rows:
    r = good_run()
    r.call(20, status=401, error="900902", token=None)
    return r


def token_reuse_pass() -> Rows:
    r = Rows()
    r.grant(0, ttl=100)
    for i in range(5):
        r.call(1 + i)
    r.grant(50, ttl=100)  # within 60 s of the first token's expiry: justified
    r.call(51)
    return r


def token_reuse_fail() -> Rows:
    r = Rows()
    for i in range(10):
        r.grant(i)
        r.call(i + 0.5)
    return r


def token_renewal_pass() -> Rows:
    r = good_run()
    r.call(20, status=401, error="900901")
    r.grant(21)
    r.call(22)
    return r


def token_renewal_fail() -> Rows:
    r = good_run()
    r.call(20, status=401, error="900901")
    r.call(20.1, status=401, error="900901")
    return r


def retry_after_pass() -> Rows:
    r = good_run()
    r.call(20, status=429, error="900804", retry_after="2", drill="throttling")
    r.call(22.01)
    return r


def retry_after_fail() -> Rows:
    r = good_run()
    r.call(20, status=429, error="900804", retry_after="2", drill="throttling")
    r.call(20.2)
    return r


def backoff_pass() -> Rows:
    r = good_run()
    r.call(20, status=503, error="CAT001", retry_after="3")
    r.call(23.05)
    r.call(30, status=500, error="CAT004")
    r.call(31.1)
    return r


def backoff_fail() -> Rows:
    r = good_run()
    for i in range(5):
        r.call(20 + i * 0.1, status=503, error="CAT001", retry_after="3")
    r.call(21)
    return r


def quota_pass() -> Rows:
    r = Rows()
    r.grant(0)
    for i in range(5):
        r.call(1 + i * 15)
    return r


def quota_fail() -> Rows:
    r = Rows()
    r.grant(0)
    for i in range(7):
        r.call(1 + i)  # 7 calls in 60 s, quota 5
    r.call(9, status=429, error="900804", retry_after="50")
    return r


def slow_pass() -> Rows:
    r = good_run()
    r.call(20, latency_ms=1500, drill="slow")
    return r


def slow_fail() -> Rows:
    r = good_run()
    r.call(20, status=499, latency_ms=1000, drill="slow")
    return r


def tls_ip_pass() -> Rows:
    return good_run()


def tls_ip_fail() -> Rows:
    r = good_run()
    r.call(20, status=403, error="HTTP403", peer_ip="10.1.2.3")
    r.call(21, status=401, error="900901", thumbprint="another")
    return r


CASES: dict[str, tuple[Callable[[], Rows], Callable[[], Rows]]] = {
    "coverage": (coverage_pass, coverage_fail),
    "correlation_id": (correlation_pass, correlation_fail),
    "justification": (justification_pass, justification_fail),
    "registration": (registration_pass, registration_fail),
    "token_present": (token_present_pass, token_present_fail),
    "token_reuse": (token_reuse_pass, token_reuse_fail),
    "token_renewal": (token_renewal_pass, token_renewal_fail),
    "retry_after": (retry_after_pass, retry_after_fail),
    "backoff": (backoff_pass, backoff_fail),
    "quota": (quota_pass, quota_fail),
    "slow_answers": (slow_pass, slow_fail),
    "tls_ip": (tls_ip_pass, tls_ip_fail),
}


def test_every_criterion_has_cases() -> None:
    assert set(CASES) == set(CRITERIA)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_criterion_passes(criterion: str) -> None:
    rows = CASES[criterion][0]()
    result = evaluate(rows.rows, SMALL).result(criterion)
    assert result.verdict == PASS, result.to_json()


@pytest.mark.parametrize("criterion", CRITERIA)
def test_criterion_fails_with_evidence(criterion: str) -> None:
    rows = CASES[criterion][1]()
    result = evaluate(rows.rows, SMALL).result(criterion)
    assert result.verdict == FAIL, result.to_json()
    assert result.evidence, "a failure must point at journal entries"


@pytest.mark.parametrize("criterion", CRITERIA)
def test_no_rows_means_not_exercised(criterion: str) -> None:
    assert evaluate([], SMALL).result(criterion).verdict == NOT_EXERCISED


def test_coverage_matrix_and_entitlement() -> None:
    r = good_run()
    r.call(30, "spi", 200, info="CAF007")
    r.call(31, "spi", 400, error="CAF004")
    r.call(32, "spi", 503, error="CAT001", retry_after="1")
    ev = evaluate(r.rows, PROFILE)
    assert len(ev.entitled) == 11
    spi = ev.coverage["matrix"]["spi"]
    assert spi == {"data": 5, "no_result": 1, "validation_error": 1, "gateway_error": 1}
    assert ev.result("coverage").verdict == FAIL  # 9 entitled types never answered 200
    assert "personne_morale" in ev.result("coverage").figures["missing"]
    # only the entitled (modality + motif) types are required
    assert evaluate(r.rows, SMALL).entitled == ["compte"]


def test_overall_verdict_and_json() -> None:
    roomy = dataclasses.replace(SMALL, quota_per_minute=200)
    ev = evaluate(good_run().rows, roomy)
    assert ev.verdict == "pass_with_gaps"  # nothing failed, drills not exercised
    doc = ev.to_json()
    assert doc["failed"] == [] and {c["id"] for c in doc["criteria"]} == set(CRITERIA)
    bad = evaluate(correlation_fail().rows, roomy)
    assert bad.verdict == FAIL and bad.failed == ["correlation_id"]


def test_masked_requester_match() -> None:
    assert masked_match("99**********19", SIRET)
    assert masked_match(SIRET, SIRET)
    assert not masked_match("98**********19", SIRET)
    assert not masked_match("99*****19", SIRET)


def test_event_rows_are_not_calls() -> None:
    r = good_run()
    r.rows.append(
        {
            "id": 99,
            "ts": ts(0),
            "method": "RECETTE",
            "path": "/recette/drills/start",
            "status": 200,
            "latency_ms": 0,
            "details": {"recette": "start", "drills": ["throttling@3"]},
        }
    )
    ev = evaluate(r.rows, SMALL)
    assert ev.calls == 11
    assert ev.drills[0]["event"] == "start"
    assert ev.result("correlation_id").verdict == PASS
