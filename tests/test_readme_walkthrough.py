"""Every command block of the README runs as printed, in the README's order, against a real
`ficoba-sandbox serve`: what a new user does after `make run`, in a second terminal.

The user's terminal, as the README sets it up ("Quick start"):
- the working directory is the repository's root: here a temporary directory holding a link to
  each of the repository's entries, so that `examples/`, `fixtures/` and `.venv/` are there and
  a file a block writes into the "repository" is seen (the test fails on it);
- the state directory is `.sandbox` in it, made by `ficoba-sandbox init` as `make run` makes it;
- the virtualenv is activated (`VIRTUAL_ENV`, its `bin/` first on `PATH`); `TMPDIR` is the
  test's own scratch directory;
- one shell session: the variables a block sets (`D`, `TOKEN`, `BODY`, `ADMIN`...) and the
  directory it leaves the shell in are the next block's, as in one terminal.

The README's text is changed by `SUBSTITUTIONS` only: the server listens on free ports, not on
8443 and 8081 (`.sandbox` needs no rewriting: it is the working directory's).

Blocks (fences ```sh, ```bash, ```console, ```python), each run on its own:
- sh/bash: `bash -euo pipefail`, exit status 0;
- console: each `$ ` command (continued by lines ending in `\\`) runs the same way; the lines
  after it, up to the next command, are its output, `...` standing for any text (as doctest's
  ELLIPSIS);
- python: the virtualenv's python; a `print(...)  # text` line's text must be in the output.

A marker on the line before the fence, visible in the README's source, changes that:
`<!-- walkthrough: skip (reason) -->` (the block starts a server itself, needs Docker, a
browser, the user's own files or runs forever: listed with its reason in the test's output) and
`<!-- walkthrough: exit N -->` (a deliberate error: exit status N).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_support import free_port, spawn_serve
from system_deps import skip_or_fail

pytestmark = [pytest.mark.slow, pytest.mark.tls]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*walkthrough:\s*(skip|exit)\s*(.*?)\s*-->\s*$")
RUN = {"sh", "bash", "console", "python"}
#: what the README's commands call besides the project's virtualenv (the Quick start lists them)
USER_PROGRAMS = ("bash", "curl", "less")
#: seconds a block may take
BLOCK_TIMEOUT = 40

#: the README's addresses -> the test server's: the only rewriting of the README's text
SUBSTITUTIONS = {"https://localhost:8443": "https://localhost:{port}",
                 "http://127.0.0.1:8081": "http://127.0.0.1:{admin_port}"}  # fmt: skip

Done = subprocess.CompletedProcess[str]

#: repository entries the walkthrough's working directory does not link (its own `.sandbox`)
NOT_LINKED = {".git", ".sandbox"}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    skip: str | None  # the reason
    exit_status: int

    @property
    def where(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def readme_blocks(text: str) -> list[Block]:
    """The runnable blocks of the README, in order, with their markers."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        lang = opening.group(1)
        if lang in RUN:
            marker = MARKER.match(lines[i - 1]) if i else None
            skip = exit_status = None
            if marker and marker.group(1) == "skip":
                skip = marker.group(2).strip("()") or "no reason given"
            elif marker:
                exit_status = int(marker.group(2))
            body = "\n".join(lines[i + 1 : end]) + "\n"
            blocks.append(Block(i + 1, lang, body, skip, exit_status or 0))
        i = end + 1
    return blocks


def console_commands(text: str) -> list[tuple[str, list[str]]]:
    """A console block's commands (`$ ` lines and their `\\` continuations), each with the
    output lines printed after it."""
    commands: list[tuple[str, list[str]]] = []
    continued = False
    for line in text.splitlines():
        if continued:
            command, output = commands[-1]
            commands[-1] = (command + "\n" + line, output)
        elif line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
        else:
            raise AssertionError(f"console output before any command: {line!r}")
        continued = line.endswith("\\") and (continued or line.startswith("$ "))
    return commands


def printed_outputs(code: str) -> list[str]:
    """What a python block says it prints: the comment of each `print(...)  # text` line."""
    return [m.strip() for m in re.findall(r"^\s*print\(.*\)\s+#\s*(.+)$", code, re.MULTILINE)]


