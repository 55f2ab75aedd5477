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
