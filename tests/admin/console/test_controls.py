"""The console's controls (admin/console/controls.py): each shows the sandbox's current state
and changes it as the admin routes do, answering htmx with the control alone and a plain form
with a redirect; a refused input is shown in the control, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from ficoba_sandbox.admin.console.controls import PAGE
from ficoba_sandbox.app import SandboxApp
from gateway_support import QAServer

HTMX = {"HX-Request": "true"}


@pytest.fixture
def console(
    open_app: Callable[..., SandboxApp], admin_of: Callable[[SandboxApp], httpx.Client]
) -> Iterator[tuple[httpx.Client, SandboxApp]]:
    """An admin plane (with the token: no CSRF check) on a sandbox of the test's own."""
    app = open_app()
    yield admin_of(app), app


def post(admin: httpx.Client, path: str, form: str = "", htmx: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **(HTMX if htmx else {})}
    return admin.post(f"{PAGE}/{path}", content=form, headers=headers)


def test_the_page_shows_every_control_with_its_state(
    console: tuple[httpx.Client, SandboxApp], demo_creds: dict[str, str]
) -> None:
    admin, _ = console
    page = admin.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for control in ("clock", "maintenance", "latency", "faults", "quota"):
        assert f'id="control-{control}"' in page.text
    assert 'data-state="real"' in page.text and "Real time" in page.text
    assert 'data-available="yes"' in page.text
    assert f'id="quota-{demo_creds["client_id"]}"' in page.text
    fr = admin.get(PAGE, params={"lang": "fr"}).text
    assert "Heure réelle" in fr and "Pannes par client" in fr


def test_the_clock_is_frozen_advanced_released_and_put_back(
    console: tuple[httpx.Client, SandboxApp],
) -> None:
    admin, app = console
    frozen = post(admin, "clock/freeze", "at=2030-01-02T10:15")  # Paris time, winter: UTC+1
    assert frozen.status_code == 200 and frozen.text.lstrip().startswith(
        '<section id="control-clock"'
    )
    assert 'data-state="frozen"' in frozen.text and "2030-01-02 10:15:00 CET" in frozen.text
    assert app.sandbox.clock.now().isoformat() == "2030-01-02T09:15:00+00:00"
    moved = post(admin, "clock/advance", "duration=1d")
    assert "2030-01-03 10:15:00 CET" in moved.text
    running = post(admin, "clock/unfreeze")
    assert 'data-state="offset"' in running.text and not app.sandbox.clock.frozen
    back = post(admin, "clock/reset")
    assert 'data-state="real"' in back.text
    # the move back in time is an admin event, as from the JSON route
    events = admin.get("/__sandbox/journal/events").json()["events"]
    assert [e["action"] for e in events if e["action"] == "clock.back"]


def test_a_plain_form_is_redirected_back_to_the_page(
    console: tuple[httpx.Client, SandboxApp],
) -> None:
    admin, app = console
    r = post(admin, "clock/freeze", "at=", htmx=False)
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}#control-clock"
    assert app.sandbox.clock.frozen
    assert post(admin, "clock/reset", htmx=False).status_code == 303


@pytest.mark.parametrize(
    ("path", "form", "status", "shown"),
    [
        ("clock/advance", "duration=soon", 422, "expected a number with a unit"),
        ("clock/advance", "duration=", 422, "give seconds or duration"),
        ("clock/freeze", "at=yesterday", 422, "is not a date and time"),
        ("latency/set", "spec=fast", 422, "fast"),
        ("faults/set", "client_id=demo-client&error_code=NOPE", 422, "unknown error code"),
        ("faults/set", "client_id=demo-client&error_rate=2", 422, "error_rate must be"),
        ("faults/set", "client_id=demo-client&latency_ms=-5", 422, "latency_ms must be"),
        ("faults/set", "client_id=demo-client&resources=nowhere", 422, "unknown resources"),
        ("faults/set", "client_id=nobody", 422, "Unknown client."),
        ("quota/reset", "client_id=nobody", 422, "Unknown client."),
        ("quota/fill", "client_id=%ff%fe", 422, "Unknown client."),
        ("clock/freeze", "x=" + "y" * 20_000, 400, "not one of the console"),
        ("clock/explode", "", 404, "not one of the console"),
    ],
)
def test_a_refused_input_is_shown_in_its_control(
    console: tuple[httpx.Client, SandboxApp], path: str, form: str, status: int, shown: str
) -> None:
    admin, app = console
    r = post(admin, path, form)
    assert r.status_code == status, r.text
    assert 'role="alert"' in r.text and shown in r.text
    assert "Traceback" not in r.text
    # nothing changed
    assert app.sandbox.faults.get("demo-client") is None and not app.sandbox.clock.frozen
    # without JavaScript: the whole page, the alert in it
    plain = post(admin, path, form, htmx=False)
    assert plain.status_code == status and '<main id="content"' in plain.text
    assert shown in plain.text


