"""A live sandbox for the QA toolkit: the mutual-TLS API and the admin plane on real listeners.

Its own app (own clock, faults, maintenance state) on the session's state directory, so packs
that move the clock or force maintenance cannot disturb other tests' servers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ficoba_sandbox.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serve(config: Any) -> Iterator[None]:
    import uvicorn

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class QAServer:
    origin: str
    admin_url: str
    dir: Path
    demo: dict[str, Any]
    app: Any
    admin: Any
    settings: Settings

    @property
    def base_url(self) -> str:
        return f"{self.origin}/ficoba-api/v2"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/token"

    def target(self, **kw: Any) -> Any:
        from ficoba_sandbox.qa.runner import Target

        return Target.from_file(
            self.dir / "demo-client.json",
            base_url=self.base_url,
            token_url=self.token_url,
            admin_url=self.admin_url,
            **kw,
        )


@pytest.fixture(scope="session")
def qa_server(sandbox_dir: Path, demo_creds: dict[str, Any]) -> Iterator[QAServer]:
    import uvicorn

    from ficoba_sandbox.admin import create_admin_app
    from ficoba_sandbox.app import create_app
    from ficoba_sandbox.cli.serve import uvicorn_config
    from ficoba_sandbox.gateway.clients import public_origin
    from ficoba_sandbox.gateway.pki import ensure_pki

    s = Settings(
        state_dir=sandbox_dir,
        size=500,
        host="127.0.0.1",
        port=_free_port(),
        admin_host="127.0.0.1",
        admin_port=_free_port(),
    )
    app = create_app(s)
    admin = create_admin_app(app.sandbox, s)
    paths, _ = ensure_pki(s.state_dir)
    api_cfg = uvicorn_config(app, s, paths, log_level="warning")
    admin_cfg = uvicorn.Config(
        admin, host=s.admin_host, port=s.admin_port, log_level="warning", lifespan="off"
    )
    with _serve(api_cfg), _serve(admin_cfg):
        yield QAServer(
            origin=public_origin(s.host, s.port),
            admin_url=f"http://127.0.0.1:{s.admin_port}",
            dir=sandbox_dir,
            demo=demo_creds,
            app=app,
            admin=admin,
            settings=s,
        )
