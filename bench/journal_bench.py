"""The journal's costs, on this machine (no network; stops by itself):

    python bench/journal_bench.py [--calls 20000] [--rounds 5] [--src DIR ...]

Per round and per writer (`process`, the server's default, then `thread`), in a fresh
interpreter: a journal in a temporary directory is warmed up (its writer started, one batch
written), then `--calls` calls shaped like the pipeline's (a search body with identifiers,
names and free text; the details it adds) are recorded and flushed.

- `record_us`: wall time of `Journal.record()` per call, the part the event loop pays inline;
- `server_cpu_us`: CPU time of the server's process per call, every thread of it (the caller,
  the journal-writer thread that batches, pickles and pipes to the child, the replies thread),
  the child's not counted: what the server pays per call in all;
- `committed_per_s`: calls masked and committed per second, from the first `record()` to the
  end of `flush()`.

`--src DIR` (repeatable) measures the package found in each source tree (e.g. a checkout of
another commit's `src`) instead of the installed one; the trees take turns within each round,
in an order swapped every round, so each sees the same machine load. Prints one JSON document:
per tree and writer, the median, min and max of the rounds and, for the trees after the first,
the median of the rounds' ratios to the first tree (progress on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

#: One round in a fresh interpreter: argv = calls, writer. Prints one JSON line.
ROUND = r"""
import json, sys, tempfile, time
from datetime import UTC, datetime
from pathlib import Path
import ficoba_sandbox.journal as package
from ficoba_sandbox.journal import CallRecord, Journal

calls_n, writer = int(sys.argv[1]), sys.argv[2]
now = datetime.now(UTC)


def call(i: int) -> CallRecord:
    body = json.dumps({
        "motif": "0003",
        "justification": f"Dossier fictif {i} pour la recette",
        "siretDemandeur": "11122233300017",
        "criteresRecherche": {
            "etatCivil": {"nomNaissance": f"NOMFICTIF{i % 97}", "prenoms": "ALIX CAMILLE",
                          "dateNaissance": "1980-05-12", "codeLieuNaissance": "75056"},
            "iban": "FR7699999000011234567890185",
        },
    }).encode()
    return CallRecord(
        ts=now, method="POST", path="/ficoba-api/v2/comptes/personnes-physiques/recherche",
        status=200, latency_ms=3.25, client_id="bench-client", client_id_source="gateway",
        thumbprint="bench-thumbprint", peer_ip="127.0.0.1", search_type="personne_physique",
        motif="0003", correlation_id=f"corr-{i}", request_id=f"req-{i}",
        reference_demande=f"REF{i:012d}", auth_scheme="Bearer", justification="present",
        request_body=body, content_type="application/json",
        details={"token_ref": "t-0123456789", "token_exp": "2026-01-01T00:00:00Z",
                 "user_agent": "journal-bench/1", "body_bytes": len(body)},
    )


warm = [call(i) for i in range(500)]
calls = [call(i) for i in range(calls_n)]
with tempfile.TemporaryDirectory() as tmp:
    journal = Journal.in_dir(Path(tmp), writer=writer)
    try:
        for c in warm:  # the writer (and its child) started, one batch written
            journal.record(c)
        assert journal.flush(timeout=60)
        cpu0, t0 = time.process_time(), time.perf_counter()
        for c in calls:
            journal.record(c)
        t1 = time.perf_counter()
        assert journal.flush(timeout=600)
        t2, cpu2 = time.perf_counter(), time.process_time()
        assert journal.count() == len(warm) + calls_n
    finally:
        journal.close()
print(json.dumps({
    "module": package.__file__,
    "record_us": (t1 - t0) / calls_n * 1e6,
    "server_cpu_us": (cpu2 - cpu0) / calls_n * 1e6,
    "committed_per_s": calls_n / (t2 - t0),
}))
"""

WRITERS = ("process", "thread")
METRICS = ("record_us", "server_cpu_us", "committed_per_s")


def one_round(src: str | None, calls: int, writer: str) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", ROUND, str(calls), writer],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if out.returncode != 0:
        sys.exit(f"journal-bench: a round failed ({src or 'installed'}, {writer}):\n{out.stderr}")
    return dict(json.loads(out.stdout))


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--src", action="append", help="a source tree holding ficoba_sandbox")
    args = parser.parse_args()
    trees: list[str | None] = [str(Path(s).resolve()) for s in args.src] if args.src else [None]
    samples: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for n in range(args.rounds):
        for tree in trees if n % 2 == 0 else list(reversed(trees)):
            for writer in WRITERS:
                result = one_round(tree, args.calls, writer)
                samples.setdefault((tree, writer), []).append(result)
                label = f"round {n + 1} {tree or 'installed'} {writer}"
                print(f"[journal-bench] {label}: {result}", file=sys.stderr, flush=True)
    report: dict[str, Any] = {
        "calls": args.calls,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "trees": {},
    }
    for (tree, writer), results in samples.items():
        entry = report["trees"].setdefault(tree or "installed", {"module": results[0]["module"]})
        entry[writer] = {metric: summary([r[metric] for r in results]) for metric in METRICS}
        if tree != trees[0]:
            # the same round of the first tree ran under about the same machine load
            first = samples[(trees[0], writer)]
            entry[writer]["median_ratio_to_first_tree"] = {
                metric: round(
                    statistics.median(
                        r[metric] / f[metric] for r, f in zip(results, first, strict=True)
                    ),
                    3,
                )
                for metric in METRICS
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
