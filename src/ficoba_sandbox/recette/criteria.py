"""The recette criteria, evaluated from audit-journal rows. Pure: no I/O.

Input: the client's journal rows over a period, oldest first (dicts as `JournalReader` returns
them), and its registration (`Profile`). Output: an `Evaluation` with, for each criterion, a
verdict `pass` / `fail` / `not_exercised`, the journal entries that are its evidence, and what to
fix; plus the coverage matrix (search types x outcomes).

The rules (docs/recette.md repeats them for integrators):

| id | rule |
|---|---|
| `coverage` | every search type the client is entitled to (modality granted and a registered motif allowing it) got at least one HTTP 200 (data or "no result") |
| `correlation_id` | every API call carries an `X-Correlation-ID` that is a UUID, and no value is used twice |
| `justification` | every search carries a non-empty `justification` |
| `registration` | every search uses a registered motif allowed for its search type and a registered requester (SIRET/SIREN); no CAF003, CAF030, CAF031 or 900910 |
| `token_present` | no API call without a bearer token (no 900902) |
| `token_reuse` | a token is requested again only when the previous one was refused (401) or was within 60 s of its expiry; one unexplained request per 10 API calls is tolerated (restarts), at least one |
| `token_renewal` | after a 401 `900901`, the next call carries another token |
| `retry_after` | after a 429, the next API call comes at least `Retry-After` seconds after the answer |
| `backoff` | after a 500 or 503, the next API call comes at least `Retry-After` seconds (1 s when absent) after the answer, and the client never gets more than 3 such errors within 10 s |
| `quota` | no 429 `900804` outside the throttling drill, and never more calls in 60 s than the quota |
| `slow_answers` | no call abandoned by the client (journal status 499) while the answer was coming |
| `tls_ip` | every call presents the registered certificate (thumbprint) from an allowed IP; no 403 |

A tolerance of 0.1 s absorbs timestamp rounding in the waits. TLS handshake refusals never reach
the application, so they are not in the journal: the report says so; `tls_ip` judges what is
observable (certificate thumbprint and IP of every call that did arrive).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ficoba_sandbox.domain.access import DEFAULT_QUOTA, MODALITY_OF, SearchType
from ficoba_sandbox.domain.identifiers import UUID_RE
from ficoba_sandbox.gateway.networks import ip_in, parse_networks

PASS, FAIL, NOT_EXERCISED = "pass", "fail", "not_exercised"
OUTCOMES = ("data", "no_result", "validation_error", "gateway_error")
SLACK = timedelta(milliseconds=100)
EXPIRY_MARGIN = timedelta(seconds=60)
BACKOFF_DEFAULT_S = 1.0
BACKOFF_MAX_ERRORS, BACKOFF_WINDOW = 3, timedelta(seconds=10)
QUOTA_WINDOW = timedelta(seconds=60)
MAX_EVIDENCE = 12


@dataclass(frozen=True, slots=True)
class Profile:
    """What the client is registered with (from the gateway registry)."""

    client_id: str
    thumbprint: str | None = None
    modalities: frozenset[str] = frozenset()
    motifs: Mapping[str, frozenset[str]] = field(default_factory=dict)  # motif -> search types
    sirets: frozenset[str] = frozenset()
    sirens: frozenset[str] = frozenset()
    quota_per_minute: int = DEFAULT_QUOTA
    ips: tuple[str, ...] = ()

    def entitled(self) -> list[str]:
        allowed = set().union(*self.motifs.values()) if self.motifs else set()
        return [
            t.value for t in SearchType if MODALITY_OF[t] in self.modalities and t.value in allowed
        ]

    def ip_allowed(self, ip: str | None) -> bool:
        """By the gateway's own rule (gateway/networks.py): an empty list allows no one."""
        return ip_in(ip, parse_networks(self.ips))


@dataclass(slots=True)
class Evidence:
    row: int | None
    ts: str | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "ts": self.ts, "note": self.note}


