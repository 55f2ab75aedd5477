"""A deliberately careless FICOBA client: it works on a good day and fails the recette.

    python examples/careless_client.py --creds .sandbox/demo-client.json

Its faults, and the criterion each one fails (docs/recette.md):
- a new token for every call, and on a 401 it replays with the same token (token_reuse,
  token_renewal);
- one X-Correlation-ID for the whole run (correlation_id);
- an empty justification (justification);
- a motif of its own, not registered, on the SIRET search (registration);
- on 429, 500 or 503 it retries at once, up to 3 times, never reading Retry-After
  (retry_after, backoff);
- it only calls three search types (coverage).

It talks to 127.0.0.1/localhost only and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from searches import SEARCHES

CORRELATION_ID = str(uuid.uuid4())  # careless: one for the whole run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--creds", required=True)
    p.add_argument("--calls", type=int, default=40)
    p.add_argument("--pace", type=float, default=0.25, help="seconds between searches")
    args = p.parse_args(argv)
    creds: dict[str, Any] = json.loads(Path(args.creds).read_text("utf-8"))
    for url in (creds["token_url"], creds["base_url"]):
        if urlsplit(url).hostname not in {"localhost", "127.0.0.1", "::1"}:
            raise SystemExit(f"refusing a non-loopback URL: {url}")
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    http = httpx.Client(verify=ctx, timeout=30.0)
    types = ["compte", "spi", "siren_siret"]
    statuses: dict[str, int] = {}
    for i in range(args.calls):
        stype = types[i % len(types)]
        resource, criteres = SEARCHES[stype]
        token = http.post(  # a token per call
            creds["token_url"],
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        ).json()["access_token"]
        body = {
            "dateDemande": date.today().isoformat(),
            "motif": "0999" if stype == "siren_siret" else creds["motifs"][0],
            "siretDemandeur": creds["siret_demandeur"],
            "sirenDemandeur": "",
            "justification": "",
            "criteresRecherche": criteres,
        }
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": CORRELATION_ID}
        for _attempt in range(4):  # retries at once, same token, same headers
            r = http.post(creds["base_url"] + resource, json=body, headers=headers)
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
            if r.status_code not in (401, 429, 500, 503):
                break
        time.sleep(args.pace)  # a steady pace, but Retry-After is never read
    print(json.dumps({"statuses": statuses}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
