"""The security events of API calls, derived from each answered `Call` (docs/security.md,
"Security events"): the refusal that is an attack or a misconfiguration (a forged, expired,
revoked or misbound token, an address outside the allow-list, a requester or motif not
registered, a right refused, a saturated quota), and the patterns over time of a client that is
served (enumeration, a correlation id reused, calls outside its declared hours, 429s before
`Retry-After`). The `/token` family reports its failed client authentications and their bursts.

Runs after the answer left (`Pipeline._after`), so it costs the client no latency; a client that
behaves triggers nothing. Evidence is masked as the journal masks (journal/masking.py): never a
secret or a token (a token is named by `token_ref`), identifiers with `journal_mask_keep`
characters at each end.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from datetime import datetime
from typing import Any

import orjson

from ficoba_sandbox.api.call import AUTHORIZATION, SECURITY_EVENT, Call
from ficoba_sandbox.api.record import bearer_facts, form_client_id, parse_authorization, token_ref
from ficoba_sandbox.domain.clock import paris
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.events import EventType, Hours, SecurityEvent
from ficoba_sandbox.journal import Masker
from ficoba_sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)

#: gateway/tokens.py and gateway/checks.py reasons (`error_description` of the 401 900901)
_TOKEN_REASONS = {
    "token expired": EventType.TOKEN_EXPIRED,
    "token revoked": EventType.TOKEN_REVOKED,
    "client unknown or revoked": EventType.TOKEN_REVOKED,
    "token bound to another certificate": EventType.TOKEN_BINDING_VIOLATION,
    "invalid token": EventType.TOKEN_FORGED,
    "malformed token": EventType.TOKEN_FORGED,
    "unexpected token type or algorithm": EventType.TOKEN_FORGED,
    "token not yet valid": EventType.TOKEN_FORGED,
}
#: the backend's rights refusals (backend/rules.py `check_requester`, CONTRACT §6.4)
_RIGHTS = {
    "CAF030": EventType.REQUESTER_NOT_REGISTERED,
    "CAF003": EventType.MOTIF_NOT_REGISTERED,
    "CAF031": EventType.ACCESS_REFUSED,
    "900910": EventType.ACCESS_REFUSED,
}


#: the types `X-Sandbox-Security-Event` may ask for: those of an authenticated call (a refused
#: handshake or a failed client authentication never reaches the resources)
PROVOKABLE = tuple(
    t for t in EventType if t not in (EventType.TLS_HANDSHAKE_REFUSED, EventType.CLIENT_AUTH_FAILED)
)


def check_provoked(call: Call) -> None:
    """`X-Sandbox-Security-Event: <type>` names one of `PROVOKABLE`, else 400 CAF002 saying
    which (docs/qa.md, "Security events on demand")."""
    value = call.headers.first(SECURITY_EVENT)
    if value is not None and value.strip() not in PROVOKABLE:
        raise FicobaError(
            "CAF002",
            message=f"Format incorrect : X-Sandbox-Security-Event {value.strip()[:64]!r} inconnu. "
            f"Valeurs possibles : {', '.join(PROVOKABLE)}",
        )


@functools.lru_cache(maxsize=256)
def cert_sha256(der: bytes) -> str:
    """ECS `tls.client.hash.sha256`: SHA-256 of the certificate's DER, upper-case hex."""
    return hashlib.sha256(der).hexdigest().upper()


def _description(call: Call) -> str | None:
    refusal = call.refusal
    if refusal is None or not refusal.headers:
        return None
    challenge = refusal.headers.get("WWW-Authenticate", "")
    _, found, rest = challenge.partition('error_description="')
    return rest.split('"', 1)[0] if found else None