@dataclass(slots=True)
class Result:
    id: str
    verdict: str
    summary: str  # English, with the figures; the renderer translates by id
    figures: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    evidence_total: int = 0

    def add(self, row: Mapping[str, Any] | None, note: str) -> None:
        self.evidence_total += 1
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(
                Evidence(row.get("id") if row else None, row.get("ts") if row else None, note)
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "verdict": self.verdict,
            "summary": self.summary,
            "figures": self.figures,
            "evidence": [e.to_json() for e in self.evidence],
            "evidence_total": self.evidence_total,
        }


@dataclass(slots=True)
class Evaluation:
    client_id: str
    period: tuple[str | None, str | None]
    calls: int
    results: list[Result]
    coverage: dict[str, dict[str, int]]
    entitled: list[str]
    drills: list[dict[str, Any]]
    rows_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        verdicts = {r.verdict for r in self.results}
        if FAIL in verdicts:
            return FAIL
        return PASS if verdicts == {PASS} else "pass_with_gaps"

    @property
    def failed(self) -> list[str]:
        return [r.id for r in self.results if r.verdict == FAIL]

    def result(self, criterion: str) -> Result:
        return next(r for r in self.results if r.id == criterion)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "period": {"from": self.period[0], "to": self.period[1]},
            "calls": self.calls,
            "verdict": self.verdict,
            "failed": self.failed,
            "criteria": [r.to_json() for r in self.results],
            "coverage": {"entitled": self.entitled, "outcomes": list(OUTCOMES), **self.coverage},
            "drills": self.drills,
        }


# --------------------------------------------------------------------------------------------
# Row helpers
# --------------------------------------------------------------------------------------------


def parse_ts(text: str) -> datetime:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _details(row: Mapping[str, Any]) -> dict[str, Any]:
    d = row.get("details")
    if isinstance(d, str):
        try:
            d = json.loads(d)
        except ValueError:
            d = None
    return d if isinstance(d, dict) else {}


def is_event(row: Mapping[str, Any]) -> bool:
    return row.get("method") == "RECETTE"


def is_token(row: Mapping[str, Any]) -> bool:
    return str(row.get("path", "")).rstrip("/").endswith("/token") and not is_event(row)


def is_api(row: Mapping[str, Any]) -> bool:
    return not is_event(row) and not is_token(row)


def is_search(row: Mapping[str, Any]) -> bool:
    return is_api(row) and "/comptes/" in str(row.get("path", ""))


def _start(row: Mapping[str, Any]) -> datetime:
    return parse_ts(str(row["ts"]))


def _sandbox_instant(row: Mapping[str, Any]) -> datetime:
    """The sandbox clock's time of the call, what a token's expiry is measured against: the row's
    `sandbox_time` when the clock had been moved, else its `ts` (docs/journal.md, "Time")."""
    moved = _details(row).get("sandbox_time")
    return parse_ts(str(moved)) if moved else _start(row)


def _end(row: Mapping[str, Any]) -> datetime:
    return _start(row) + timedelta(milliseconds=float(row.get("latency_ms") or 0))


