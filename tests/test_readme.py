"""The README's request/response examples for the eleven search types are what the server
answers today (scripts/readme_examples.py --check starts a real server over mutual TLS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_search_type_examples_match_a_real_server() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_examples.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_shows_the_two_setup_commands_and_all_eleven_types() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert readme.count("<summary>request and response</summary>") == 11
    assert readme.count("\nHTTP 200\n") == 11
