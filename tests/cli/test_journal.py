"""`ficoba-sandbox journal tail|export`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ficoba_sandbox.cli import journal as journal_cli
from ficoba_sandbox.journal import COLUMNS, CallRecord, Journal

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ficoba-sandbox")
    journal_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def fill(directory: Path, n: int = 6) -> None:
    j = Journal.in_dir(directory, retention_days=0)
    for i in range(n):
        j.record(
            CallRecord(
                ts=T0 + timedelta(minutes=i),
                method="POST",
                path="/ficoba-api/v2/comptes/spi",
                status=200 if i % 3 else 401,
                error_code=None if i % 3 else "900902",
                latency_ms=2.0,
                client_id="alpha" if i % 2 else "beta",
                correlation_id=f"corr-{i}",
                motif="0003",
                request_body=b'{"motif": "0003", "criteresRecherche": {"numeroSPI": "1489335901123"}}',
                content_type="application/json",
                granted_scopes="dgfip_ficoba_compte dgfip_ficoba_date" if i % 3 else None,
                required_modality="with_ficoba_spi",
            )
        )
    j.close()


def test_tail_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path)
    assert run(["journal", "tail", "--dir", str(tmp_path), "-n", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "corr-4" in lines[0] and "corr-5" in lines[1]  # oldest first, like tail(1)
    assert lines[1].split()[:4] == ["2026-04-01T08:05:00.000000Z", "alpha", "200", "-"]
    # the rights at stake, last: the modality required, the token's scopes
    assert lines[1].split()[-2:] == [
        "modality=with_ficoba_spi",
        "scopes=dgfip_ficoba_compte,dgfip_ficoba_date",
    ]


def test_tail_client_filter_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path)
    run(["journal", "tail", "--dir", str(tmp_path), "--client", "beta", "--format", "jsonl"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["correlation_id"] for r in rows] == ["corr-0", "corr-2", "corr-4"]
    assert rows[0]["error_code"] == "900902"
    assert "1489335901123" not in json.dumps(rows)


def test_export_jsonl_since_client(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path)
    code = run(
        ["journal", "export", "--dir", str(tmp_path), "--client", "alpha", "--since", "2026-04-01T08:02:00Z"]
    )  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["correlation_id"] for r in rows] == ["corr-3", "corr-5"]
    assert set(rows[0]) == set(COLUMNS)


def test_export_csv_to_file(tmp_path: Path) -> None:
    fill(tmp_path)
    out = tmp_path / "out.csv"
    assert (
        run(["journal", "export", "--dir", str(tmp_path), "--format", "csv", "-o", str(out)]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["correlation_id"] for r in rows] == [f"corr-{i}" for i in range(6)]
    assert rows[0]["status"] == "401" and rows[0]["error_code"] == "900902"
    assert json.loads(rows[0]["request_body"])["motif"] == "0003"


def test_export_status_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path)
    run(["journal", "export", "--dir", str(tmp_path), "--status", "4xx"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["correlation_id"] for r in rows] == ["corr-0", "corr-3"]


def test_missing_journal_and_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["journal", "tail", "--dir", str(tmp_path / "nowhere")]) == 1
    assert "no journal" in capsys.readouterr().err
    fill(tmp_path)
    assert run(["journal", "export", "--dir", str(tmp_path), "--since", "yesterday"]) == 2


def test_tail_follow_sees_calls_written_by_a_running_journal(tmp_path: Path) -> None:
    live = Journal.in_dir(tmp_path, retention_days=0)  # the "server": open, writing
    try:
        live.record(CallRecord(ts=T0, method="GET", path="/a", status=200, latency_ms=1))
        live.flush()
        code = (
            "import sys; from ficoba_sandbox.cli import journal as j; import argparse;"
            "p = argparse.ArgumentParser(); j.register(p.add_subparsers());"
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "journal", "tail", "--dir", str(tmp_path), "-n", "5",
             "--follow", "--format", "jsonl", "--interval", "0.05"],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            first = json.loads(proc.stdout.readline())
            assert first["path"] == "/a"
            time.sleep(0.2)
            for p in ("/b", "/c"):
                live.record(CallRecord(ts=T0, method="GET", path=p, status=200, latency_ms=1))
            live.flush()
            seen = [json.loads(proc.stdout.readline())["path"] for _ in range(2)]
            assert seen == ["/b", "/c"]
        finally:
            proc.terminate()
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()
    finally:
        live.close()
