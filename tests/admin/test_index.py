"""`GET /` and `GET /__sandbox/` (admin/index.py): the index of the admin routes, built from the
app's routes, served without the token."""

from __future__ import annotations

import httpx

from ficoba_sandbox.admin.index import routes_of
from gateway_support import QAServer


def documented(qa_server: QAServer) -> set[tuple[str, str, str]]:
    """Every operation of the admin plane's OpenAPI document: (method, path, tag)."""
    spec = httpx.get(qa_server.admin_url + "/__sandbox/openapi.json").json()
    return {
        (method.upper(), path, op["tags"][0])
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }


def test_the_index_lists_every_route_as_json(qa_server: QAServer) -> None:
    routes = documented(qa_server)
    assert len(routes) > 30
    for path in ("/", "/__sandbox/"):
        r = httpx.get(qa_server.admin_url + path, headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        doc = r.json()
        assert {(x["method"], x["path"], x["tag"]) for x in doc["routes"]} == routes
        assert "D/admin.json" in doc["authentication"]
        assert doc["openapi"] == "/__sandbox/openapi.json"
    bare = httpx.get(qa_server.admin_url + "/__sandbox", follow_redirects=True)
    assert bare.status_code == 200


def test_every_route_has_its_own_one_line_summary(qa_server: QAServer) -> None:
    routes = routes_of(qa_server.admin)
    for route in routes:
        summary = route["summary"]
        assert summary and "\n" not in summary, route
    assert len({(r["path"], r["method"]) for r in routes}) == len(documented(qa_server))


def test_a_browser_gets_the_console_not_the_json(qa_server: QAServer) -> None:
    """A browser asks for HTML: the console's home (its login form without the token, then the
    admin routes' table), tested with the console (tests/admin/console/)."""
    page = {"Accept": "text/html,*/*"}
    r = httpx.get(qa_server.admin_url + "/", headers=page)
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    assert "<code>/__sandbox/clock/reset</code>" not in r.text
    r = httpx.get(qa_server.admin_url + "/", headers={**page, **qa_server.admin_headers})
    assert r.status_code == 200 and '<th scope="col">Path</th>' in r.text
    assert r.text.count("<tr><td>") == len(documented(qa_server))
    assert qa_server.admin_token not in r.text
    # curl's */* is no browser
    assert httpx.get(qa_server.admin_url + "/").json()["openapi"] == "/__sandbox/openapi.json"
