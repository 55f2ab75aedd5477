"""Per-client quota: a moving window of 60 s over `limits.aio` storage, timed by the app clock.

Semantics (docs/quota.md):

- one counter per authenticated `client_id`, never per IP or per a header the caller chooses;
- a call is admitted when fewer than `quota` calls were admitted in the 60 seconds before it
  (moving window, exact: no 2x burst at a minute boundary as with a fixed window);
- a call admitted at instant t stops counting strictly after t + 60 s;
- refused calls (429) do not consume quota, so a client that keeps retrying is not locked out
  for longer than the window;
- time is the app's injectable clock (`domain.clock.Clock`), so tests advance it instead of
  sleeping. `limits` itself reads `time.time()`, so the two storages below subclass the `limits.aio`
  storages and pass the clock's timestamp to the same data structures (memory) and to the same
  Lua scripts (Redis). Redis calls are awaited (`redis.asyncio`): the event loop is never blocked.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.errors import StorageError

from ficoba_sandbox.domain.access import DEFAULT_QUOTA
from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.outage import Outage

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
POLICY_NAME = "default"
KEY_PREFIX = "ficoba-sandbox"

__all__ = [
    "WINDOW_SECONDS",
    "Quota",
    "QuotaDecision",
    "QuotaStorageError",
    "storage_from_uri",
    "throttled",
]


class QuotaStorageError(RuntimeError):
    """The quota storage (Redis) cannot be reached: the call is refused, never let through."""


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    """The outcome of one counted call, and what the IETF RateLimit fields say about it."""

    allowed: bool
    quota: int
    remaining: int
    #: whole seconds until the oldest counted call leaves the window (when `remaining` next grows)
    reset_in: int
    window: int = WINDOW_SECONDS

    @property
    def retry_after(self) -> int:
        """`Retry-After` for a 429: whole seconds, at least 1, not before a slot frees."""
        return max(1, self.reset_in)

    def headers(self) -> list[tuple[str, str]]:
        """RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers), + Retry-After."""
        t = self.retry_after if not self.allowed else self.reset_in
        out = [
            ("RateLimit-Policy", f'"{POLICY_NAME}";q={self.quota};w={self.window}'),
            ("RateLimit", f'"{POLICY_NAME}";r={self.remaining};t={t}'),
        ]
        if not self.allowed:
            out.append(("Retry-After", str(self.retry_after)))
        return out


def throttled(quota: int, retry_after: int) -> FicobaError:
    """The 429 `900804` of a client of `quota` calls per minute that may call again in
    `retry_after` seconds, with what its headers say: none left (`RateLimit`), when to retry."""
    decision = QuotaDecision(allowed=False, quota=quota, remaining=0, reset_in=retry_after)
    return FicobaError("900804", headers=dict(decision.headers()))


class _Window:
    """The admitted timestamps of one key, oldest first, in `ts[head:]` (O(1) append and trim).

    Equivalent to the newest-first list trimmed to the quota that `limits` keeps (and the Redis
    script with LTRIM), read without copying it: while the timestamps are in order (the clock
    did not go back) the calls still inside the window are found by bisection. Bounded by time
    as well as by count: an admission also forgets the oldest calls that have left the window
    (older than `now - expiry`), so a client of a large quota keeps only the calls of its last
    minute, not up to its quota (docs/quota.md).
    """

    __slots__ = ("descent", "head", "ts")

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.head = 0
        #: index of the newest timestamp smaller than the one before it (-1: none)
        self.descent = -1

    def __len__(self) -> int:
        return len(self.ts) - self.head

    def nth_newest(self, n: int) -> float:
        return self.ts[len(self.ts) - 1 - n]

    def add(self, now: float, amount: int, limit: int, expiry: float) -> None:
        ts = self.ts
        for _ in range(amount):
            if len(ts) > self.head and now < ts[-1]:
                self.descent = len(ts)
            ts.append(now)
        head = max(self.head, len(ts) - limit)
        # The oldest calls that left the window: they no longer count, now or later (unless the
        # clock goes back, docs/quota.md). Amortised one step per admission.
        horizon = now - expiry
        while ts[head] < horizon:
            head += 1
        self.head = head
        if self.head > 1024 and self.head * 2 > len(ts):
            del ts[: self.head]
            self.descent -= self.head
            self.head = 0

    def inside(self, since: float, limit: int) -> tuple[float | None, int]:
        """Among the `limit` newest: the oldest timestamp >= since (None if none), and how many."""
        ts = self.ts
        lo = max(self.head, len(ts) - limit)
        if self.descent <= lo:  # in order from lo on
            i = bisect.bisect_left(ts, since, lo)
            count = len(ts) - i
            return (ts[i] if count else None), count
        first: float | None = None
        count = 0
        for t in itertools.islice(ts, lo, None):
            if t >= since:
                if first is None:
                    first = t
                count += 1
        return first, count


class _ClockedMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, with timestamps from the app clock.

    Each key holds the admitted timestamps of the window, at most the quota (as the Redis script
    does), so memory stays bounded by the calls of the last minute without the real-time expiry
    task.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__("async+memory://")
        self._clock = clock
        self._mutex = threading.Lock()
        self._log: dict[str, _Window] = {}

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _admit(
        self, key: str, limit: int, expiry: int, amount: int, now: float
    ) -> tuple[_Window, bool]:
        """The key's window, and whether `amount` more calls fit in it (then counted). Under
        the mutex."""
        window = self._log.get(key)
        if window is None:
            window = self._log[key] = _Window()
        if len(window) > limit - amount and window.nth_newest(limit - amount) >= now - expiry:
            return window, False
        window.add(now, amount, limit, expiry)
        return window, True

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._now()
        with self._mutex:
            return self._admit(key, limit, expiry, amount, now)[1]

    def take(self, key: str, limit: int, expiry: int) -> tuple[bool, float, int, float]:
        """`acquire_entry` then `get_moving_window` as one step, at one instant, synchronously:
        (admitted, window start, calls in the window, now). What `Quota.hit` needs per call,
        without the two awaits and `limits`' two error wrappers (the memory storage has no I/O
        error to wrap)."""
        now = self._now()
        with self._mutex:
            window, allowed = self._admit(key, limit, expiry, 1, now)
            start, count = window.inside(now - expiry, limit)
        return allowed, (now if start is None else start), count, now

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self._now()
        with self._mutex:
            window = self._log.get(key)
            start, count = window.inside(now - expiry, limit) if window else (None, 0)
        if start is None:
            return now, 0
        return start, count

    async def clear(self, key: str) -> None:
        with self._mutex:
            self._log.pop(key, None)
        await super().clear(key)

    async def reset(self) -> int | None:
        with self._mutex:
            n = len(self._log)
            self._log.clear()
        return n


#: `limits`' `acquire_moving_window.lua` (newest first, LTRIM to the quota), and then the calls
#: that left the window popped from the oldest end: the list holds the calls of the last minute,
#: not up to the quota (at most one pop per admission once the window is full in time).
_ACQUIRE_MOVING_WINDOW = """
local timestamp = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
if amount > limit then
    return false