def _retry_after(row: Mapping[str, Any]) -> float | None:
    value = _details(row).get("retry_after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _drill(row: Mapping[str, Any]) -> str | None:
    value = _details(row).get("drill")
    return str(value) if value else None


def outcome(row: Mapping[str, Any]) -> str:
    status = int(row.get("status") or 0)
    if status == 200:
        return "no_result" if row.get("info_code") else "data"
    code = str(row.get("error_code") or "")
    if status == 400 and (code.startswith("CAF") or code in ("CAT002", "CAT005")):
        return "validation_error"
    return "gateway_error"


def masked_match(seen: str, registered: str) -> bool:
    """`seen` (maybe masked with `*`) could be `registered`: same length, unmasked chars equal."""
    if len(seen) != len(registered):
        return False
    return all(a == "*" or a == b for a, b in zip(seen, registered, strict=True))


def _requester(row: Mapping[str, Any]) -> tuple[str, str] | None:
    body = row.get("request_body")
    if not isinstance(body, str) or not body.startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    return str(parsed.get("siretDemandeur") or ""), str(parsed.get("sirenDemandeur") or "")


def _note(row: Mapping[str, Any], text: str = "") -> str:
    code = row.get("error_code") or row.get("info_code") or ""
    base = f"{row.get('method')} {row.get('path')} -> {row.get('status')}" + (
        f" {code}" if code else ""
    )
    return f"{base}; {text}" if text else base


# --------------------------------------------------------------------------------------------
# The criteria
# --------------------------------------------------------------------------------------------


def _coverage(rows: Sequence[Mapping[str, Any]], profile: Profile) -> tuple[Result, dict[str, Any]]:
    entitled = profile.entitled()
    matrix: dict[str, dict[str, int]] = {t: dict.fromkeys(OUTCOMES, 0) for t in entitled}
    first_ok: dict[str, Mapping[str, Any]] = {}
    known = {t.value for t in SearchType}
    searches = [r for r in rows if is_search(r)]
    for row in searches:
        stype = row.get("search_type")
        if stype not in known:
            continue
        cell = matrix.setdefault(str(stype), dict.fromkeys(OUTCOMES, 0))
        out = outcome(row)
        cell[out] += 1
        if out in ("data", "no_result"):
            first_ok.setdefault(str(stype), row)
    res = Result("coverage", NOT_EXERCISED, "no search was made")
    missing = [t for t in entitled if t not in first_ok]
    res.figures = {
        "entitled": len(entitled),
        "covered": len(entitled) - len(missing),
        "missing": missing,
    }
    if searches:
        for t in entitled:
            if t in first_ok:
                res.add(first_ok[t], f"{t}: first HTTP 200")
        for t in missing:
            res.add(None, f"{t}: never answered 200")
        res.verdict = FAIL if missing else PASS
        res.summary = (
            f"{len(entitled) - len(missing)}/{len(entitled)} entitled search types answered 200"
        )
    return res, {"matrix": matrix}


def _correlation(rows: Sequence[Mapping[str, Any]]) -> Result:
    api = [r for r in rows if is_api(r)]
    res = Result("correlation_id", NOT_EXERCISED, "no API call")
    if not api:
        return res
    seen: dict[str, Mapping[str, Any]] = {}
    missing = invalid = dupes = 0
    for row in api:
        cid = row.get("correlation_id")
        if not cid:
            missing += 1
            res.add(row, _note(row, "no X-Correlation-ID"))
        elif not UUID_RE.fullmatch(str(cid)):
            invalid += 1
            res.add(row, _note(row, f"X-Correlation-ID {str(cid)[:40]!r} is not a UUID"))
        elif cid in seen:
            dupes += 1
            res.add(
                row, _note(row, f"X-Correlation-ID already used by entry {seen[cid].get('id')}")
            )
        else:
            seen[str(cid)] = row
    res.figures = {"calls": len(api), "missing": missing, "invalid": invalid, "duplicates": dupes}
    res.verdict = FAIL if missing or invalid or dupes else PASS
    res.summary = f"{len(api)} calls: {missing} without, {invalid} invalid, {dupes} reused"
    return res


def _justification(rows: Sequence[Mapping[str, Any]]) -> Result:
    searches = [r for r in rows if is_search(r) and r.get("method") == "POST"]
    res = Result("justification", NOT_EXERCISED, "no search was made")
    if not searches:
        return res
    bad = 0
    for row in searches:
        value = row.get("justification")
        if value != "present":
            bad += 1
            res.add(row, _note(row, f"justification {value or 'absent'}"))
    res.figures = {"searches": len(searches), "empty_or_absent": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = f"{len(searches)} searches, {bad} with an empty or absent justification"
    return res


def _registration(rows: Sequence[Mapping[str, Any]], profile: Profile) -> Result:
    searches = [r for r in rows if is_search(r)]
    res = Result("registration", NOT_EXERCISED, "no search was made")
    if not searches:
        return res
    bad = 0
    for row in searches:
        problems = []
        motif = row.get("motif")
        stype = row.get("search_type")
        if not motif:
            problems.append("no motif")
        elif motif not in profile.motifs:
            problems.append(f"motif {motif} is not registered")
        elif stype in {t.value for t in SearchType} and stype not in profile.motifs[motif]:
            problems.append(f"motif {motif} does not allow {stype}")
        requester = _requester(row)
        if requester is not None:
            siret, siren = requester
            if siret and not any(masked_match(siret, s) for s in profile.sirets):
                problems.append("siretDemandeur is not a registered requester")
            elif not siret and siren and not any(masked_match(siren, s) for s in profile.sirens):
                problems.append("sirenDemandeur is not a registered requester")
            elif not siret and not siren:
                problems.append("no requester (siretDemandeur / sirenDemandeur)")
        code = row.get("error_code")
        if code in ("CAF003", "CAF030", "CAF031", "900910") and not problems:
            problems.append(f"refused with {code}")
        if problems:
            bad += 1
            res.add(row, _note(row, "; ".join(problems)))
    res.figures = {"searches": len(searches), "inconsistent": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = f"{len(searches)} searches, {bad} inconsistent with the registration"
    return res


def _token_present(rows: Sequence[Mapping[str, Any]]) -> Result:
    api = [r for r in rows if is_api(r)]
    res = Result("token_present", NOT_EXERCISED, "no API call")
    if not api:
        return res
    bad = 0
    for row in api:
        if row.get("auth_scheme") != "Bearer" or row.get("error_code") == "900902":
            bad += 1
            res.add(row, _note(row, f"Authorization: {row.get('auth_scheme') or 'none'}"))
    res.figures = {"calls": len(api), "without_token": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = f"{len(api)} calls, {bad} without a bearer token"
    return res


def _token_reuse(rows: Sequence[Mapping[str, Any]]) -> Result:
    res = Result("token_reuse", NOT_EXERCISED, "fewer than two API calls")
    api = [r for r in rows if is_api(r)]
    grants = [r for r in rows if is_token(r) and int(r.get("status") or 0) == 200]
    if len(api) < 2:
        return res
    unjustified = 0
    first = True
    refused = False
    current_exp: datetime | None = None
    for row in rows:
        if is_api(row) and int(row.get("status") or 0) == 401:
            refused = True
        if not (is_token(row) and int(row.get("status") or 0) == 200):
            continue
        at = _sandbox_instant(row)
        justified = first or refused or current_exp is None or at >= current_exp - EXPIRY_MARGIN
        if not justified:
            unjustified += 1
            left = int((current_exp - at).total_seconds()) if current_exp else 0
            res.add(row, _note(row, f"new token while the previous one had {left} s left"))
        exp = _details(row).get("token_exp")
        current_exp = parse_ts(str(exp)) if exp else None
        first, refused = False, False
    tokens_used = len({_details(r).get("token_ref") for r in api} - {None})
    res.figures = {
        "api_calls": len(api),
        "token_requests": len(grants),
        "tokens_used": tokens_used,
        "unjustified_requests": unjustified,
    }
    tolerated = max(1, len(api) // 10)  # process restarts
    res.figures["tolerated"] = tolerated
    res.verdict = FAIL if unjustified > tolerated else PASS
    res.summary = (
        f"{len(grants)} tokens requested for {len(api)} calls; {unjustified} requested while "
        "the previous token was still valid"
    )
    return res


def _token_renewal(rows: Sequence[Mapping[str, Any]]) -> Result:
    res = Result("token_renewal", NOT_EXERCISED, "no 401 900901 was answered")
    api = [r for r in rows if is_api(r)]
    refusals = [
        i
        for i, r in enumerate(api)
        if int(r.get("status") or 0) == 401 and r.get("error_code") == "900901"
    ]
    if not refusals:
        return res
    bad = ok = 0
    for i in refusals:
        row = api[i]
        rejected = _details(row).get("token_ref")
        nxt = api[i + 1] if i + 1 < len(api) else None
        if nxt is None:
            continue  # the run ended there: nothing to judge
        used = _details(nxt).get("token_ref")
        if used is None or used == rejected:
            bad += 1
            res.add(nxt, _note(nxt, "retried with the refused token" if used else "no token"))
        else:
            ok += 1
            res.add(nxt, _note(nxt, "new token after the 401"))
    res.figures = {"refusals": len(refusals), "renewed": ok, "not_renewed": bad}
    if ok or bad:
        res.verdict = FAIL if bad else PASS
        res.summary = (
            f"{len(refusals)} refusals 401 900901: {ok} followed by a new token, {bad} not"
        )
    return res


def _waits(
    rows: Sequence[Mapping[str, Any]], statuses: set[int], default: float | None
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None, float, float | None]]:
    """(error row, next API row, required wait, actual wait) for each error with that status."""
    api = [r for r in rows if is_api(r)]
    out = []
    for i, row in enumerate(api):
        if int(row.get("status") or 0) not in statuses:
            continue
        need = _retry_after(row)
        need = need if need is not None else default
        nxt = api[i + 1] if i + 1 < len(api) else None
        waited = (_start(nxt) - _end(row)).total_seconds() if nxt is not None else None
        out.append((row, nxt, need or 0.0, waited))
    return out


def _retry_after_rule(rows: Sequence[Mapping[str, Any]]) -> Result:
    res = Result("retry_after", NOT_EXERCISED, "no 429 was answered")
    waits = [w for w in _waits(rows, {429}, 1.0) if w[1] is not None]
    if not waits:
        return res
    bad = 0
    for _row, nxt, need, waited in waits:
        assert nxt is not None and waited is not None
        if waited + SLACK.total_seconds() < need:
            bad += 1
            res.add(nxt, _note(nxt, f"{waited:.2f} s after a 429 asking Retry-After: {need:g}"))
        else:
            res.add(nxt, _note(nxt, f"waited {waited:.2f} s (Retry-After: {need:g})"))
    res.figures = {"throttled": len(waits), "too_early": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = f"{len(waits)} answers 429: {bad} followed by a call before Retry-After"
    return res


def _backoff(rows: Sequence[Mapping[str, Any]]) -> Result:
    res = Result("backoff", NOT_EXERCISED, "no 500 or 503 was answered")
    waits = _waits(rows, {500, 503}, BACKOFF_DEFAULT_S)
    if not waits:
        return res
    bad = 0
    for row, nxt, need, waited in waits:
        if nxt is None or waited is None:
            continue
        if waited + SLACK.total_seconds() < need:
            bad += 1
            res.add(nxt, _note(nxt, f"{waited:.2f} s after {row.get('status')}, needed {need:g} s"))
    errors = [w[0] for w in waits]
    burst_rows = 0
    for i, row in enumerate(errors):
        window = [r for r in errors[i:] if _start(r) - _start(row) <= BACKOFF_WINDOW]
        if len(window) > BACKOFF_MAX_ERRORS:
            burst_rows += 1
            if burst_rows == 1:
                res.add(row, _note(row, f"{len(window)} errors 500/503 within 10 s from here"))
    if burst_rows:
        bad += 1
    res.figures = {"errors": len(errors), "violations": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = (
        f"{len(errors)} answers 500/503; {bad} violations of the back-off rule "
        f"(wait Retry-After or 1 s; at most {BACKOFF_MAX_ERRORS} such errors within 10 s)"
    )
    if not bad:
        for row, nxt, _need, waited in waits[:MAX_EVIDENCE]:
            if nxt is not None and waited is not None:
                res.add(nxt, _note(nxt, f"waited {waited:.2f} s after {row.get('status')}"))
    return res


def _quota(rows: Sequence[Mapping[str, Any]], profile: Profile) -> Result:
    res = Result("quota", NOT_EXERCISED, "no API call")
    api = [r for r in rows if is_api(r)]
    if not api:
        return res
    throttled = 0
    for row in api:
        if int(row.get("status") or 0) == 429 and _drill(row) != "throttling":
            throttled += 1
            res.add(row, _note(row, "quota exceeded"))
    times = [_start(r) for r in api]
    peak, peak_at, j = 0, 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= QUOTA_WINDOW:
            j += 1
        if i - j + 1 > peak:
            peak, peak_at = i - j + 1, j
    over = peak > profile.quota_per_minute
    if over:
        res.add(
            api[peak_at], f"{peak} calls in the 60 s from here (quota {profile.quota_per_minute})"
        )
    res.figures = {
        "quota_per_minute": profile.quota_per_minute,
        "peak_per_60s": peak,
        "throttled": throttled,
    }
    res.verdict = FAIL if throttled or over else PASS
    res.summary = (
        f"peak {peak} calls in 60 s for a quota of {profile.quota_per_minute}; "
        f"{throttled} answers 429 outside the drill"
    )
    return res


def _slow(rows: Sequence[Mapping[str, Any]]) -> Result:
    res = Result("slow_answers", NOT_EXERCISED, "no answer took 1 s or more")
    api = [r for r in rows if is_api(r)]
    slow = [r for r in api if float(r.get("latency_ms") or 0) >= 1000 or _drill(r) == "slow"]
    abandoned = [r for r in api if int(r.get("status") or 0) == 499]
    for row in abandoned:
        res.add(row, _note(row, f"abandoned after {float(row.get('latency_ms') or 0):.0f} ms"))
    if not slow and not abandoned:
        return res
    if not abandoned:
        for row in slow:
            res.add(row, _note(row, f"waited {float(row.get('latency_ms') or 0):.0f} ms"))
    res.figures = {"slow": len(slow), "abandoned": len(abandoned)}
    res.verdict = FAIL if abandoned else PASS
    res.summary = f"{len(slow)} slow answers, {len(abandoned)} calls abandoned by the client"
    return res


def _tls_ip(rows: Sequence[Mapping[str, Any]], profile: Profile) -> Result:
    res = Result("tls_ip", NOT_EXERCISED, "no call")
    calls = [r for r in rows if not is_event(r)]
    if not calls:
        return res
    bad = 0
    for row in calls:
        problems = []
        thumb = row.get("thumbprint")
        if profile.thumbprint and thumb and thumb != profile.thumbprint:
            problems.append("another client certificate")
        if not profile.ip_allowed(row.get("peer_ip")):
            problems.append(f"IP {row.get('peer_ip')} not allowed")
        if int(row.get("status") or 0) == 403 and row.get("error_code") in ("HTTP403", None):
            problems.append("refused at the IP check")
        if problems:
            bad += 1
            res.add(row, _note(row, "; ".join(problems)))
    res.figures = {"calls": len(calls), "refused_or_foreign": bad}
    res.verdict = FAIL if bad else PASS
    res.summary = (
        f"{len(calls)} calls arrived over mutual TLS; {bad} with another certificate or IP. "
        "Handshake refusals do not reach the application and are not observable here."
    )
    return res


CRITERIA: tuple[str, ...] = (
    "coverage",
    "correlation_id",
    "justification",
    "registration",
    "token_present",
    "token_reuse",
    "token_renewal",
    "retry_after",
    "backoff",
    "quota",
    "slow_answers",
    "tls_ip",
)


def drills_seen(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Arming events and the rows each drill shaped, in order."""
    out: list[dict[str, Any]] = []
    counts: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if is_event(row):
            d = _details(row)
            out.append({"event": d.get("recette"), "ts": row.get("ts"), "row": row.get("id"), **d})
        elif _drill(row):
            counts[str(_drill(row))].append(int(row.get("id") or 0))
    for name, ids in counts.items():
        out.append({"event": "fired", "drill": name, "rows": ids[:MAX_EVIDENCE], "count": len(ids)})
    return out


def evaluate(
    rows: Sequence[Mapping[str, Any]],
    profile: Profile,
    *,
    period: tuple[str | None, str | None] | None = None,
) -> Evaluation:
    """Judge one client from its journal rows (oldest first)."""
    rows = sorted(rows, key=lambda r: (str(r.get("ts")), int(r.get("id") or 0)))
    coverage, extra = _coverage(rows, profile)
    results = [
        coverage,
        _correlation(rows),
        _justification(rows),
        _registration(rows, profile),
        _token_present(rows),
        _token_reuse(rows),
        _token_renewal(rows),
        _retry_after_rule(rows),
        _backoff(rows),
        _quota(rows, profile),
        _slow(rows),
        _tls_ip(rows, profile),
    ]
    calls = [r for r in rows if not is_event(r)]
    if period is None:
        period = (
            str(calls[0]["ts"]) if calls else None,
            str(calls[-1]["ts"]) if calls else None,
        )
    wanted = {e.row for r in results for e in r.evidence if e.row is not None}
    return Evaluation(
        client_id=profile.client_id,
        period=period,
        calls=len(calls),
        results=results,
        coverage=extra,
        entitled=profile.entitled(),
        drills=drills_seen(rows),
        rows_by_id={int(r["id"]): dict(r) for r in rows if r.get("id") in wanted},
    )
