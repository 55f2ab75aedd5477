"""The container's health probe (`python -m ficoba_sandbox.cli.ops`): its pace and what it reads.
The check itself runs against a real server in tests/ship (the image's entrypoint and its
HEALTHCHECK command, as the Dockerfile writes them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ficoba_sandbox.cli import ops

IMAGE_ENV = {
    "FICOBA_SANDBOX_STATE_DIR": "/data",
    "FICOBA_SANDBOX_HOST": "0.0.0.0",
    "FICOBA_SANDBOX_PORT": "8443",
}


class FakeTime:
    """`clock` and `sleep` for container_probe: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fake_checks(monkeypatch: pytest.MonkeyPatch, results: list[bool]) -> list[tuple]:
    calls: list[tuple] = []

    def check(state_dir: Path, host: str, port: int) -> tuple[bool, str]:
        calls.append((state_dir, host, port))
        ok = results.pop(0) if results else False
        return ok, "fine" if ok else "refused"

    monkeypatch.setattr(ops, "check_health", check)
    return calls


def test_starting_server_probe_returns_as_soon_as_it_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = fake_checks(monkeypatch, [False, False, True])
    t = FakeTime()
    marker = tmp_path / "marker"
    ok, detail = ops.container_probe(IMAGE_ENV, marker, "123", clock=t.clock, sleep=t.sleep)
    assert (ok, detail) == (True, "fine")
    assert t.sleeps == [ops.RETRY_EVERY, ops.RETRY_EVERY]
    assert calls == [(Path("/data"), "0.0.0.0", 8443)] * 3
    assert marker.read_text() == "123"


def test_a_server_that_never_answers_is_unhealthy_after_the_start_wait(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_checks(monkeypatch, [])
    t = FakeTime()
    marker = tmp_path / "marker"
    ok, detail = ops.container_probe(IMAGE_ENV, marker, "123", clock=t.clock, sleep=t.sleep)
    assert (ok, detail) == (False, "refused")
    assert ops.START_WAIT <= t.now < ops.START_WAIT + 1
    assert not marker.exists()


def test_once_healthy_a_probe_pauses_then_checks_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = fake_checks(monkeypatch, [False])
    t = FakeTime()
    marker = tmp_path / "marker"
    marker.write_text("123")
    ok, _ = ops.container_probe(IMAGE_ENV, marker, "123", clock=t.clock, sleep=t.sleep)
    assert not ok and len(calls) == 1
    assert t.sleeps == [ops.STEADY_PAUSE]


def test_a_restarted_container_probes_at_once_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_checks(monkeypatch, [True])
    t = FakeTime()
    marker = tmp_path / "marker"
    marker.write_text("123")  # the previous run's
    assert ops.container_probe(IMAGE_ENV, marker, "456", clock=t.clock, sleep=t.sleep)[0]
    assert t.sleeps == []
    assert marker.read_text() == "456"


def test_the_probe_target_is_the_settings_when_the_image_env_is_incomplete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ops.probe_target(IMAGE_ENV) == (Path("/data"), "0.0.0.0", 8443)
    for name in IMAGE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FICOBA_SANDBOX_PORT", "9443")
    assert ops.probe_target({"FICOBA_SANDBOX_PORT": "9443"}) == (
        Path(".sandbox"),
        "127.0.0.1",
        9443,
    )


def test_main_process_start_reads_field_22_of_pid_1(tmp_path: Path) -> None:
    # proc(5): the command name may hold spaces and parentheses
    fields = ["S", *map(str, range(4, 22)), "987654", "0"]
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "stat").write_text(f"1 (ficoba (x) y) {' '.join(fields)}\n")
    assert ops.main_process_start(tmp_path) == "987654"


def test_check_health_without_credentials_says_so(tmp_path: Path) -> None:
    ok, detail = ops.check_health(tmp_path, "0.0.0.0", 1)
    assert not ok and detail.startswith("no healthcheck credentials")


def test_probe_host_is_a_name_of_the_server_certificate_for_local_binds() -> None:
    assert ops.probe_host("0.0.0.0") == ops.probe_host("127.0.0.1") == "localhost"
    assert ops.probe_host("::") == ops.probe_host("::1") == "localhost"
    assert ops.probe_host("10.1.2.3") == "10.1.2.3"


def test_the_probe_imports_neither_the_app_nor_pydantic(tmp_path: Path) -> None:
    """What keeps a probe at ~0.1 s of CPU: the standard library and nothing of the app."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ficoba_sandbox.cli import ops\n"
        "ops.probe_target(ops.os.environ)\n"
        "ops.check_health(Path(sys.argv[1]), '0.0.0.0', 1)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'pydantic', 'pydantic_settings', 'httpx', 'cryptography', 'uvicorn'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PATH": "", **IMAGE_ENV},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
