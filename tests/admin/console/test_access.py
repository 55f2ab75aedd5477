"""Who may use the QA console (admin/console/access.py, home.py, app.AdminGuard): the login
form, the session cookie, the CSRF check, the logout, and the JSON index kept for scripts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ficoba_sandbox.admin import create_admin_app
from ficoba_sandbox.admin.console.access import LOGIN_FAILURES_PER_MINUTE, SESSION_COOKIE
from ficoba_sandbox.admin.console.home import back_to
from ficoba_sandbox.admin.console.layout import CONSOLE, LOGIN, LOGOUT, SECTIONS
from ficoba_sandbox.app import SandboxApp
from gateway_support import SyncASGITransport

TOKEN = "console-test-admin-token"
PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SAME = {"Origin": "http://admin", "Sec-Fetch-Site": "same-origin"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def browser(app: SandboxApp) -> Iterator[httpx.Client]:
    """A browser-like client (no token) on an admin plane of the session's app."""
    settings = app.sandbox.settings.model_copy(update={"admin_token": TOKEN})
    admin = create_admin_app(app.sandbox, settings)
    with httpx.Client(transport=SyncASGITransport(admin), base_url="http://admin") as c:
        yield c


def log_in(browser: httpx.Client, token: str = TOKEN, **headers: str) -> httpx.Response:
    return browser.post(
        LOGIN, content=f"token={token}&next={CONSOLE}/journal", headers={**PAGE, **FORM, **headers}
    )


def test_a_browser_without_a_credential_gets_the_login_form_and_nothing_else(
    browser: httpx.Client, demo_creds: dict[str, str]
) -> None:
    for path in (
        "/",
        "/__sandbox/",
        CONSOLE + "/",
        *(p for _, p in SECTIONS),
        "/__sandbox/journal",
    ):
        r = browser.get(path, headers=PAGE)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["cache-control"] == "no-store"
        assert f'action="{LOGIN}"' in r.text and 'type="password"' in r.text
        assert demo_creds["client_id"] not in r.text and "/__sandbox/clock" not in r.text
        assert f'href="{CONSOLE}/journal"' not in r.text  # no nav either
    # scripts keep the JSON index, public as before
    assert browser.get("/").json()["openapi"] == "/__sandbox/openapi.json"
    assert browser.get("/__sandbox/journal").status_code == 401


def test_login_sets_a_session_cookie_that_is_not_the_token(browser: httpx.Client) -> None:
    r = log_in(browser, **SAME)
    assert r.status_code == 303 and r.headers["location"] == CONSOLE + "/journal"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=") and TOKEN not in cookie
    assert {"Path=/", "HttpOnly", "SameSite=Strict"} <= {p.strip() for p in cookie.split(";")}
    home = browser.get(CONSOLE + "/", headers=PAGE)
    assert home.status_code == 200 and "<code>/__sandbox/clock/reset</code>" in home.text
    assert TOKEN not in home.text and f'action="{LOGOUT}"' in home.text
    for name, path in SECTIONS:
        page = browser.get(path, headers=PAGE)
        assert page.status_code == 200 and 'aria-current="page"' in page.text, name
        assert f'id="nav-{name}" aria-current="page"' in page.text
    # the session opens the admin routes too
    assert browser.get("/__sandbox/health").status_code == 200


def test_a_wrong_token_or_a_forged_cookie_opens_nothing(browser: httpx.Client) -> None:
    r = log_in(browser, token="not-the-token", **SAME)
    assert r.status_code == 401 and 'role="alert"' in r.text and "set-cookie" not in r.headers
    # not the form: too many fields, too long, not text
    for body in ("a=1&b=2&c=3&d=4&e=5&token=" + TOKEN, "token=" + "x" * 100_000, b"\xff\xfe"):
        r = browser.post(LOGIN, content=body, headers={**PAGE, **FORM, **SAME})
        assert r.status_code == 401 and "set-cookie" not in r.headers
    browser.cookies.set(SESSION_COOKIE, "forged-session-id")
    assert browser.get(CONSOLE + "/journal", headers=PAGE).status_code == 401
    assert browser.get("/__sandbox/health").status_code == 401


