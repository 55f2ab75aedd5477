"""`serve` on a port already taken: one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def test_serve_on_a_busy_port_says_so_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken, socket.socket() as free:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        free.bind(("127.0.0.1", 0))
        busy_port = taken.getsockname()[1]
        admin_port = free.getsockname()[1]
        free.close()
        cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(tmp_path / "d")]
        cmd += ["--port", str(busy_port), "--admin-port", str(admin_port), "--size", "50"]
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot listen on 127.0.0.1:{busy_port}" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
