"""The in-memory moving window (gateway/quota.py `_Window`) against the list `limits` keeps
(newest first, trimmed to the quota, filtered on read): same answers, the clock going back
included."""

from __future__ import annotations

import random

import pytest

from ficoba_sandbox.gateway.quota import _Window


class Reference:
    """The original algorithm (a newest-first list per key)."""

    def __init__(self) -> None:
        self.log: list[float] = []

    def acquire(self, now: float, limit: int, expiry: int, amount: int) -> bool:
        if amount > limit:
            return False
        if len(self.log) > limit - amount and self.log[limit - amount] >= now - expiry:
            return False
        self.log[:0] = [now] * amount
        del self.log[limit:]
        return True

    def window(self, now: float, limit: int, expiry: int) -> tuple[float, int]:
        inside = [t for t in self.log[:limit] if t >= now - expiry]
        return (inside[-1], len(inside)) if inside else (now, 0)


def acquire(w: _Window, now: float, limit: int, expiry: int, amount: int) -> bool:
    if amount > limit:
        return False
    if len(w) > limit - amount and w.nth_newest(limit - amount) >= now - expiry:
        return False
    w.add(now, amount, limit)
    return True


def window(w: _Window, now: float, limit: int, expiry: int) -> tuple[float, int]:
    start, count = w.inside(now - expiry, limit)
    return (now, 0) if start is None else (start, count)


@pytest.mark.parametrize("seed", range(12))
def test_same_answers_as_the_list(seed: int) -> None:
    rng = random.Random(seed)
    ref, w = Reference(), _Window()
    now = 1_000_000.0
    limits = [3, 50, 2000] if seed % 3 else [rng.randint(1, 40)]
    for _ in range(6000):
        r = rng.random()
        if r < 0.02:
            now -= rng.uniform(0, 90)  # the injectable clock goes back
        elif r < 0.6:
            now += rng.choice([0.0, 0.001, 0.01, 0.5, 5.0, 30.0])
        limit = rng.choice(limits)
        amount = 1 if rng.random() < 0.95 else rng.randint(1, 4)
        assert acquire(w, now, limit, 60, amount) == ref.acquire(now, limit, 60, amount)
        probe = now + rng.choice([0.0, 0.0, 1.0, 59.9, 60.0, 61.0])
        assert window(w, probe, limit, 60) == ref.window(probe, limit, 60)


@pytest.mark.parametrize("seed", range(4))
def test_take_is_acquire_then_window(seed: int) -> None:
    """`_ClockedMemoryStorage.take` (what `Quota.hit` calls in process) answers what the two
    `limits` calls it replaces answer, at the same instants, the clock going back included."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from ficoba_sandbox.gateway.quota import _ClockedMemoryStorage

    class Clock:
        at = datetime(2026, 1, 1, tzinfo=UTC)

        def now(self) -> datetime:
            return self.at

    rng = random.Random(seed)
    clock = Clock()
    fast, slow = _ClockedMemoryStorage(clock), _ClockedMemoryStorage(clock)
    limits = [1, 3, 50] if seed % 2 else [rng.randint(1, 20)]

    async def run() -> None:
        for _ in range(3000):
            r = rng.random()
            if r < 0.02:
                clock.at -= timedelta(seconds=rng.uniform(0, 90))
            elif r < 0.6:
                clock.at += timedelta(seconds=rng.choice([0.0, 0.001, 0.5, 5.0, 30.0]))
            limit, key = rng.choice(limits), rng.choice(["a", "b"])
            allowed = await slow.acquire_entry(key, limit, 60)
            start, count = await slow.get_moving_window(key, limit, 60)
            assert fast.take(key, limit, 60) == (allowed, start, count, clock.at.timestamp())

    asyncio.run(run())
