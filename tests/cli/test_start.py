"""cli/start.py: `ficoba-sandbox serve` refuses a state directory it cannot serve with exit code 2
and one line naming the file and the cause, never a traceback. Each case runs the real command
on a real state directory; the read-only and full disks are real tmpfs mounts (root only)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ficoba_sandbox.cli.start import MIN_FREE_BYTES
from ficoba_sandbox.gateway.clients import ensure_demo_client, public_origin
from ficoba_sandbox.gateway.pki import ensure_pki
from gateway_support import free_port

pytestmark = pytest.mark.slow


def _state(root: Path) -> Path:
    paths, _ = ensure_pki(root)
    ensure_demo_client(paths, public_origin("127.0.0.1", 8443))
    return paths.root


def _serve(state_dir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", str(state_dir)]
    cmd += ["--port", str(free_port()), "--admin-port", str(free_port()), "--size", "200"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _refused(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("ficoba-sandbox: cannot start: "), lines[0]
    for part in expected:
        assert part in lines[0], lines[0]
    assert done.stdout == ""  # no banner
    return lines[0]


def test_a_registry_that_does_not_load(tmp_path: Path) -> None:
    d = _state(tmp_path)
    (d / "registry.json").write_text('{"format": "ficoba-sandbox/registry/v1",\n "clients": {')
    _refused(_serve(d), str(d / "registry.json"), "line 2 column")


def test_an_empty_registry(tmp_path: Path) -> None:
    d = _state(tmp_path)
    (d / "registry.json").write_text("")
    _refused(_serve(d), str(d / "registry.json"), "line 1 column 1")


def test_a_deleted_registry_is_not_recreated_empty(tmp_path: Path) -> None:
    d = _state(tmp_path)
    (d / "registry.json").unlink()
    _refused(_serve(d), str(d / "registry.json"), "no client registry")
    assert not (d / "registry.json").exists()


@pytest.mark.parametrize(("missing", "present"), [("ca.key", "ca.pem"), ("ca.pem", "ca.key")])
def test_half_a_ca(tmp_path: Path, missing: str, present: str) -> None:
    d = _state(tmp_path)
    (d / "pki" / missing).unlink()
    _refused(_serve(d), str(d / "pki" / missing), str(d / "pki" / present), "half a CA")


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr!r}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _read_only(d: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True)


def _full(d: Path) -> None:
    with open(d / "filler", "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()


def _nearly_full(d: Path) -> None:
    free = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize
    with open(d / "filler", "wb") as f:
        f.write(b"\0" * (free - MIN_FREE_BYTES // 2))


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (_read_only, "read-only file system"),
        (_full, "no space left on the device"),
        (_nearly_full, "disk is full"),
    ],
    ids=["read-only", "full", "nearly full"],
)
def test_a_state_directory_that_cannot_be_written(
    tmp_path: Path, make: Callable[[Path], None], cause: str
) -> None:
    source = _state(tmp_path / "source")
    with _tmpfs(tmp_path / "mnt", "8m") as d:
        shutil.copytree(source, d, dirs_exist_ok=True)
        make(d)
        _refused(_serve(d), str(d), cause)
