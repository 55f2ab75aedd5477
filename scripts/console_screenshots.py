"""Regenerate (or check) the README's screenshots of the QA console, taken from a real server.

    python scripts/console_screenshots.py --write   # new images and the README section
    python scripts/console_screenshots.py --check   # exit 1 if the console drifted from them

It starts `ficoba-sandbox serve` on free loopback ports with a fresh state directory, freezes the
sandbox clock at a fixed instant, sends a few calls with the demo client over mutual TLS (so the
journal has rows), then drives Debian's headless chromium (Playwright, no browser download)
through the console's main views, at a fixed window size, and saves one PNG per view under
`docs/images/console/`.

`--check` takes the same screenshots into a temporary directory and compares each with the
committed one: same views, same size, and a small grey thumbnail of each (THUMB_WIDTH pixels
wide) whose mean difference stays under THRESHOLD. Correlation ids, tokens and the exact pixels
of a font differ from run to run and machine to machine and vanish at that scale; a section
added, removed or laid out differently does not. The README section between the markers must
also be what `--write` would write.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageChops, ImageOps, ImageStat
from readme_examples import examples  # scripts/, this script's own folder

from ficoba_sandbox.gateway.pki import client_ssl_context

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
IMAGES = ROOT / "docs" / "images" / "console"
BEGIN = "<!-- BEGIN console-screenshots (scripts/console_screenshots.py) -->"
END = "<!-- END console-screenshots -->"
#: the window every screenshot is taken in (CSS pixels, scale 1)
VIEWPORT = {"width": 1280, "height": 860}
#: the instant the sandbox clock is frozen at, so every page shows the same dates
FROZEN_AT = "2026-03-02T10:15:00+01:00"
THUMB_WIDTH = 160
#: a thumbnail pixel differs when its grey level moves by more than this (of 255)
PIXEL_LEVEL = 24
#: the share of thumbnail pixels that may differ (tests/test_console_screenshots.py measures
#: it: a changed word moves well under it, a table gone from half a page well over it)
THRESHOLD = 0.01
CONSOLE = "/__sandbox/console"


@dataclass(frozen=True)
class Server:
    api: str  # https://localhost:port
    admin: str  # http://127.0.0.1:port
    admin_token: str
    creds: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server() -> Iterator[Server]:
    """`ficoba-sandbox serve` with its admin plane, on a fresh state directory (seed default)."""
    with tempfile.TemporaryDirectory() as tmp:
        port, admin_port = _free_port(), _free_port()
        cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", tmp, "--port", str(port)]
        cmd += ["--admin-port", str(admin_port), "--size", "500"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FICOBA_SANDBOX_")}
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            admin = f"http://127.0.0.1:{admin_port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    token = json.loads((Path(tmp) / "admin.json").read_text())["admin_token"]
                    creds = json.loads((Path(tmp) / "demo-client.json").read_text())
                    headers = {"Authorization": f"Bearer {token}"}
                    if httpx.get(admin + "/__sandbox/health", headers=headers).status_code == 200:
                        break
                except (OSError, ValueError, KeyError, httpx.HTTPError):
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
            yield Server(f"https://localhost:{port}", admin, token, creds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def prepare(server: Server) -> None:
    """The same state on every run: the clock frozen at FROZEN_AT, a few calls in the journal."""
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    r = httpx.post(
        server.admin + "/__sandbox/clock/freeze", json={"at": FROZEN_AT}, headers=headers
    )
    r.raise_for_status()
    creds = server.creds
    ctx = client_ssl_context(Path(creds["ca"]), Path(creds["cert"]), Path(creds["key"]))
    with httpx.Client(base_url=server.api, verify=ctx, timeout=10) as api:
        grant = {"grant_type": "client_credentials"}
        auth = (creds["client_id"], creds["client_secret"])
        token = api.post("/token", data=grant, auth=auth).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        # the README's eleven examples (scripts/readme_examples.py), then one malformed call
        calls = [(resource, body) for _, resource, body in examples()]
        calls.append(("perPhy", {"criteresRecherche": {}}))
        for n, (resource, body) in enumerate(calls):
            body = {**body, "siretDemandeur": creds["siret_demandeur"], "sirenDemandeur": ""}
            body["motif"] = creds["motifs"][0]
            api.post(
                f"/ficoba-api/v2/comptes/{resource}",
                json=body,
                # fixed UUIDs (the API wants a UUID): the same rows at every run
                headers={**bearer, "X-Correlation-ID": str(uuid.UUID(int=n + 1, version=4))},
            )


#: (name, caption, what to do on the logged-in page before the screenshot)
View = tuple[str, str, Callable[[Any, Server], None]]


def _section(name: str) -> Callable[[Any, Server], None]:
    def go(page: Any, server: Server) -> None:
        page.goto(f"{server.admin}{CONSOLE}/{name}")
        page.wait_for_load_state("networkidle")

    return go


def _personas(page: Any, server: Server) -> None:
    _section("personas")(page, server)
    page.get_by_label("Name, IBAN, SPI, SIREN or SIRET").press_sequentially("dubois daniel")
    page.locator("#results tr[data-personne]").first.wait_for()
    page.wait_for_load_state("networkidle")


def _person(page: Any, server: Server) -> None:
    page.locator("#results tr[data-personne] a").first.click()
    page.locator("#person-name").wait_for()
    page.wait_for_load_state("networkidle")


def _magic(page: Any, server: Server) -> None:
    _section("magic")(page, server)
    page.get_by_role("button", name="Send it: sql-error").click()
    page.locator("#sent-status").wait_for()
    page.wait_for_load_state("networkidle")


def _journal(page: Any, server: Server) -> None:
    _section("journal")(page, server)
    page.locator('tr[data-sent-from="console"] a').first.click()
    page.locator("#detail-why").wait_for()
    page.locator("#journal-rows-title").evaluate("title => title.scrollIntoView()")
    page.wait_for_load_state("networkidle")


def _recette(page: Any, server: Server) -> None:
    _section("recette")(page, server)
    page.get_by_role("button", name="Start the recette (arm the drills)").click()
    page.locator('#recette-state[data-armed="yes"]').wait_for()
    page.locator("#recette-run").scroll_into_view_if_needed()


VIEWS: list[View] = [
    ("home", "The home: the six sections and the admin routes", _section("")),
    ("personas", "Personas and dataset: the file searched as one types", _personas),
    ("person", "A person: accounts, rights, and a ready request per search type", _person),
    ("magic", "Magic values: sql-error sent through the real API, 500 CAT003", _magic),
    ("journal", "The live journal: the console's call and why it got its answer", _journal),
    (
        "controls",
        "Controls: the clock frozen for the screenshots, maintenance, latency",
        _section("controls"),
    ),
    ("recette", "Recette: drills armed, the criteria as the run goes", _recette),
    ("clients", "Clients: the registry, certificate expiry, a new client", _section("clients")),
]


def _log_in(page: Any, server: Server) -> None:
    page.goto(server.admin + "/")
    page.get_by_label("Admin token").fill(server.admin_token)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Sections").wait_for()


def take(out: Path) -> list[Path]:
    """Start a server, take every view's screenshot into `out`; the files written."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with running_server() as server, sync_playwright() as p:
        prepare(server)
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = browser.new_context(
                viewport=VIEWPORT, device_scale_factor=1, locale="en-GB", timezone_id="UTC"
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            _log_in(page, server)
            for name, _, action in VIEWS:
                action(page, server)
                path = out / f"{name}.png"
                page.screenshot(path=str(path), animations="disabled", caret="hide")
                written.append(path)
        finally:
            browser.close()
    return written


def section() -> str:
    lines = [BEGIN, ""]
    for name, caption, _ in VIEWS:
        lines += [f"![{caption}](docs/images/console/{name}.png)", "", f"*{caption}.*", ""]
    return "\n".join([*lines, END])


def _readme_with(text: str) -> str:
    readme = README.read_text("utf-8")
    if BEGIN not in readme or END not in readme:
        raise RuntimeError(f"README.md lacks the markers {BEGIN!r} … {END!r}")
    head, rest = readme.split(BEGIN, 1)
    return head + text + rest.split(END, 1)[1]


def difference(a: Path, b: Path) -> float:
    """The share of the two images' grey thumbnails' pixels that differ by more than
    PIXEL_LEVEL, 0 to 1; 1 when their sizes differ."""
    with Image.open(a) as left, Image.open(b) as right:
        if left.size != right.size:
            return 1.0
        size = (THUMB_WIDTH, max(1, round(left.height * THUMB_WIDTH / left.width)))
        thumbs = [ImageOps.grayscale(i).resize(size, Image.Resampling.BOX) for i in (left, right)]
    diff = ImageChops.difference(*thumbs).point(lambda v: 255 if v > PIXEL_LEVEL else 0)
    return float(ImageStat.Stat(diff).mean[0]) / 255


def check() -> list[str]:
    """What drifted (empty: nothing)."""
    problems = []
    if _readme_with(section()) != README.read_text("utf-8"):
        problems.append("README.md: the screenshot section is not what --write writes")
    with tempfile.TemporaryDirectory() as tmp:
        for fresh in take(Path(tmp)):
            kept = IMAGES / fresh.name
            if not kept.exists():
                problems.append(f"{kept.relative_to(ROOT)}: missing")
                continue
            score = difference(kept, fresh)
            print(f"{fresh.stem}: difference {score:.4f} (threshold {THRESHOLD})")
            if score > THRESHOLD:
                problems.append(f"{kept.relative_to(ROOT)}: differs by {score:.4f}")
    wanted = {f"{name}.png" for name, _, _ in VIEWS}
    problems += [
        f"{p.relative_to(ROOT)}: no view takes it"
        for p in IMAGES.glob("*.png")
        if p.name not in wanted
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="new images and README section")
    mode.add_argument("--check", action="store_true", help="exit 1 if they drifted")
    args = parser.parse_args(argv)
    if args.write:
        for old in IMAGES.glob("*.png"):
            old.unlink()
        for path in take(IMAGES):
            print(path.relative_to(ROOT))
        README.write_text(_readme_with(section()), "utf-8")
        return 0
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("the console's screenshots drifted: run scripts/console_screenshots.py --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
