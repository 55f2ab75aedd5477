"""The secret sweep: at the end of the session, no secret the suite created is found in anything
the suite produced (docs/security.md, "Secrets at rest and in logs").

What is swept for:
- every client secret: read from the credentials files the suite wrote (`init`, `clients add`,
  the fixtures: each writes `D/demo-client.json` or `D/clients/<id>.json`), raw and as the
  Base64 of an HTTP Basic `id:secret` pair (RFC 6749 §2.3.1), and the password of the client's
  `.p12` (its `p12_password`);
- every access token issued in this process (`TokenService.issue`, wrapped): its payload and its
  signature (the header is the same for every token);
- every admin token given to an admin plane (`AdminGuard`, wrapped), and the `admin.json` (and
  older `admin-token`) files;
- every private key: the Base64 lines of each `*.key` PEM file.

Where: every file under the session's temporary directory and the pytest plugin's dataset
cache (journals and their WAL, logs, reports in HTML, JSON, Markdown, JUnit, state files), except
those meant to hold a secret (credentials files, `*.key`, `admin.json`, `admin-token`, `*.p12`); and the
captured output and log of every test. A file is read as runs of the characters of Base64, hex
and JWTs; a secret is found when one of its runs is one of the file's (a secret has no such
character around it in any encoding that does not transform it). Secrets shorter than
`SHORTEST` characters are not swept (too likely by chance).

The verdict is printed at the end of the session and fails it (exit status 1) on a leak.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SHORTEST = 16
#: the characters of hex, standard and URL-safe Base64, JWTs; everything else separates runs
_RUN = re.compile(rb"[A-Za-z0-9+/_-]{%d,}" % SHORTEST)
#: files meant to hold a secret
_HOLDERS = (".key", ".p12", "admin-token", "admin.json")
#: JSON escapes that would glue a run to its neighbour (a PEM in JSON: "\n")
_UNESCAPE = ((b"\\n", b"\n"), (b"\\/", b"/"), (b"\\r", b"\r"))


@dataclass
class Sweep:
    #: run -> what it belongs to ("client secret of demo-client", ...)
    needles: dict[bytes, str] = field(default_factory=dict)
    #: (test id, section name, text) of the captured output of each test
    captured: list[tuple[str, str, str]] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)

    def add(self, text: str, what: str) -> None:
        for run in _RUN.findall(text.encode("utf-8")):
            self.needles.setdefault(run, what)

    def add_client(self, client_id: str, secret: str) -> None:
        what = f"client secret of {client_id}"
        self.add(secret, what)
        basic = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
        self.add(base64.b64encode(basic.encode()).decode().rstrip("="), what + " (Basic)")

    def add_token(self, token: str) -> None:
        _, payload, signature = [*token.split("."), "", ""][:3]
        self.add(payload, "access token (payload)")
        self.add(signature, "access token (signature)")

    def add_holder(self, path: Path) -> None:
        """The secrets of a file meant to hold them."""
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return
        if path.suffix == ".key" and "PRIVATE KEY" in text:
            body = [ln for ln in text.splitlines() if ln and not ln.startswith("-----")]
            for line in body:
                self.add(line.rstrip("="), f"private key {path.name}")
        elif path.name == "admin-token":
            self.add(text.strip(), "admin token")
        elif path.name == "admin.json":  # gateway/admin_key.py
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                self.add(json.loads(text).get("admin_token") or "", "admin token")

    def files(self) -> Iterator[Path]:
        for root in self.roots:
            if root.is_dir():
                yield from (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())

    def collect(self) -> None:
        """The secrets kept in files: credentials files, keys, admin tokens."""
        for path in self.files():
            if path.name.endswith(_HOLDERS):
                self.add_holder(path)
            elif path.suffix == ".json":
                creds = _credentials(path)
                if creds is not None:
                    self.add_client(creds["client_id"], creds["client_secret"])
                    if creds["p12_password"]:  # gateway/clients.py: the .p12's password
                        self.add(creds["p12_password"], f"p12 password of {creds['client_id']}")

    def leaks(self) -> list[str]:
        self.collect()
        found: list[str] = []
        for path in self.files():
            if path.name.endswith(_HOLDERS) or _credentials(path) is not None:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found += [f"{path}: {what}" for what in self._search(data)]
        for test, section, text in self.captured:
            found += [f"{test} ({section}): {what}" for what in self._search(text.encode())]
        return found

    def _search(self, data: bytes) -> set[str]:
        for escaped, plain in _UNESCAPE:
            data = data.replace(escaped, plain)
        return {self.needles[run] for run in _RUN.findall(data) if run in self.needles}


def _credentials(path: Path) -> dict[str, str] | None:
    if path.suffix != ".json":
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(doc, dict) and isinstance(doc.get("client_secret"), str):
        return {
            "client_id": str(doc.get("client_id", "")),
            "client_secret": doc["client_secret"],
            "p12_password": str(doc.get("p12_password") or ""),
        }
    return None


SWEEP = Sweep()


def _wrap_creators() -> None:
    """Feed the sweep from where tokens and admin tokens are made, in this process."""
    from ficoba_sandbox.admin.app import AdminGuard
    from ficoba_sandbox.gateway.tokens import TokenService

    issue = TokenService.issue

    def recorded_issue(self: TokenService, *args: Any, **kw: Any) -> tuple[str, int]:
        token, ttl = issue(self, *args, **kw)
        SWEEP.add_token(token)
        return token, ttl

    guard_init = AdminGuard.__init__

    def recorded_guard(self: AdminGuard, *args: Any, **kw: Any) -> None:
        guard_init(self, *args, **kw)
        token = kw.get("token", args[1] if len(args) > 1 else None)
        if isinstance(token, str) and token:
            SWEEP.add(token, "admin token")

    TokenService.issue = recorded_issue  # type: ignore[method-assign]
    AdminGuard.__init__ = recorded_guard  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # not in an xdist worker: one sweep per session
        _wrap_creators()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for section, text in report.sections:
        SWEEP.captured.append((report.nodeid, section, text))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or session.testscollected == 0:
        return
    SWEEP.roots = [factory.getbasetemp()]
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    if cache is not None:
        SWEEP.roots.append(Path(cache.mkdir("ficoba-sandbox")))
    leaks = SWEEP.leaks()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("-", f"secret sweep: {len(SWEEP.needles)} secrets, {len(leaks)} found")
        for line in leaks[:50]:
            reporter.write_line(line)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
