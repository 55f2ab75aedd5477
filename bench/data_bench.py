"""Data benchmark: build time cold / warm cache, peak memory, lookup latency.

    python bench/data_bench.py [--size 10000] [--accounts 1000000]

Each measurement runs in a fresh subprocess so peak RSS (resource.getrusage) and "cold" mean
what they say. Prints one JSON document. Figures, not timed tests.

`build_s` is the time to a usable store, Python imports included. The cache is written by a
background thread after the build (data/build.py): `cache_write_wait_s` is how long the child
then waited for it, `peak_rss_with_cache_write_mb` the peak including that write, `peak_rss_mb`
the peak once built and searched.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from ficoba_sandbox.data.build import CacheWriter, build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.search import CriteresPersonnePhysique
size, cache = int(sys.argv[1]), sys.argv[2]
writer = CacheWriter()  # as the server has it: the cache written after the build, not during it
store = build_store(
    42, size, [default_personas_dir()], cache_dir=Path(cache) if cache else None, writer=writer
)
built = time.perf_counter() - t0
ibans = [c.iban for c in store.comptes()][:: max(1, store.counts()["comptes"] // 20000)]
t = time.perf_counter()
for iban in ibans:
    store.droits_of_compte(store.compte_by_iban(iban))
iban_us = (time.perf_counter() - t) / len(ibans) * 1e6
pps = list(store.personnes_physiques())[:: max(1, size // 2000)]
t = time.perf_counter()
for pp in pps:
    store.search_personnes_physiques(CriteresPersonnePhysique(nom=pp.nom_naissance, annee_naissance=pp.annee_naissance))
search_us = (time.perf_counter() - t) / len(pps) * 1e6
rss_served = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
t = time.perf_counter()
writer.finish()  # the cache is written by a background thread after the build
cache_wait = time.perf_counter() - t
print(json.dumps({"build_s": round(built, 3), "peak_rss_mb": rss_served,
    "peak_rss_with_cache_write_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "cache_write_wait_s": round(cache_wait, 2),
    "iban_lookup_us": round(iban_us, 2), "perphy_search_us": round(search_us, 1), **store.counts()}))
"""


def run(size: int, cache: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(size), cache], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--big-size", type=int, default=295_000, help="≈ 1 M accounts")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    result = {}
    for label, size in (("default", args.size), ("1M_accounts", args.big_size)):
        if label != "default" and args.skip_big:
            continue
        with tempfile.TemporaryDirectory() as cache:
            result[label] = {
                "size": size,
                "no_cache": run(size, ""),
                "cold_cache": run(size, cache),
                "warm_cache": run(size, cache),
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