def test_failed_logins_are_throttled_per_address_and_the_right_token_is_not_counted(
    app: SandboxApp,
) -> None:
    settings = app.sandbox.settings.model_copy(update={"admin_token": TOKEN})
    admin = create_admin_app(app.sandbox, settings)

    def client(peer: str) -> httpx.Client:
        transport = SyncASGITransport(admin, client=(peer, 50000))
        return httpx.Client(transport=transport, base_url="http://admin")

    with client("192.0.2.7") as guesser, client("192.0.2.8") as other:
        for _ in range(5):  # right logins never count
            assert log_in(guesser, **SAME).status_code == 303
        for n in range(LOGIN_FAILURES_PER_MINUTE):
            assert log_in(guesser, token=f"guess-{n}", **SAME).status_code == 401
        r = log_in(guesser, token="guess-again", **SAME)
        assert r.status_code == 429 and 'role="alert"' in r.text
        assert 1 <= int(r.headers["retry-after"]) <= 61
        assert "set-cookie" not in r.headers
        # throttled means throttled: the right token waits too, the other address does not
        assert log_in(guesser, **SAME).status_code == 429
        assert log_in(other, **SAME).status_code == 303


def test_cross_site_requests_are_refused(browser: httpx.Client) -> None:
    # a login from another site (login CSRF) and without any origin header
    assert log_in(browser, Origin="http://evil.example").status_code == 403
    assert log_in(browser, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert log_in(browser).status_code == 403
    assert log_in(browser, **SAME).status_code == 303
    # an unsafe request the cookie carries, from another site: refused, session kept
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "same-site"}, {}):
        r = browser.post("/__sandbox/clock/freeze", headers=headers)
        assert r.status_code == 403, headers
    assert browser.post(LOGOUT, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert browser.get(CONSOLE + "/", headers=PAGE).status_code == 200


def test_logout_ends_the_session(browser: httpx.Client) -> None:
    log_in(browser, **SAME)
    sid = browser.cookies[SESSION_COOKIE]
    r = browser.post(LOGOUT, headers=SAME)
    assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
    browser.cookies.set(SESSION_COOKIE, sid)  # replaying the old cookie
    assert browser.get(CONSOLE + "/", headers=PAGE).status_code == 401


def test_the_language_switch_is_kept(browser: httpx.Client) -> None:
    log_in(browser, **SAME)
    fr = browser.get(CONSOLE + "/magic?lang=fr", headers=PAGE)
    assert '<html lang="fr">' in fr.text and "Valeurs magiques" in fr.text
    again = browser.get(CONSOLE + "/magic", headers=PAGE)
    assert '<html lang="fr">' in again.text
    en = browser.get(CONSOLE + "/magic", headers=PAGE, params={"lang": "en"})
    assert '<html lang="en">' in en.text and "Magic values" in en.text
    assert '<html lang="en">' in browser.get(CONSOLE + "/magic", headers=PAGE).text


def test_static_files_are_served_without_a_credential(browser: httpx.Client) -> None:
    js = browser.get(CONSOLE + "/static/htmx-2.0.11/htmx.min.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert browser.get(CONSOLE + "/static/console.css").status_code == 200
    assert browser.get(CONSOLE + "/static/../layout.py").status_code in (401, 404)


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        (CONSOLE + "/magic", CONSOLE + "/magic"),
        ("/", "/"),
        ("https://evil.example/", CONSOLE + "/"),
        ("//evil.example/", CONSOLE + "/"),
        ("/__sandbox//evil.example", CONSOLE + "/"),
        ("/__sandbox/\\evil", CONSOLE + "/"),
        ("/elsewhere", CONSOLE + "/"),
        ("", CONSOLE + "/"),
    ],
)
def test_login_goes_back_only_to_the_admin_plane(asked: str, goes: str) -> None:
    assert back_to(asked) == goes


def test_every_page_has_its_strings_in_both_languages_and_hides_none_of_the_frame() -> None:
    """A page's `TEXTS` key equal to one of the frame's (a section's name in the nav) or to a
    dict method (`t.clear` is `dict.clear` in Jinja2) would show the wrong words."""
    from ficoba_sandbox.admin.console import (
        clients,
        controls,
        journal,
        layout,
        magic,
        personas,
        recette,
    )

    frame = set(layout.TEXTS["en"]) | set(dir(dict))
    assert set(layout.TEXTS["en"]) == set(layout.TEXTS["fr"])
    for page in (personas, magic, journal, controls, recette, clients):
        assert set(page.TEXTS["en"]) == set(page.TEXTS["fr"]), page.__name__
        assert not set(page.TEXTS["en"]) & frame, page.__name__
