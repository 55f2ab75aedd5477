"""A well-behaved FICOBA client (httpx) that passes every recette criterion.

    python examples/reference_client.py --creds .sandbox/demo-client.json [--rounds 2]

What it does right, criterion by criterion (docs/recette.md):
- one token, kept and reused until 60 s before it expires; on 401 900901 it fetches a new one
  and replays the call once (token_present, token_reuse, token_renewal);
- a fresh UUID in X-Correlation-ID for every call, retries included (correlation_id);
- a non-empty justification, the registered motif and requester SIRET (justification,
  registration);
- on 429 it waits Retry-After; on 500/503 it waits Retry-After or 1 s, doubling, at most 3 retries
  (retry_after, backoff); a generous timeout for slow answers (slow_answers);
- every search type once per round, plus a "no result" and a refused request (coverage).

It talks to 127.0.0.1/localhost only and stops by itself. Exit 0 when every search got an answer.
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
from searches import INVALID, NO_RESULT, SEARCHES

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def ssl_context(creds: dict[str, Any]) -> ssl.SSLContext:
    # httpx 0.28: pass one SSLContext with the CA and the client certificate as `verify=`.
    ctx = ssl.create_default_context(cafile=creds["ca"])
    ctx.load_cert_chain(creds["cert"], creds["key"])
    return ctx


class Client:
    def __init__(self, creds: dict[str, Any], motif: str | None = None) -> None:
        for url in (creds["token_url"], creds["base_url"]):
            if urlsplit(url).hostname not in LOOPBACK:
                raise SystemExit(f"refusing a non-loopback URL: {url}")
        self.creds = creds
        self.http = httpx.Client(verify=ssl_context(creds), timeout=30.0)
        self.motif = motif or ("0001" if "0001" in creds["motifs"] else creds["motifs"][0])
        self._token: str | None = None
        self._expires = 0.0
        self.log: list[tuple[str, int, str | None]] = []

    # -- token: fetched once, reused until 60 s before expiry, renewed after a 401 ------------
    def token(self) -> str:
        if self._token is None or time.monotonic() >= self._expires - 60:
            r = self.http.post(
                self.creds["token_url"],
                data={"grant_type": "client_credentials"},
                auth=(self.creds["client_id"], self.creds["client_secret"]),
            )
            r.raise_for_status()
            body = r.json()
            self._token = body["access_token"]
            self._expires = time.monotonic() + int(body.get("expires_in", 3600))
        assert self._token is not None
        return self._token

    def search(self, stype: str, resource: str, criteres: dict[str, Any]) -> httpx.Response:
        body = {
            "dateDemande": date.today().isoformat(),
            "motif": self.motif,
            "siretDemandeur": self.creds["siret_demandeur"],
            "sirenDemandeur": "",
            "justification": f"Recette {stype} dossier REF-{uuid.uuid4().hex[:8].upper()}",
            "criteresRecherche": criteres,
        }
        renewed = False
        retries = 0
        delay = 1.0
        while True:
            r = self.http.post(
                self.creds["base_url"] + resource,
                json=body,
                headers={
                    "Authorization": f"Bearer {self.token()}",
                    "X-Correlation-ID": str(uuid.uuid4()),  # new for every call, retries too
                },
            )
            code = None
            if r.status_code >= 400:
                try:
                    code = str(r.json().get("erreur", {}).get("code"))
                except ValueError:
                    code = None
            self.log.append((stype, r.status_code, code))
            if r.status_code == 401 and code == "900901" and not renewed:
                self._token, renewed = None, True  # drop it, fetch a new one, replay once
                continue
            if r.status_code == 429 and retries < 5:
                retries += 1
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code in (500, 503) and retries < 3:
                retries += 1
                wait = max(float(r.headers.get("Retry-After", "0")), delay)
                time.sleep(wait)
                delay *= 2
                continue
            return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--creds", required=True, help="credentials file (D/demo-client.json, ...)")
    p.add_argument("--rounds", type=int, default=2, help="rounds over every search type")
    p.add_argument("--types", default=None, help="comma-separated search types (default: all)")
    p.add_argument("--motif", default=None)
    args = p.parse_args(argv)
    creds = json.loads(Path(args.creds).read_text("utf-8"))
    client = Client(creds, args.motif)
    types = args.types.split(",") if args.types else list(SEARCHES)
    unanswered = 0
    for _ in range(args.rounds):
        for stype in types:
            resource, criteres = SEARCHES[stype]
            r = client.search(stype, resource, criteres)
            unanswered += r.status_code != 200
        client.search(NO_RESULT[0], NO_RESULT[1], NO_RESULT[2])
        client.search(INVALID[0], INVALID[1], INVALID[2])
    summary: dict[str, int] = {}
    for _, status, _code in client.log:
        summary[str(status)] = summary.get(str(status), 0) + 1
    print(json.dumps({"calls": len(client.log), "statuses": summary}))
    return 1 if unanswered else 0


if __name__ == "__main__":
    sys.exit(main())
