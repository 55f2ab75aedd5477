"""Every shipped pack, replayed over real mutual TLS against a live server with its admin plane."""

from __future__ import annotations

from pathlib import Path

import pytest

from ficoba_sandbox.qa.pack import load_pack, pack_files
from ficoba_sandbox.qa.runner import Runner, report

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
PACKS = pack_files([SCENARIOS])


@pytest.mark.tls
@pytest.mark.parametrize("path", PACKS, ids=[p.stem for p in PACKS])
def test_shipped_pack_passes(qa_server, path: Path) -> None:
    pack = load_pack(path)
    runner = Runner(qa_server.target())
    try:
        result = runner.run_pack(pack, str(path))
    finally:
        runner.close()
    assert result.ok, report([result])
