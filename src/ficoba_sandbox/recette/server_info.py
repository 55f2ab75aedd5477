"""`D/recette/server.json`: what a recette report's header says about the server that ran it.

Written when a sandbox starts (version, dataset seed, size and digest, start time), read by
`recette report` (which may run in another process, with no connection to the server).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ficoba_sandbox import __version__
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.private import private_dir

SERVER_INFO = Path("recette") / "server.json"


def server_info(
    seed: int,
    size: int,
    default_quota: int,
    store: Store,
    *,
    compute_digest: bool = True,
    events_file: Path | None = None,
) -> dict[str, Any]:
    """The header facts. `compute_digest=False`: only a digest the store already knows (a start
    must not pay ≈ 0.25 s for it; see `publish_server_info`). `events_file`: where the server
    writes its security events (`--events-file`), read by the report's security section."""
    digest = store.digest() if compute_digest else store.known_digest()
    return {
        "sandbox_version": __version__,
        "dataset_digest": digest,
        "seed": seed,
        "size": size,
        "default_quota": default_quota,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events_file": str(events_file) if events_file is not None else None,
    }


def write_server_info(state_dir: Path, info: dict[str, Any]) -> None:
    """Replace `D/recette/server.json` atomically; a read-only state directory is not an error
    (the report then goes without these facts)."""
    path = Path(state_dir) / SERVER_INFO
    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".server-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(info, out, indent=2)
        os.replace(tmp, path)
    except OSError:
        pass


def read_server_info(state_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((Path(state_dir) / SERVER_INFO).read_text("utf-8")))
    except (OSError, ValueError):
        return {}


def publish_server_info(
    state_dir: Path,
    seed: int,
    size: int,
    default_quota: int,
    store: Store,
    events_file: Path | None = None,
) -> None:
    """Write the facts now; on a first start (no dataset cache yet, so no known digest) compute
    the digest off the start-up path and write the file again with it."""
    info = server_info(
        seed, size, default_quota, store, compute_digest=False, events_file=events_file
    )
    write_server_info(state_dir, info)
    if info["dataset_digest"] is None:
        threading.Thread(
            target=lambda: write_server_info(
                state_dir,
                server_info(seed, size, default_quota, store, events_file=events_file),
            ),
            name="recette-server-info",
            daemon=True,
        ).start()
