"""`GET clock` and `POST clock/freeze|unfreeze|advance|reset`: the sandbox's one clock, which
tokens, quota windows and the dates of the requests follow (docs/qa.md, "Admin plane"). A move
back in time (a freeze in the past, a reset from ahead) can make an expired token valid again: it
is an admin event (docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from ficoba_sandbox.admin.common import PREFIX, admin_event, today
from ficoba_sandbox.domain.clock import SystemClock
from ficoba_sandbox.domain.durations import parse_duration
from ficoba_sandbox.sandbox import Sandbox


class FreezeIn(BaseModel):
    at: datetime | None = Field(None, description="instant to freeze at (default: now)")


class AdvanceIn(BaseModel):
    # forward only, as a duration is: `clock/reset` is the way back
    seconds: float | None = Field(None, ge=0)
    duration: str | None = Field(None, description="e.g. 90s, 15m, 2h, 1d")


def clock_json(sandbox: Sandbox) -> dict[str, Any]:
    """What every clock route answers: the sandbox's instant and day, and how far from the
    wall clock they are."""
    clock = sandbox.clock
    now = clock.now()
    return {
        "now": now.isoformat(),
        "frozen": bool(getattr(clock, "frozen", False)),
        "offset_seconds": round((now - datetime.now(UTC)).total_seconds(), 3),
        "today": today(sandbox),
    }


def reset_clock(clock: SystemClock) -> None:
    """Back to the wall clock: unfrozen, no offset."""
    if clock.frozen:
        clock.unfreeze()
    clock.advance(-(clock.now() - datetime.now(UTC)))


#: a move back shorter than this is the wall clock's own jitter between two readings
BACK_TOLERANCE = timedelta(seconds=1)


def moved_back(before: datetime, after: datetime) -> dict[str, str] | None:
    """The details of an admin event when the clock went back from `before` to `after`."""
    if before - after <= BACK_TOLERANCE:
        return None
    return {"clock_from": before.isoformat(), "clock_to": after.isoformat()}


def record_if_back(sandbox: Sandbox, request: Request, before: datetime) -> None:
    back = moved_back(before, sandbox.clock.now())
    if back is not None:
        sandbox.journal.record_event(admin_event(request, "clock.back", **back))


class ClockNotDriven(RuntimeError):
    """A sandbox built on another clock (a test's fixed clock) cannot be moved from here."""


def driven(sandbox: Sandbox) -> SystemClock:
    clock = sandbox.clock
    if not isinstance(clock, SystemClock):
        raise ClockNotDriven("this sandbox's clock cannot be driven")
    return clock


# What the routes below and the console's controls (console/controls.py) both do.


def freeze_clock(sandbox: Sandbox, request: Request, at: datetime | None = None) -> None:
    """Stop the clock at `at` (default: now); an instant without offset is read as UTC."""
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    clock = driven(sandbox)
    before = clock.now()
    clock.freeze(at)
    record_if_back(sandbox, request, before)


def unfreeze_clock(sandbox: Sandbox) -> None:
    # it runs on from the frozen instant: never back
    driven(sandbox).unfreeze()


def advance_clock(sandbox: Sandbox, seconds: float | None, duration: str | None) -> None:
    """Forward by `seconds` or `duration` (90s, 15m, 2h, 1d); ValueError when neither is
    given or the duration does not parse."""
    if seconds is None and not duration:
        raise ValueError("give seconds or duration")
    amount = seconds if seconds is not None else parse_duration(duration or "")
    if amount < 0:
        raise ValueError("the clock only moves forward: clock/reset is the way back")
    driven(sandbox).advance(timedelta(seconds=amount))


def real_time(sandbox: Sandbox, request: Request) -> None:
    """Back to the wall clock, not frozen."""
    clock = driven(sandbox)
    before = clock.now()
    reset_clock(clock)
    record_if_back(sandbox, request, before)


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["clock"])

    def answer(action: Callable[[], None]) -> dict[str, Any]:
        try:
            action()
        except ClockNotDriven as exc:
            raise HTTPException(409, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return clock_json(sandbox)

    @r.get("/clock", summary="The sandbox's instant and day, offset from the wall clock")
    def clock_now() -> dict[str, Any]:
        return clock_json(sandbox)

    @r.post("/clock/freeze", summary="Stop the clock, now or at an instant")
    def clock_freeze(request: Request, body: FreezeIn | None = None) -> dict[str, Any]:
        return answer(lambda: freeze_clock(sandbox, request, body.at if body else None))

    @r.post("/clock/unfreeze", summary="Let a frozen clock run again")
    def clock_unfreeze() -> dict[str, Any]:
        return answer(lambda: unfreeze_clock(sandbox))

    @r.post("/clock/advance", summary="Move the clock forward by a duration")
    def clock_advance(body: AdvanceIn) -> dict[str, Any]:
        return answer(lambda: advance_clock(sandbox, body.seconds, body.duration))

    @r.post("/clock/reset", summary="Back to wall-clock time, not frozen")
    def clock_reset(request: Request) -> dict[str, Any]:
        return answer(lambda: real_time(sandbox, request))

    return r