end
local entry = redis.call('lindex', KEYS[1], limit - amount)
if entry and tonumber(entry) >= timestamp - expiry then
    return false
end
for i = 1, amount do
    redis.call('lpush', KEYS[1], timestamp)
end
redis.call('ltrim', KEYS[1], 0, limit - 1)
local oldest = redis.call('lindex', KEYS[1], -1)
while oldest and tonumber(oldest) < timestamp - expiry do
    redis.call('rpop', KEYS[1])
    oldest = redis.call('lindex', KEYS[1], -1)
end
redis.call('expire', KEYS[1], expiry)
return true
"""


class _ClockedRedisStorage(RedisStorage):
    """`limits`' asyncio Redis storage (redis-py), with timestamps from the app clock.

    Uses `limits`' Lua script `moving_window` and its `acquire_moving_window` bounded by time
    (`_ACQUIRE_MOVING_WINDOW`), which take the timestamp as an argument; every call is awaited
    on the running loop.
    """

    def __init__(self, uri: str, clock: Clock, **options: Any) -> None:
        options.setdefault("socket_timeout", 2)
        options.setdefault("socket_connect_timeout", 2)
        super().__init__(
            uri,
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            **options,
        )
        self._clock = clock
        bridge: Any = self.bridge
        self._acquire = bridge.get_connection().register_script(_ACQUIRE_MOVING_WINDOW)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        bridge: Any = self.bridge
        try:
            acquired = await self._acquire(
                [bridge.prefixed_key(key)], [self._now(), limit, expiry, amount]
            )
        except self.base_exceptions as exc:
            raise StorageError(exc) from exc
        return bool(acquired)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        bridge: Any = self.bridge
        now = self._now()
        try:
            window = await bridge.lua_moving_window(
                [bridge.prefixed_key(key)], [now - expiry, limit]
            )
        except self.base_exceptions as exc:
            raise StorageError(exc) from exc
        if window:
            return float(window[0]), int(window[1])
        return now, 0


def _cause(exc: Exception) -> str:
    """One line: the storage's own error (`limits` wraps it), without its traceback."""
    inner = getattr(exc, "storage_error", None) or exc.__cause__ or exc
    return f"{type(inner).__name__}: {inner}".replace("\n", " ")