def output_matches(expected: list[str], actual: str) -> bool:
    pattern = "\n".join(expected).strip().replace("[", "[[]").replace("...", "*")
    return fnmatch.fnmatchcase(actual.strip(), pattern)


# --------------------------------------------------------------------------- the terminal

#: sourced before each block: the previous blocks' variables and directory
PROLOGUE = """\
__wt_known=" $(compgen -v | tr '\\n' ' ') "
if [ -f "$WALKTHROUGH_SESSION" ]; then . "$WALKTHROUGH_SESSION"; fi
__wt_save() {
  local status=$? name flags
  if [ "$status" -eq 0 ] || [ "$status" -eq "$WALKTHROUGH_EXIT" ]; then
    {
      for name in $(compgen -v); do
        case "$__wt_known" in *" $name "*) continue ;; esac
        case "$name" in __wt_*|BASH_*|FUNCNAME|PIPESTATUS|OLDPWD|PWD|_) continue ;; esac
        flags=$(declare -p "$name" 2>/dev/null) || continue
        flags=${flags#declare -}
        case "${flags%% *}" in *r*) continue ;; esac
        declare -p "$name"
      done
      printf 'cd %q\\n' "$PWD"
    } > "$WALKTHROUGH_SESSION.new" && mv "$WALKTHROUGH_SESSION.new" "$WALKTHROUGH_SESSION"
  fi
  return "$status"
}
trap __wt_save EXIT
"""