class SecurityEvents:
    """Derives the events of the API's calls for one sandbox (its `EventLog`, its detectors)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.events = sandbox.events
        self.detectors = sandbox.detectors
        settings = sandbox.settings
        self.masker = Masker(enabled=settings.mask_journal, keep=settings.journal_mask_keep)

    def _emit(self, type_: EventType, call: Call, client_id: str | None, **evidence: Any) -> None:
        peer = call.peer
        status = call.status
        self.events.emit(
            SecurityEvent(
                type_,
                call.at,
                client_id=client_id,
                peer_ip=peer.ip,
                cert_sha256=cert_sha256(peer.cert_der) if peer.cert_der else None,
                correlation_id=call.correlation_id,
                evidence={
                    "method": call.method,
                    "path": self.masker.text(call.path),
                    "status": status,
                    "request_id": call.request_id,
                    **{k: v for k, v in evidence.items() if v is not None},
                },
                outcome="unknown" if status is None else "failure" if status >= 400 else "success",
            )
        )

    # -- the resources -----------------------------------------------------------------------

    def observe(self, call: Call) -> None:
        """The events of a resource call, once answered."""
        refused_by = call.refused_by
        if refused_by == "bearer_token":
            self._token_refused(call)
        auth = call.auth
        if auth is None:
            return
        client_id = auth.record.client_id
        now = call.at.timestamp()
        if refused_by is not None:
            self._refused(call, client_id, refused_by, now)
        detectors = self.detectors
        if call.correlation_id is not None and detectors.correlation.seen_before(
            client_id, call.correlation_id, now
        ):
            self._emit(EventType.CORRELATION_ID_REUSED, call, client_id)
        hours_text = getattr(auth.record, "hours", None)
        if hours_text:
            hours = _hours(hours_text)
            if hours is not None and not hours.contains(call.at):
                self._emit(
                    EventType.OUT_OF_HOURS,
                    call,
                    client_id,
                    hours=str(hours),
                    local_time=_local(call.at),
                )
        if call.demande is not None and call.status == 200:
            self._enumeration(call, client_id, now)
        provoked = call.headers.first(SECURITY_EVENT)
        if provoked is not None and refused_by is None and provoked.strip() in PROVOKABLE:
            # on demand: the event a SIEM rule should catch, shaped as the real one
            self._emit(EventType(provoked.strip()), call, client_id, provoked=True)

    def _token_refused(self, call: Call) -> None:
        reason = _description(call)
        type_ = _TOKEN_REASONS.get(reason or "")
        if type_ is None and reason is not None and call.peer.cert_refused == reason:
            type_ = EventType.TOKEN_BINDING_VIOLATION  # a forwarded certificate not trusted
        if type_ is None:
            return
        _, _, bearer = parse_authorization(call.headers.first(AUTHORIZATION))
        claimed, jti, expiry = bearer_facts(bearer) if bearer else (None, None, None)
        self._emit(
            type_,
            call,
            claimed,
            reason=reason,
            code=call.refusal.code if call.refusal is not None else None,
            token_ref=token_ref(jti) if jti else None,
            token_exp=expiry,
        )

    def _refused(self, call: Call, client_id: str, refused_by: str, now: float) -> None:
        refusal = call.refusal
        code = refusal.code if refusal is not None else None
        if refused_by == "ip_allow_list":
            self._emit(EventType.IP_NOT_ALLOWED, call, client_id, code=code)
        elif refused_by == "operation_scope":
            self._emit(EventType.ACCESS_REFUSED, call, client_id, code=code, check="scope")
        elif refused_by == "rights" and code in _RIGHTS:
            self._emit(_RIGHTS[code], call, client_id, code=code, **self._envelope(call))
        elif refused_by in ("quota", "drills") and call.status == 429:
            self._throttled(call, client_id, now)
        elif refused_by == "drills" and call.drill == "token_expiry":
            self._emit(EventType.TOKEN_EXPIRED, call, client_id, code=code, drill=call.drill)

    def _envelope(self, call: Call) -> dict[str, Any]:
        """The requester and motif the call named, masked as in the journal."""
        document = call.json()
        facts: dict[str, Any] = {}
        if isinstance(document, dict):
            for key in ("siretDemandeur", "sirenDemandeur", "motif"):
                value = document.get(key)
                if isinstance(value, str):
                    facts[key] = self.masker.value(key, value)[:64]
        return facts

    def _throttled(self, call: Call, client_id: str, now: float) -> None:
        detectors = self.detectors
        decision = call.quota
        retry_after = decision.retry_after if decision is not None else None
        told = (
            call.refusal.headers.get("Retry-After")
            if call.refusal and call.refusal.headers
            else None
        )
        if told is not None and told.isdigit():
            retry_after = int(told)  # a drill's 429 says its own
        told_until = detectors.retry_at.get(client_id)
        if told_until is not None and now < told_until:
            if detectors.early_retries.hit(client_id, now):
                self._emit(
                    EventType.RETRY_AFTER_IGNORED,
                    call,
                    client_id,
                    retry_after=retry_after,
                    repeats=detectors.policy.retry_after_repeats,
                )
        elif detectors.saturation.hit(client_id, now):
            self._emit(
                EventType.QUOTA_SATURATED,
                call,
                client_id,
                quota=decision.quota if decision is not None else None,
                retry_after=retry_after,
            )
        if retry_after:
            detectors.retry_at[client_id] = now + retry_after
            if len(detectors.retry_at) > 4096:
                detectors.retry_at.pop(next(iter(detectors.retry_at)))

    def _enumeration(self, call: Call, client_id: str, now: float) -> None:
        detectors = self.detectors
        document = call.json()
        criteres = document.get("criteresRecherche") if isinstance(document, dict) else None
        digest = hashlib.blake2b(
            orjson.dumps(criteres, option=orjson.OPT_SORT_KEYS), digest_size=12
        ).hexdigest()
        policy = detectors.policy
        answer = call.answer
        distinct = detectors.enumeration.add(client_id, digest, now)
        empty = (
            answer is not None
            and answer.info_code is not None
            and detectors.no_result.hit(client_id, now)
        )
        if (distinct or empty) and detectors.enumeration_reported.hit(client_id, now):
            self._emit(
                EventType.ENUMERATION,
                call,
                client_id,
                pattern="distinct_identifiers" if distinct else "no_result_answers",
                threshold=policy.enumeration_distinct if distinct else policy.enumeration_no_result,
                window_seconds=policy.enumeration_window,
            )

    # -- /token, /revoke, /introspect ------------------------------------------------------

    def client_authentication(self, call: Call, error: str | None) -> None:
        """A failed client authentication (`invalid_client`, RFC 6749 §5.2), and the burst of
        them from one client id or one peer."""
        if error != "invalid_client":
            return
        _, basic_user, _ = parse_authorization(call.headers.first(AUTHORIZATION))
        claimed = (form_client_id(call.body) if call.body else None) or basic_user
        if claimed is not None:
            claimed = claimed[:200]
        self._emit(EventType.CLIENT_AUTH_FAILED, call, claimed, endpoint=call.path)
        detectors = self.detectors
        now = call.at.timestamp()
        policy = detectors.policy
        by_client = claimed is not None and detectors.auth_client.hit(claimed, now)
        by_peer = call.peer.ip is not None and detectors.auth_peer.hit(call.peer.ip, now)
        if by_client or by_peer:
            self._emit(
                EventType.CLIENT_AUTH_BURST,
                call,
                claimed,
                endpoint=call.path,
                key="client_id" if by_client else "peer",
                threshold=policy.auth_burst if by_client else policy.auth_peer_burst,
                window_seconds=policy.auth_window,
            )


@functools.lru_cache(maxsize=256)
def _hours(text: str) -> Hours | None:
    try:
        return Hours.parse(text)
    except ValueError:
        return None


def _local(at: datetime) -> str:
    return at.astimezone(paris()).strftime("%H:%M")
