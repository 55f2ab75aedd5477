"""The admin plane's key: `D/admin.json` (mode 0600), `{"admin_url": ..., "admin_token": ...}`.

`init` and the first `serve` write it; every consumer of the admin plane (the `replay` command,
the pytest plugin, the QA runner) reads it from the state directory, so the key never has to be
copied by hand. The token is the server's own unless `FICOBA_SANDBOX_ADMIN_TOKEN` names another
(docs/security.md, "The admin plane").
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ficoba_sandbox.gateway.pki import write_private
from ficoba_sandbox.gateway.registry import new_secret

ADMIN_FILE = "admin.json"
#: where a state directory made by an earlier version kept the token alone: adopted once
LEGACY_TOKEN_FILE = "admin-token"
TOKEN_ENV = "FICOBA_SANDBOX_ADMIN_TOKEN"
STATE_DIR_ENV = "FICOBA_SANDBOX_STATE_DIR"
DEFAULT_ADMIN_URL = "http://127.0.0.1:8081"


@dataclass(frozen=True)
class AdminAccess:
    """Where the admin plane answers and the token it wants (None: none known, open mode)."""

    url: str
    token: str | None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def admin_url(host: str, port: int) -> str:
    """The URL a local consumer uses: loopback for a loopback or wildcard bind."""
    if host in ("", "0.0.0.0", "::", "localhost"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def read_admin_file(state_dir: Path) -> dict[str, str]:
    """`D/admin.json` as a dict (empty when missing or unreadable)."""
    try:
        doc = json.loads((Path(state_dir) / ADMIN_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in doc.items() if isinstance(v, str)} if isinstance(doc, dict) else {}


def ensure_admin_key(state_dir: Path, url: str) -> tuple[str, bool]:
    """The state directory's admin token, created when it has none; `D/admin.json` records `url`
    too (rewritten when the admin plane moved). Returns (token, created)."""
    root = Path(state_dir)
    doc = read_admin_file(root)
    token = doc.get("admin_token", "")
    created = False
    if not token:
        legacy = root / LEGACY_TOKEN_FILE
        try:
            token = legacy.read_text("utf-8").strip()
        except OSError:
            token = ""
    if not token:
        token = new_secret()  # 256 bits, hex: safe in a header and on a command line
        created = True
    if doc != {"admin_url": url, "admin_token": token}:
        text = json.dumps({"admin_url": url, "admin_token": token}, indent=2) + "\n"
        write_private(root / ADMIN_FILE, text.encode("utf-8"))
    return token, created


def find_admin_access(
    state_dir: Path | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
) -> AdminAccess:
    """What a consumer needs to call the admin plane: each value from the explicit argument, else
    the environment (`FICOBA_SANDBOX_ADMIN_TOKEN`), else `D/admin.json` of `state_dir` (default
    `FICOBA_SANDBOX_STATE_DIR`, then `.sandbox`)."""
    env = os.environ if env is None else env
    root = Path(state_dir or env.get(STATE_DIR_ENV) or ".sandbox")
    doc = read_admin_file(root)
    return AdminAccess(
        url=url or doc.get("admin_url") or DEFAULT_ADMIN_URL,
        token=token or env.get(TOKEN_ENV) or doc.get("admin_token") or None,
    )