def storage_from_uri(uri: str, clock: Clock) -> MemoryStorage | RedisStorage:
    """`memory://` (default) or `redis://HOST:PORT/DB` (also `rediss://`, `redis+unix://`)."""
    scheme = uri.split("://", 1)[0].lower().removeprefix("async+")
    if scheme == "memory":
        return _ClockedMemoryStorage(clock)
    if scheme in ("redis", "rediss", "redis+unix"):
        try:
            return _ClockedRedisStorage(uri, clock)
        except Exception as exc:  # ConfigurationError (no redis client), bad URI
            raise ValueError(f"quota storage {uri!r}: {exc}") from exc
    raise ValueError(f"unsupported quota storage {uri!r}: use memory:// or redis://HOST:PORT/DB")


class Quota:
    """Calls per minute per client. `hit` counts a call; `state` and `reset` serve the admin plane."""

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        clock: Clock,
        default_quota: int = DEFAULT_QUOTA,
        window: int = WINDOW_SECONDS,
    ) -> None:
        if default_quota < 1:
            raise ValueError("the default quota must be at least 1 call per window")
        self.storage_uri = storage_uri
        self.clock = clock
        self.default_quota = default_quota
        self.window = window
        self.storage = storage_from_uri(storage_uri, clock)
        #: Redis lost and back, logged once each way, not once per refused call
        self.outage = Outage(log, "quota storage")

    @property
    def shared(self) -> bool:
        return not isinstance(self.storage, _ClockedMemoryStorage)

    @staticmethod
    def key(client_id: str) -> str:
        # Independent of the quota value: changing a client's tier keeps its history.
        return f"quota/{client_id}"

    def _decision(
        self, allowed: bool, quota: int, start: float, count: int, now: float | None = None
    ) -> QuotaDecision:
        if now is None:
            now = self.clock.now().timestamp()
        reset_in = math.ceil(start + self.window - now) if count else 0
        return QuotaDecision(
            allowed=allowed,
            quota=quota,
            remaining=max(0, quota - count),
            reset_in=max(0, min(reset_in, self.window)),
            window=self.window,
        )

    async def hit(self, client_id: str, quota: int | None = None) -> QuotaDecision:
        """Count one call of `client_id` if its quota allows it. Raises QuotaStorageError."""
        quota = quota or self.default_quota
        key = self.key(client_id)
        if type(self.storage) is _ClockedMemoryStorage:  # in process: one synchronous step
            allowed, start, count, now = self.storage.take(key, quota, self.window)
            return self._decision(allowed, quota, start, count, now)
        try:
            allowed = await self.storage.acquire_entry(key, quota, self.window)
            start, count = await self.storage.get_moving_window(key, quota, self.window)
        except Exception as exc:  # StorageError, or what a broken connection raises unwrapped
            self.outage.failed(_cause(exc))
            raise QuotaStorageError(f"quota storage unavailable: {_cause(exc)}") from None
        self.outage.recovered()
        return self._decision(allowed, quota, start, count)

    async def state(self, client_id: str, quota: int | None = None) -> dict[str, Any]:
        """What the admin plane shows: quota, calls counted in the window, remaining, reset."""
        quota = quota or self.default_quota
        try:
            start, count = await self.storage.get_moving_window(
                self.key(client_id), quota, self.window
            )
        except StorageError as exc:
            raise QuotaStorageError(f"quota storage unavailable: {exc}") from exc
        d = self._decision(count < quota, quota, start, count)
        return {
            "client_id": client_id,
            "quota": quota,
            "window_seconds": self.window,
            "used": min(count, quota),
            "remaining": d.remaining,
            "reset_in_seconds": d.reset_in,
            "storage": "redis" if self.shared else "memory",
        }

    async def reset(self, client_id: str) -> None:
        """Forget every call counted for `client_id` (in the shared storage too)."""
        try:
            await self.storage.clear(self.key(client_id))
        except StorageError as exc:
            raise QuotaStorageError(f"quota storage unavailable: {exc}") from exc

    async def check(self) -> bool:
        try:
            return bool(await self.storage.check())
        except Exception:
            return False

    async def aclose(self) -> None:
        """Close the shared storage's connections (Redis); nothing to do in memory."""
        bridge = getattr(self.storage, "bridge", None)
        storage = getattr(bridge, "storage", None)
        if storage is not None and hasattr(storage, "aclose"):
            await storage.aclose()
