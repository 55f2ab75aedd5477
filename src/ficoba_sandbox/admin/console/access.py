"""Who may use the console: the admin plane's rule (admin/app.py), plus a browser session.

A browser cannot send `Authorization: Bearer` on a link, so the console's login form takes the
admin token once and answers with a cookie holding a random session id (RFC 6265 §4.1), mapped
here, in the admin plane's memory, to its expiry: the cookie never holds the token, and the
token never travels in a URL. The cookie is `HttpOnly` (no script reads it), `SameSite=Strict`
(RFC 6265bis §5.4.7: a cross-site request does not carry it) and `Path=/`; it cannot be `Secure`,
the admin plane being plain HTTP (docs/console.md, "Access").

A request the cookie authenticates with an unsafe method must also come from the console's own
pages: `Sec-Fetch-Site: same-origin` (Fetch Metadata, W3C) and, when present, an `Origin` equal
to the listener's own (RFC 6454 §7; OWASP's CSRF cheat sheet, "Verifying origin"). A request
that carries the token itself needs no such check: another site cannot make a browser send it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import SimpleCookie

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import Scope

#: the session cookie's name; its value is a random id, never the token
SESSION_COOKIE = "ficoba_console"
#: a session unused this long is forgotten (seconds): a working day
SESSION_IDLE = 8 * 3600.0
#: at most this many live sessions; the least recently used goes first
MAX_SESSIONS = 256
#: what `app.AdminGuard` records as the credential of a request the cookie authenticated
SESSION_CREDENTIAL = "console session"
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
#: failed logins a peer may make in a minute before the form answers 429: a person mistyping
#: is far below it, a guessing script far above (OWASP Authentication cheat sheet, "Login
#: throttling"); the token's 256 bits make guessing hopeless anyway, the limit keeps the
#: attempts out of the logs and the CPU
LOGIN_FAILURES_PER_MINUTE = 10


class Sessions:
    """The console's live sessions: random id -> expiry (monotonic seconds), in memory only (a
    restart logs every browser out, which is the safe side)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._live: OrderedDict[str, float] = OrderedDict()

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)  # 256 bits from the OS's CSPRNG (PEP 506)
        self._live[sid] = self._clock() + SESSION_IDLE
        while len(self._live) > MAX_SESSIONS:
            self._live.popitem(last=False)
        return sid

    def valid(self, sid: str | None) -> bool:
        """True for a live session (its idle time starts again), else False."""
        if not sid:
            return False
        now = self._clock()
        # constant time per comparison: an answer does not tell how close a guess was
        found = next((s for s in self._live if hmac.compare_digest(s, sid)), None)
        if found is None:
            return False
        if self._live[found] <= now:
            del self._live[found]
            return False
        self._live[found] = now + SESSION_IDLE
        self._live.move_to_end(found)
        return True

    def close(self, sid: str | None) -> None:
        if sid:
            self._live.pop(sid, None)

    def __len__(self) -> int:
        return len(self._live)


class LoginThrottle:
    """Failed logins per peer address in a moving minute (the `limits` library, as the quota).
    Only failures count, so logging in often never throttles; once throttled, every attempt of
    that peer waits, the right token's too (else the 429 would tell a guess was right)."""

    def __init__(self, per_minute: int = LOGIN_FAILURES_PER_MINUTE) -> None:
        self._limit = RateLimitItemPerMinute(per_minute)
        self._window = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, peer: str) -> int:
        """Seconds before `peer` may try again (0: now)."""
        if self._window.test(self._limit, "login", peer):
            return 0
        reset, _ = self._window.get_window_stats(self._limit, "login", peer)
        return max(1, int(reset - time.time()) + 1)

    def failed(self, peer: str) -> None:
        self._window.hit(self._limit, "login", peer)


def session_id(scope: Scope) -> str | None:
    """The session id the request's cookie carries, if any."""
    header = Headers(scope=scope).get("cookie")
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is no session, not an error page
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else None


def same_origin(scope: Scope) -> bool:
    """True when the browser says the request comes from the listener's own pages."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    host = headers.get("host")
    if site is None and origin is None:
        return False  # a browser sends at least one of them on an unsafe request
    if site is not None and site != "same-origin":
        return False
    return origin is None or (host is not None and origin == f"http://{host}")


def session_cookie(sid: str) -> str:
    """The `Set-Cookie` value opening a session (no `Max-Age`: it ends with the browser)."""
    return f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Strict"


def expired_cookie() -> str:
    return f"{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
