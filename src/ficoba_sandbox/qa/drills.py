"""Recette drills: a documented sequence of incidents during a client's acceptance run.

`ficoba-sandbox recette start --dir D --client ID [--drills all|LIST]` writes a *plan* to
`D/recette/drills/<client_id>.json` (atomically); `recette stop` marks it disarmed. A running
server started on the same `D` sees the plan at the client's next call (one `stat` per call, as
the client registry is re-read), so the CLI needs no connection to the server and every replica
on `D` applies it. The admin plane's `POST/DELETE /__sandbox/recette/{client_id}/drills` writes
the same file.

The drills are counted in the client's own resource calls (`/comptes/...`) after arming, so the
sequence does not depend on how fast the client goes. With `all`, in this order:

| drill | at call | what the client gets |
|---|---|---|
| `token_expiry` | 3 | its token is declared expired: 401 `900901` (`error="invalid_token"`, "token expired") on that call and every later call with the same token |
| `throttling` | 7 | 429 `900804` with `Retry-After: 2`; every call in the next 2 s is refused the same way |
| `maintenance` | 11 | 503 `CAT001` with `Retry-After: 3`; every call in the next 3 s is refused |
| `error_500` | 15 | one 500 `CAT004` "Erreur technique interne Ficoba" |
| `slow` | 19 | that call and the next answer after 1.5 s each (still below the timeout) |

A drill whose call number is reached while another drill's window is open fires at the next
call after it. The pipeline's `drills` step applies `DrillRunner.effect` after the quota and the
availability checks (docs/architecture.md); each journal row shaped by a drill has
`details.drill` = the drill's name; the `start` and `stop` commands add a row of their own
(method `RECETTE`).

Windows are timed by the sandbox's clock: run a recette with the clock running. Counters live in
the server's memory: with several replicas, each counts its own calls.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.private import private_dir
from ficoba_sandbox.domain.watch import Watch
from ficoba_sandbox.gateway.checks import invalid_token
from ficoba_sandbox.gateway.quota import throttled
from ficoba_sandbox.journal import CallRecord, Journal

PLAN_FORMAT = "ficoba-sandbox/recette-drills/v1"
PLAN_DIR = Path("recette") / "drills"


@dataclass(frozen=True, slots=True)
class DrillKind:
    name: str
    status: int
    code: str | None
    seconds: float  # window (throttling, maintenance) or delay (slow)
    count: int  # calls affected (slow), 1 otherwise
    fr: str
    en: str


KINDS: dict[str, DrillKind] = {
    k.name: k
    for k in (
        DrillKind(
            "token_expiry",
            401,
            "900901",
            0,
            1,
            "Expiration anticipée du jeton : 401 900901, le client doit demander un nouveau jeton.",
            "Early token expiry: 401 900901, the client must fetch a new token.",
        ),
        DrillKind(
            "throttling",
            429,
            "900804",
            2,
            1,
            "Limitation de débit : 429 900804 avec Retry-After: 2 pendant 2 s.",
            "Throttling: 429 900804 with Retry-After: 2 for 2 s.",
        ),
        DrillKind(
            "maintenance",
            503,
            "CAT001",
            3,
            1,
            "Fenêtre de maintenance : 503 CAT001 avec Retry-After: 3 pendant 3 s.",
            "Maintenance window: 503 CAT001 with Retry-After: 3 for 3 s.",
        ),
        DrillKind(
            "error_500",
            500,
            "CAT004",
            0,
            1,
            "Erreur technique : une réponse 500 CAT004.",
            "Technical error: one 500 CAT004 answer.",
        ),
        DrillKind(
            "slow",
            200,
            None,
            1.5,
            2,
            "Réponses lentes : deux réponses retardées de 1,5 s.",
            "Slow answers: two answers delayed by 1.5 s.",
        ),
    )
}
ORDER: tuple[str, ...] = tuple(KINDS)
FIRST_CALL = 3
SPACING = 4


class DrillError(ValueError):
    """A bad drill list or client id."""


@dataclass(frozen=True, slots=True)
class Drill:
    name: str
    at_call: int


@dataclass(frozen=True, slots=True)
class Plan:
    client_id: str
    plan_id: str
    armed_at: str
    drills: tuple[Drill, ...]
    disarmed_at: str | None = None

    @property
    def active(self) -> bool:
        return self.disarmed_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "client_id": self.client_id,
            "plan_id": self.plan_id,
            "armed_at": self.armed_at,
            "disarmed_at": self.disarmed_at,
            "drills": [asdict(d) for d in self.drills],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise DrillError(f"unknown drill plan format {data.get('format')!r}")
        return cls(
            client_id=str(data["client_id"]),
            plan_id=str(data["plan_id"]),
            armed_at=str(data["armed_at"]),
            disarmed_at=data.get("disarmed_at"),
            drills=tuple(Drill(str(d["name"]), int(d["at_call"])) for d in data["drills"]),
        )


def parse_drills(spec: str | Iterable[str] | None) -> tuple[str, ...]:
    """`all` (or nothing) -> every drill in the documented order; else a comma-separated list."""
    if spec is None:
        return ORDER
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    names = [n for n in names if n]
    if not names or names == ["all"]:
        return ORDER
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise DrillError(f"unknown drill(s) {', '.join(unknown)}; known: all, {', '.join(ORDER)}")
    return tuple(dict.fromkeys(names))


def make_plan(client_id: str, drills: Iterable[str], at: datetime | None = None) -> Plan:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", client_id):
        raise DrillError(f"invalid client id {client_id!r}")
    names = tuple(drills)
    return Plan(
        client_id=client_id,
        plan_id=str(uuid.uuid4()),
        armed_at=(at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds"),
        drills=tuple(Drill(n, FIRST_CALL + i * SPACING) for i, n in enumerate(names)),
    )


# --------------------------------------------------------------------------------------------
# The plan files
# --------------------------------------------------------------------------------------------


def plan_path(state_dir: Path, client_id: str) -> Path:
    return Path(state_dir) / PLAN_DIR / f"{client_id}.json"


def write_plan(state_dir: Path, plan: Plan) -> Path:
    path = plan_path(state_dir, plan.client_id)
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".plan-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(plan.to_json(), out, indent=2)
        out.write("\n")
    os.replace(tmp, path)
    return path


def read_plan(state_dir: Path, client_id: str) -> Plan | None:
    path = plan_path(state_dir, client_id)
    try:
        return Plan.from_json(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return None


def disarm(state_dir: Path, client_id: str, at: datetime | None = None) -> Plan | None:
    """Mark the client's plan disarmed (kept on disk for the report). None if there was none."""
    plan = read_plan(state_dir, client_id)
    if plan is None or not plan.active:
        return plan
    done = Plan(
        plan.client_id,
        plan.plan_id,
        plan.armed_at,
        plan.drills,
        (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds"),
    )
    write_plan(state_dir, done)
    return done


class PlanStore:
    """The plans under `D/recette/drills/`, re-read when a file changes on disk (looked at every
    `domain.watch.RECHECK_SECONDS` at most: a plan armed by the command line applies within
    that delay)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self._plans: dict[str, tuple[Watch, list[Plan | None]]] = {}

    def get(self, client_id: str) -> Plan | None:
        entry = self._plans.get(client_id)
        if entry is None:
            if len(self._plans) >= 10_000:  # bounded: client ids come from tokens
                self._plans.clear()
            entry = self._plans[client_id] = (Watch(plan_path(self.state_dir, client_id)), [None])
        watch, plan = entry
        if watch.changed():
            plan[0] = None
            if watch.stamp is not None:
                with contextlib.suppress(OSError, ValueError, KeyError, DrillError):
                    plan[0] = Plan.from_json(json.loads(Path(watch.path).read_text("utf-8")))
        return plan[0]

    def forget(self, client_id: str) -> None:
        """Read the client's plan again at the next `get`: this process just wrote it (the
        admin plane's start and stop), so the drills apply at the next call, not after the
        watch's delay."""
        self._plans.pop(client_id, None)


# --------------------------------------------------------------------------------------------
# The server side
# --------------------------------------------------------------------------------------------


@dataclass
class _Runtime:
    calls: int = 0
    fired: dict[str, int] = field(default_factory=dict)  # drill -> call number
    revoked: set[str] = field(default_factory=set)  # token ids declared expired
    window: tuple[str, datetime] | None = None  # (drill, until)
    slow_left: int = 0


@dataclass(frozen=True, slots=True)
class DrillEffect:
    """What an armed drill does to one call: wait `delay` seconds, or refuse it with `error`."""

    name: str
    delay: float = 0.0
    error: FicobaError | None = None


def _window_error(name: str, seconds: int, quota: int) -> FicobaError:
    """The refusal of a call inside a drill's window: the quota's 429 (none left), or a 503."""
    if name == "throttling":
        return throttled(quota, seconds)
    return FicobaError("CAT001", headers={"Retry-After": str(seconds)})


class DrillRunner:
    """The drills of one sandbox: the plans on disk and, per plan, the calls counted so far."""

    def __init__(self, state_dir: Path, clock: Clock) -> None:
        self.plans = PlanStore(state_dir)
        self.clock = clock
        self._runtimes: dict[str, _Runtime] = {}

    def status(self, client_id: str) -> dict[str, Any]:
        plan = self.plans.get(client_id)
        if plan is None:
            return {"client_id": client_id, "armed": False, "plan": None}
        rt = self._runtimes.get(plan.plan_id, _Runtime())
        return {
            "client_id": client_id,
            "armed": plan.active,
            "plan": plan.to_json(),
            "calls_seen": rt.calls,
            "fired": dict(rt.fired),
        }

    def effect(self, client_id: str, token_id: str | None, quota: int) -> DrillEffect | None:
        """The drill shaping this resource call of `client_id` (whose quota is `quota` calls per
        minute), if any; counts the call."""
        plan = self.plans.get(client_id)
        if plan is None or not plan.active:
            return None
        rt = self._runtimes.setdefault(plan.plan_id, _Runtime())
        rt.calls += 1
        now = self.clock.now()
        if token_id is not None and token_id in rt.revoked:
            return DrillEffect("token_expiry", error=invalid_token("token expired"))
        if rt.window is not None:
            name, until = rt.window
            if now < until:
                left = max(1, math.ceil((until - now).total_seconds()))
                return DrillEffect(name, error=_window_error(name, left, quota))
            rt.window = None
        if rt.slow_left > 0:
            rt.slow_left -= 1
            return DrillEffect("slow", delay=KINDS["slow"].seconds)
        for drill in plan.drills:
            if drill.name in rt.fired or drill.at_call > rt.calls:
                continue
            kind = KINDS[drill.name]
            rt.fired[drill.name] = rt.calls
            if drill.name == "token_expiry":
                if token_id is not None:
                    rt.revoked.add(token_id)
                return DrillEffect(drill.name, error=invalid_token("token expired"))
            if drill.name in ("throttling", "maintenance"):
                rt.window = (drill.name, now + timedelta(seconds=kind.seconds))
                return DrillEffect(
                    drill.name, error=_window_error(drill.name, math.ceil(kind.seconds), quota)
                )
            if drill.name == "slow":
                rt.slow_left = kind.count - 1
                return DrillEffect(drill.name, delay=kind.seconds)
            assert kind.code is not None
            return DrillEffect(drill.name, error=FicobaError(kind.code))
        return None


#: the journal path of a `recette start|stop` row (method `RECETTE`)
EVENT_PATH = "/recette/drills/{event}"
START_PATH = EVENT_PATH.format(event="start")


def record_event(
    state_dir: Path, client_id: str, event: str, plan: Plan | None, journal: Journal | None = None
) -> None:
    """A journal row for `recette start|stop` (method `RECETTE`), so drills show in the journal.

    `journal`: the running sandbox's (admin plane); else a short-lived writer on `D`'s journal."""
    own = journal is None
    writer = journal or Journal.in_dir(Path(state_dir), max_rows=0, max_bytes=0, retention_days=0)
    try:
        writer.record(
            CallRecord(
                ts=datetime.now(UTC),
                method="RECETTE",
                path=EVENT_PATH.format(event=event),
                status=200,
                latency_ms=0.0,
                client_id=client_id,
                client_id_source="recette",
                details={
                    "recette": event,
                    "plan_id": plan.plan_id if plan else None,
                    "drills": [f"{d.name}@{d.at_call}" for d in plan.drills] if plan else None,
                },
            )
        )
    finally:
        if own:
            writer.close()
        else:
            writer.flush()
