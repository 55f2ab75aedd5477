"""A client of the sandbox, as an integrator's container would run it (docker-compose.yml), and
as `make docker-test` runs it from the host with the credentials copied out of /data.

Reads the demo client's credentials from the shared volume (FICOBA_CREDENTIALS, default
/data/demo-client.json), reaches the sandbox at FICOBA_URL (e.g. https://sandbox:8443: the
server certificate carries that name through FICOBA_SANDBOX_SAN), gets a token over mutual TLS,
then calls /etatSante and a numCpte search. Prints one JSON line per call; exit 0 when all is well.
Standard library + httpx only.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import uuid
from datetime import date
from pathlib import Path

import httpx


def main() -> int:
    path = Path(os.environ.get("FICOBA_CREDENTIALS", "/data/demo-client.json"))
    creds = json.loads(path.read_text("utf-8"))
    origin = os.environ.get("FICOBA_URL", "").rstrip("/")
    base_url = origin + "/ficoba-api/v2" if origin else creds["base_url"]
    token_url = origin + "/token" if origin else creds["token_url"]

    ctx = ssl.create_default_context(cafile=creds["ca"])  # httpx 0.28: an SSLContext as verify=
    ctx.load_cert_chain(creds["cert"], creds["key"])
    with httpx.Client(verify=ctx, timeout=10) as http:
        r = http.post(
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
        r.raise_for_status()
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

        def call(method: str, path: str, body: dict | None = None) -> httpx.Response:
            r = http.request(
                method, base_url + path, json=body, headers={"X-Correlation-ID": str(uuid.uuid4())}
            )
            print(json.dumps({"call": path, "status": r.status_code, "body": r.json()}))
            return r

        ok = call("GET", "/etatSante").status_code == 200
        body = {
            "dateDemande": date.today().isoformat(),
            "motif": creds["motifs"][0],
            "siretDemandeur": creds["siret_demandeur"],
            "sirenDemandeur": "",
            "justification": "docker-compose client example",
            "criteresRecherche": {
                "iban": os.environ.get("FICOBA_IBAN", "FR7630004009550000135601429"),
                "verificationCompte": "0",
            },
        }
        ok = call("POST", "/comptes/numCpte", body).status_code == 200 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
