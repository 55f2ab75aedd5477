"""Client authentication at `/token`, as the server affords it: the secret checked off the event
loop, and a back-off for repeated failures (docs/security.md, "Client authentication").

- **Off the event loop.** A client secret is checked against its scrypt hash
  (`registry.verify_secret`), about 50 ms of CPU by design. On the event loop, eight parallel
  streams of wrong secrets made every other client wait behind them (the median `/etatSante`
  went from 3 ms to over 300 ms). The check runs in a worker thread (`anyio.to_thread`), at
  most `threads` at once: a `CapacityLimiter` of its own, so a burst of guesses queues there and
  takes neither the event loop nor the worker threads the rest of the server uses. CPython's
  `hashlib.scrypt` releases the GIL while it hashes, so the loop keeps serving meanwhile; one CPU
  is left to the loop (`default_threads`).
- **Failure back-off.** Per `client_id` and per peer address (the resolved peer,
  gateway/peer.py), when `client_failures` (resp. `peer_failures`) authentications failed in the
  last `window` seconds, `/token` answers 429 with `Retry-After` (the seconds until the oldest of
  those failures leaves the window) before any secret is hashed. An attempt is counted when it
  starts, so parallel guesses cannot overshoot the threshold while their hashes run; a success
  takes it back and clears the client's failures (not the peer's: one valid credential must not
  launder a peer's guesses). Refused attempts (the 429s) are not counted: a client that keeps
  retrying waits one window, no more. A threshold of 0 turns that back-off off.
- **Held refusals.** A 429 is sent after `REFUSAL_DELAY` seconds (a timer: no thread, no CPU).
  Answered at once, eight streams that ignore `Retry-After` sent about 660 refused guesses a
  second, and that flood, cheap per request, still slowed the other clients more than the
  hashing itself (bench/run.py, section auth); held, each stream sends one a second.
- **Bounded memory.** Each key keeps at most its threshold's worth of instants, and each table
  at most `MAX_KEYS` keys, the least recently failed dropped first: rotating client ids or peers
  cannot grow it. (The `limits` library of the quota does not fit: its in-memory storage keeps
  every key until a wall-clock timer expires it, so rotating ids grows it with the request rate,
  and it reads `time.time()` rather than the sandbox's clock.)
- Time is the sandbox's clock (`clock advance` ends a back-off, as it ends a quota window).
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import anyio
import anyio.to_thread

from ficoba_sandbox.domain.clock import Clock
from ficoba_sandbox.gateway.registry import verify_secret

#: keys (client ids, peer addresses) each table remembers; beyond, the least recently failed go
MAX_KEYS = 4096
#: seconds a back-off refusal (429) is held before it is sent
REFUSAL_DELAY = 1.0


def default_threads() -> int:
    """Secrets hashed at once: every CPU but one (left to the event loop), between 1 and 4."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """The failure back-off's settings (`token_backoff_*`, docs/security.md)."""

    window: int = 60
    client_failures: int = 10
    peer_failures: int = 100


@dataclass(frozen=True, slots=True)
class Attempt:
    """One client authentication under way: what it was counted as, or why it may not start."""

    client_key: str
    peer_key: str | None
    at: float
    #: seconds to wait before trying again (0: the attempt was admitted and counted)
    retry_after: int = 0


class _Failures:
    """Failure instants per key, oldest first, each list trimmed to `limit`; at most `MAX_KEYS`
    keys, the least recently failed evicted first. Not thread-safe (the caller's lock)."""

    __slots__ = ("_keys", "limit", "window")

    def __init__(self, limit: int, window: int) -> None:
        self.limit = limit
        self.window = window
        self._keys: OrderedDict[str, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def wait(self, key: str | None, now: float) -> int:
        """Whole seconds until `key` may try again (0: now)."""
        if key is None or self.limit <= 0:
            return 0
        times = self._keys.get(key)
        if times is None or len(times) < self.limit:
            return 0
        left = times[-self.limit] + self.window - now
        if left <= 0:
            return 0
        # at least 1 (RFC 9110 §10.2.3 delay-seconds), at most one window (the clock went back)
        return max(1, min(math.ceil(left), self.window))

    def add(self, key: str | None, now: float) -> None:
        if key is None or self.limit <= 0:
            return
        times = self._keys.pop(key, None) or []
        times.append(now)
        del times[: -self.limit]
        self._keys[key] = times
        while len(self._keys) > MAX_KEYS:
            self._keys.popitem(last=False)

    def take_back(self, key: str | None, at: float) -> None:
        """Forget one failure counted at `at` (an attempt that succeeded)."""
        if key is None or (times := self._keys.get(key)) is None:
            return
        for i in range(len(times) - 1, -1, -1):
            if times[i] == at:
                del times[i]
                break
        if not times:
            del self._keys[key]

    def clear(self, key: str) -> None:
        self._keys.pop(key, None)


class ClientAuthentication:
    """The token endpoint's client authentication: back-off, then the secret in a thread."""

    def __init__(
        self, clock: Clock, policy: BackoffPolicy | None = None, *, threads: int | None = None
    ) -> None:
        self.clock = clock
        self.policy = policy or BackoffPolicy()
        self._clients = _Failures(self.policy.client_failures, self.policy.window)
        self._peers = _Failures(self.policy.peer_failures, self.policy.window)
        self._lock = threading.Lock()
        self.threads = threads or default_threads()
        self.refusal_delay = REFUSAL_DELAY
        self._limiter: anyio.CapacityLimiter | None = None

    def begin(self, client_id: str, peer_ip: str | None) -> Attempt:
        """Admit an authentication of `client_id` from `peer_ip` and count it as a failure until
        it succeeds (`succeeded`); or say how long to wait (`retry_after`), counting nothing."""
        now = self.clock.now().timestamp()
        with self._lock:
            wait = max(self._clients.wait(client_id, now), self._peers.wait(peer_ip, now))
            if wait:
                return Attempt(client_id, peer_ip, now, retry_after=wait)
            self._clients.add(client_id, now)
            self._peers.add(peer_ip, now)
        return Attempt(client_id, peer_ip, now)

    async def hold_refusal(self) -> None:
        """Wait `refusal_delay` before a 429 goes out (a timer on the loop, nothing else)."""
        if self.refusal_delay > 0:
            await anyio.sleep(self.refusal_delay)

    def succeeded(self, attempt: Attempt) -> None:
        """The client authenticated: its failures are forgotten, the peer's attempt taken back."""
        with self._lock:
            self._clients.clear(attempt.client_key)
            self._peers.take_back(attempt.peer_key, attempt.at)

    def tracked(self) -> tuple[int, int]:
        """How many client ids and peers the back-off remembers (bounded by `MAX_KEYS`)."""
        with self._lock:
            return len(self._clients), len(self._peers)

    async def verify_secret(self, secret: str, stored: str | None) -> bool:
        """`registry.verify_secret` in a worker thread, at most `threads` at once."""
        if self._limiter is None:  # made on the server's event loop, at its first use
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(verify_secret, secret, stored, limiter=self._limiter)