def test_maintenance_and_latency(console: tuple[httpx.Client, SandboxApp]) -> None:
    admin, app = console
    down = post(admin, "maintenance/down")
    assert 'data-available="no"' in down.text and "Forced (down)" in down.text
    assert not app.sandbox.levels.service_hours.available()
    up = post(admin, "maintenance/schedule")
    assert 'data-available="yes"' in up.text and "Following the schedule" in up.text
    slow = post(admin, "latency/set", "spec=numCpte%3D300ms")
    assert "<code>numCpte=300ms</code>" in slow.text
    assert app.sandbox.levels.latency.describe() == {"numCpte": "300ms"}
    assert "none" in post(admin, "latency/clear").text
    assert app.sandbox.levels.latency.describe() == {}


def test_faults_per_client(console: tuple[httpx.Client, SandboxApp]) -> None:
    admin, app = console
    form = "client_id=demo-client&error_code=CAT001&error_rate=0.5&latency_ms=20&remaining=3"
    r = post(admin, "faults/set", form + "&resources=numCpte&resources=spi")
    assert r.status_code == 200
    fault = app.sandbox.faults.get("demo-client")
    assert fault is not None and (fault.error_code, fault.error_rate, fault.remaining) == (
        "CAT001",
        0.5,
        3,
    )
    assert fault.resources == ("numCpte", "spi")
    assert "<code>CAT001</code> (503)" in r.text and "numCpte, spi" in r.text
    cleared = post(admin, "faults/clear", "client_id=demo-client")
    assert (
        app.sandbox.faults.get("demo-client") is None and "<code>CAT001</code>" not in cleared.text
    )


def test_the_quota_is_used_up_and_reset_against_real_calls(
    console_server: QAServer, demo_creds: dict[str, str]
) -> None:
    """On the console's real server: after "use it up" the demo client's next API call over
    mutual TLS is the real 429; after "reset" it passes again, and the reset is an admin event."""
    from ficoba_sandbox.qa.runner import Runner

    token = {"Authorization": f"Bearer {console_server.admin_token}"}
    with httpx.Client(base_url=console_server.admin_url, headers=token) as admin:
        runner = Runner(console_server.target())
        try:

            def health() -> int:
                response = runner.http.get(
                    console_server.origin + "/ficoba-api/v2/etatSante",
                    headers={"Authorization": f"Bearer {runner.token()}"},
                )
                return response.status_code

            filled = post(admin, "quota/fill", "client_id=demo-client")
            row = filled.text.split('id="quota-demo-client"', 1)[1].split("</tr>", 1)[0]
            assert '<td class="remaining">0</td>' in row
            assert health() == 429
            reset = post(admin, "quota/reset", "client_id=demo-client")
            row = reset.text.split('id="quota-demo-client"', 1)[1].split("</tr>", 1)[0]
            assert '<td class="used">0</td>' in row
            assert health() == 200
        finally:
            runner.close()
        events = admin.get("/__sandbox/journal/events").json()["events"]
        assert any(
            e["action"] == "quota.reset" and e["details"].get("client_id") == "demo-client"
            for e in events
        )
