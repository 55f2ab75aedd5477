"""The README's "Troubleshooting" section says what curl prints and what the server logs: every `$`
line of its console blocks is run, in order, by bash against a real `serve` (its own state
directory, a free port), and each message shown must be among what curl printed (its exit code
too), and the server's log must hold exactly the refused-handshake lines shown, in that order."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from gateway_support import free_port, served_state, spawn_serve
from system_deps import skip_or_fail

pytestmark = pytest.mark.tls

ROOT = Path(__file__).resolve().parent.parent
SERVER_LOG = "# server log: "
OR = "# or: "
MARK = "@@@ exit "


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Troubleshooting\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def normalise(line: str) -> str:
    """What differs from one run to the next: ports, milliseconds, the instant."""
    line = re.sub(r'"horodatage":"[^"]*"', '"horodatage":"T"', line)
    line = re.sub(r"(127\.0\.0\.1|localhost|sandbox\.example):\d+", r"\1:PORT", line)
    line = re.sub(r"port \d+ after \d+ ms", "port PORT after N ms", line)
    return line.strip()


def steps(block: str) -> list[tuple[str, list[list[str]], list[str]]]:
    """(command, the output lines shown, each with its alternatives (`# or:`), the server log
    lines shown) of each `$` line."""
    out: list[tuple[str, list[list[str]], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], [], []))
        elif line.startswith(SERVER_LOG):
            out[-1][2].append(line[len(SERVER_LOG) :])
        elif line.startswith(OR):
            out[-1][1][-1].append(line[len(OR) :])
        elif line.strip():
            out[-1][1].append([line])
    return out


def test_the_readme_troubleshooting_messages_are_what_curl_and_the_server_say(
    tmp_path: Path,
) -> None:
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    text = section()
    served = served_state(tmp_path / "D", "unused-client")
    enrol(served.paths, ClientSpec("old-client", expired=True), served.origin)
    enrol(served.paths, ClientSpec("other-client"), served.origin)
    log = tmp_path / "serve.log"
    proc = spawn_serve(served.paths.root, served.port, log, "--size", "100")
    closed = free_port()

    def adapted(command: str) -> str:
        # the ports first: the state directory's path may hold any digits
        command = re.sub(r":8443\b", f":{served.port}", command)
        command = re.sub(r":8999\b", f":{closed}", command)
        return command.replace(".sandbox", str(served.paths.root))

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(served.origin + "/ficoba-api/v2/etatSante", verify=served.ctx, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        (preamble,) = blocks(text, "sh")
        all_steps = [s for block in blocks(text, "console") for s in steps(block)]
        assert len(all_steps) >= 9
        script = [adapted(preamble)]
        for command, _, _ in all_steps:
            script += [adapted(command) + " 2>&1", f'echo "{MARK}$?"']
        done = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        outputs = done.stdout.split(MARK)
        assert len(outputs) == len(all_steps) + 1, done.stdout + done.stderr
        for i, (command, shown, _) in enumerate(all_steps):
            printed = outputs[i].split("\n", 1)[1] if i else outputs[0]
            printed_lines = [normalise(line) for line in printed.splitlines()]
            code = int(outputs[i + 1].split("\n", 1)[0])
            for choices in shown:
                seen = [line for line in choices if normalise(line) in printed_lines]
                assert seen, (command, printed)
                exit_code = re.match(r"curl: \((\d+)\)", seen[0])
                assert code == (int(exit_code.group(1)) if exit_code else 0), (command, printed)
        time.sleep(0.3)  # the last refusal logged
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    logged = [
        normalise(line)
        for line in log.read_text().splitlines()
        if line.startswith("TLS handshake refused")
    ]
    assert logged == [normalise(line) for _, _, lines in all_steps for line in lines]
