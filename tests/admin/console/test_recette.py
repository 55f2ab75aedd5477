"""The console's recette page (admin/console/recette.py): drills armed and disarmed as
`recette start|stop` does, the run's criteria, the report under its own content security
policy, its JSON and Markdown downloads."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable

import httpx

from ficoba_sandbox.admin.console.recette import PAGE
from ficoba_sandbox.app import SandboxApp

HTMX = {"HX-Request": "true"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_start_follow_stop_and_take_the_report(
    open_app: Callable[..., SandboxApp],
    admin_of: Callable[[SandboxApp], httpx.Client],
    client: httpx.Client,
    demo_creds: dict[str, str],
) -> None:
    app = open_app()
    admin = admin_of(app)
    page = admin.get(PAGE)
    assert page.status_code == 200 and 'id="recette-run"' in page.text
    assert 'name="drills" value="token_expiry" checked' in page.text
    started = admin.post(
        PAGE + "/start",
        content="client_id=demo-client&drills=error_500&drills=slow",
        headers={**FORM, **HTMX},
    )
    assert started.status_code == 200
    assert started.text.lstrip().startswith('<section id="recette-run"')
    assert 'data-armed="yes"' in started.text and 'hx-trigger="every 3s"' in started.text
    assert (
        "<code>error_500</code>" in started.text and "<code>token_expiry</code>" not in started.text
    )
    plan = app.sandbox.drills.status("demo-client")
    assert plan["armed"] and [d["name"] for d in plan["plan"]["drills"]] == ["error_500", "slow"]
    # the criteria of the run, in the page's language
    assert 'id="recette-criteria"' in started.text and 'data-criterion="' in started.text
    fr = admin.get(PAGE + "/run", params={"client": "demo-client", "lang": "fr"}, headers=HTMX)
    assert "Exercices armés" in fr.text and "Critères" in fr.text
    stopped = admin.post(  # back to English (the language is kept in a cookie)
        PAGE + "/stop?lang=en", content="client_id=demo-client", headers={**FORM, **HTMX}
    )
    assert 'data-armed="no"' in stopped.text and "Stopped" in stopped.text
    assert "hx-trigger" not in stopped.text  # no refresh once stopped
    assert not app.sandbox.drills.status("demo-client")["armed"]
    # both are RECETTE rows of the journal, as from the command line
    app.sandbox.journal.flush(timeout=5)
    rows = admin.get("/__sandbox/journal", params={"client_id": "demo-client"}).json()["rows"]
    assert {"/recette/drills/start", "/recette/drills/stop"} <= {r["path"] for r in rows}

    report = admin.get(PAGE + "/report", params={"client": "demo-client", "format": "html"})
    assert report.status_code == 200 and '<html lang="en">' in report.text
    style = re.search(r"<style>(.*?)</style>", report.text, flags=re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style[1].encode()).digest()).decode()
    csp = report.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "<script" not in report.text

    as_json = admin.get(PAGE + "/report", params={"client": "demo-client", "format": "json"})
    assert (
        as_json.headers["content-disposition"] == 'attachment; filename="recette-demo-client.json"'
    )
    assert json.loads(as_json.text)["client_id"] == "demo-client"
    as_md = admin.get(PAGE + "/report", params={"client": "demo-client", "format": "md"})
    assert as_md.headers["content-type"].startswith("text/markdown")
    assert as_md.headers["content-disposition"].endswith('.md"')
    assert demo_creds["client_secret"] not in as_md.text + as_json.text + report.text


def test_bad_input_gets_an_alert_not_a_500(
    open_app: Callable[..., SandboxApp], admin_of: Callable[[SandboxApp], httpx.Client]
) -> None:
    admin = admin_of(open_app())
    for path, form, status, shown in [
        ("/start", "client_id=nobody", 422, "Unknown client."),
        ("/start", "client_id=demo-client&drills=earthquake", 422, "earthquake"),
        ("/stop", "client_id=", 422, "Unknown client."),
        ("/start", "client_id=" + "x" * 20_000, 400, "not one of the console"),
    ]:
        for headers in (HTMX, {}):
            r = admin.post(PAGE + path, content=form, headers={**FORM, **headers})
            assert r.status_code == status and 'role="alert"' in r.text, (path, form)
            assert shown in r.text and "Traceback" not in r.text
    assert admin.get(PAGE, params={"client": "nobody"}).status_code == 404
    for params in ({"client": "nobody"}, {"client": "demo-client", "format": "exe"}):
        r = admin.get(PAGE + "/report", params=params)
        assert r.status_code == 404 and "No report for this client." in r.text