@dataclass
class Terminal:
    workdir: Path
    env: dict[str, str]
    session: Path

    def cwd(self) -> Path:
        """The directory the session is in (python blocks run there too)."""
        if self.session.exists():
            last = self.session.read_text().rstrip("\n").rsplit("\n", 1)[-1]
            if last.startswith("cd "):
                return Path(shlex.split(last[3:])[0])
        return self.workdir

    def bash(self, script: str, exit_status: int = 0) -> Done:
        command = ["bash", "-euo", "pipefail", "-c", PROLOGUE + script]
        env = {**self.env, "WALKTHROUGH_EXIT": str(exit_status)}
        return self.run(command, None, cwd=self.workdir, env=env)

    def python(self, code: str) -> Done:
        return self.run(["python", "-"], code, cwd=self.cwd(), env=self.env)

    def run(self, command: list[str], stdin: str | None, **kw: Any) -> Done:
        """`command` in its own process group, stopped with all it started (a block that would
        leave a server running or hang fails; nothing outlives the test)."""
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            **kw,
        )
        try:
            out, err = proc.communicate(stdin, timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            err += f"\n(still running after {BLOCK_TIMEOUT} s: stopped)"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # what the block left in the background
        return subprocess.CompletedProcess(command, proc.returncode, out, err)

    def redacted(self, text: str) -> str:
        """`text` without the secrets the walkthrough handled (a failure's message is kept)."""
        secrets = state_secrets(self.workdir / ".sandbox") + self.session_tokens()
        for secret in secrets:  # the clients a block added included
            text = text.replace(secret, "<secret>")
        return text

    def session_tokens(self) -> list[str]:
        if not self.session.exists():
            return []
        return re.findall(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
                          self.session.read_text())  # fmt: skip


def state_secrets(state: Path) -> list[str]:
    found: list[str] = []
    for path in [state / "admin.json", *state.glob("*.json"), *state.glob("clients/*.json")]:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            found += [doc[k] for k in ("client_secret", "admin_token") if doc.get(k)]
    return found


def wait_ready(admin: str, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            r = httpx.get(f"{admin}/__sandbox/ready", headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not get ready: {log.read_text()}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    missing = [program for program in USER_PROGRAMS if shutil.which(program) is None]
    if missing:
        skip_or_fail(f"the README's commands need {', '.join(missing)}")
    workdir = tmp_path / "repository"
    workdir.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (workdir / entry.name).symlink_to(entry)
    venv_bin = Path(sys.executable).parent
    if not (workdir / ".venv").exists():
        (workdir / ".venv").symlink_to(venv_bin.parent)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FICOBA_SANDBOX_", "PYTEST"))}
    env.update(
        PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv_bin.parent),
        TMPDIR=str(scratch),
        HOME=str(tmp_path / "home"),
        WALKTHROUGH_SESSION=str(tmp_path / "session.sh"),
    )
    port, admin_port = free_port(), free_port()
    init = subprocess.run(
        [str(venv_bin / "ficoba-sandbox"), "init", "--dir", ".sandbox"],  # as `make run`
        cwd=workdir, env=env, capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    state = workdir / ".sandbox"
    log = tmp_path / "serve.log"
    server = spawn_serve(state, port, log, admin_port=admin_port)
    term = Terminal(workdir, env, tmp_path / "session.sh")
    term.env["WALKTHROUGH_PORT"] = str(port)
    term.env["WALKTHROUGH_ADMIN_PORT"] = str(admin_port)
    try:
        admin_token = json.loads((state / "admin.json").read_text())["admin_token"]
        wait_ready(f"http://127.0.0.1:{admin_port}", admin_token, server, log)
        yield term
    finally:
        server.terminate()
        server.wait(timeout=30)
        term.session.unlink(missing_ok=True)  # it holds the shell's TOKEN and SECRET


def substituted(text: str, env: dict[str, str]) -> str:
    ports = {"port": env["WALKTHROUGH_PORT"], "admin_port": env["WALKTHROUGH_ADMIN_PORT"]}
    for printed, served in SUBSTITUTIONS.items():
        text = text.replace(printed, served.format(**ports))
    return text


def check(ok: bool, term: Terminal, block: Block, what: str, done: Done) -> None:
    """Fails with the block, its status and output, secrets redacted (and without pytest's
    rendering of `done`, which would show them)."""
    if not ok:
        pytest.fail(
            term.redacted(
                f"{block.where}: {what}\n--- block\n{block.text}--- exit status {done.returncode}"
                f"\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
            ),
            pytrace=False,
        )


def run_block(term: Terminal, block: Block) -> None:
    text = substituted(block.text, term.env)
    expected = block.exit_status
    if block.lang == "python":
        done = term.python(text)
        check(done.returncode == expected, term, block, "exit status", done)
        for shown in printed_outputs(text):
            check(shown.strip() in done.stdout, term, block, f"no {shown.strip()!r}", done)
        return
    if block.lang != "console":
        done = term.bash(text, expected)
        check(done.returncode == expected, term, block, "exit status", done)
        return
    for command, output in console_commands(text):
        done = term.bash(command + "\n", expected)
        check(done.returncode == expected, term, block, "exit status", done)
        check(output_matches(output, done.stdout), term, block, "not the output shown", done)


def test_every_readme_block_runs_as_printed(terminal: Terminal) -> None:
    blocks = readme_blocks(README.read_text("utf-8"))
    assert sum(b.skip is None for b in blocks) >= 10, "the walkthrough lost its blocks"
    before = {p.name for p in terminal.workdir.iterdir()}
    skipped = [b for b in blocks if b.skip]
    took: list[str] = []
    for block in blocks:
        if block.skip is None:
            start = time.monotonic()
            run_block(terminal, block)
            took.append(f"{block.line}: {time.monotonic() - start:.1f} s")
    print(f"README walkthrough: seconds per block (by line): {', '.join(took)}")
    print(f"README walkthrough: {len(blocks) - len(skipped)} blocks run, {len(skipped)} skipped:")
    for block in skipped:
        print(f"  skipped {block.where}: {block.skip}")
    written = {p.name for p in terminal.workdir.iterdir()} - before
    assert not written, f"the walkthrough wrote into the repository's root: {sorted(written)}"


def test_markers_and_console_blocks_are_read_as_documented() -> None:
    text = (
        "<!-- walkthrough: skip (needs Docker) -->\n```sh\ndocker ps\n```\n"
        "<!-- walkthrough: exit 2 -->\n```bash\nfalse\n```\n"
        "```console\n$ echo a \\\n  b\na b\n$ date\n...\n```\n```json\n{}\n```\n"
    )
    docker, error, console = readme_blocks(text)
    assert (docker.skip, docker.line, error.exit_status, console.skip) == (
        "needs Docker",
        2,
        2,
        None,
    )
    commands = console_commands(console.text)
    assert commands == [("echo a \\\n  b", ["a b"]), ("date", ["..."])]
    assert output_matches(["a ... c", "[x]"], "a b c\n[x]\n")
    assert not output_matches(["a b"], "a c")
    code = "x = 1  # one\nprint(x)   # 1\n    print(x, 2)  # 1 2 \nprint(x)\n"
    assert printed_outputs(code) == ["1", "1 2"]
