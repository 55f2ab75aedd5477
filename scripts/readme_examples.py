"""Regenerate (or check) the README's "eleven search types" section from a real server.

    python scripts/readme_examples.py --write   # rewrite the section between the markers
    python scripts/readme_examples.py --check   # exit 1 if the README drifted from the server

It starts `ficoba-sandbox serve` on a free loopback port with a fresh state directory, sends
each request with the demo client over mutual TLS (token first), and renders request and
response. The bodies are the protocol's own examples (protocol v11 §2-§8), with the requester
SIRET and motif replaced by the demo client's, so they work as printed for anyone who ran
`make run`. `referenceDemande` and `horodatage` differ per call: `--check` ignores them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from ficoba_sandbox.gateway.pki import client_ssl_context

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- BEGIN search-types (scripts/readme_examples.py) -->"
END = "<!-- END search-types -->"
PROTOCOLE = ROOT / "tests" / "api" / "protocole"


def _requete(nom: str) -> dict[str, Any]:
    return json.loads((PROTOCOLE / f"{nom}.json").read_text())["caracteristiquesDemande"]


def _verif_iban_pm() -> dict[str, Any]:
    # Protocol v11 §7.3.2 prints only the criteria of the PM example; envelope as the others.
    return {
        "dateDemande": "2023-10-11",
        "motif": "0100",
        "siretDemandeur": "81325471100020",
        "sirenDemandeur": "",
        "justification": "référence vérification titulaire iban",
        "criteresRecherche": {
            "iban": "FC1430004021971896960539599",
            "recherchePP": "0",
            "recherchePM": "1",
            "rechercheSirenSiret": "0",
            "designation": {
                "raisonSociale": "world media",
                "sigle": "",
                "enseigne": "",
                "codeCategorieJuridique": "1000",
            },
        },
    }


def _verif_iban_siret() -> dict[str, Any]:
    from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES

    return REQUEST_EXAMPLES["verifIban"]["siret"]


#: (title, CGU search type, resource, request body)
def examples() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("Compte (IBAN)", "numCpte", _requete("numCpte_compte")),
        ("SPI", "spi", _requete("spi")),
        ("SIREN/SIRET", "siretSiren", _requete("siretSiren")),
        ("Personne physique", "perPhy", _requete("perPhy")),
        ("Personne morale", "perPro", _requete("perPro")),
        ("Vérification IBAN personne physique", "verifIban", _requete("verifIban_pp")),
        ("Vérification IBAN personne morale", "verifIban", _verif_iban_pm()),
        ("Vérification IBAN SIRET", "verifIban", _verif_iban_siret()),
        ("Multi-détention personne physique", "multiDet", _requete("multiDet_pp_accord")),
        ("Multi-détention personne morale", "multiDet", _requete("multiDet_pm_accord")),
        ("Multi-détention SIRET", "multiDet", _requete("multiDet_siret_accord")),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server() -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        port, admin = _free_port(), _free_port()
        cmd = [sys.executable, "-m", "ficoba_sandbox", "serve", "--dir", tmp, "--port", str(port)]
        cmd += ["--admin-port", str(admin), "--size", "500"]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ}
        )
        try:
            creds_path = Path(tmp) / "demo-client.json"
            deadline = time.monotonic() + 60
            while True:
                if creds_path.exists():
                    creds = json.loads(creds_path.read_text())
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=1):
                            break
                    except OSError:
                        pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
            creds["token_url"] = f"https://localhost:{port}/token"
            creds["base_url"] = f"https://localhost:{port}/ficoba-api/v2"
            yield creds
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run_examples() -> list[tuple[str, str, dict[str, Any], int, dict[str, Any]]]:
    out = []
    with running_server() as creds:
        ctx = client_ssl_context(creds["ca"], creds["cert"], creds["key"])
        with httpx.Client(verify=ctx, timeout=30) as http:
            tok = http.post(
                creds["token_url"],
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], creds["client_secret"]),
            )
            tok.raise_for_status()
            bearer = tok.json()["access_token"]
            for titre, resource, body in examples():
                body = {
                    **body,
                    "siretDemandeur": creds["siret_demandeur"],
                    "sirenDemandeur": "",
                    "motif": creds["motifs"][0],
                }
                r = http.post(
                    f"{creds['base_url']}/comptes/{resource}",
                    json=body,
                    headers={
                        "Authorization": f"Bearer {bearer}",
                        "X-Correlation-ID": str(uuid.uuid4()),
                    },
                )
                out.append((titre, resource, body, r.status_code, r.json()))
    return out


def render(results: list[tuple[str, str, dict[str, Any], int, dict[str, Any]]]) -> str:
    parts = [BEGIN, ""]
    for i, (titre, resource, body, status, reponse) in enumerate(results, 1):
        parts += [
            f"#### {i}. {titre} — `POST /ficoba-api/v2/comptes/{resource}`",
            "",
            "<details><summary>request and response</summary>",
            "",
            "```json",
            json.dumps(body, ensure_ascii=False, indent=2),
            "```",
            "",
            f"HTTP {status}",
            "",
            "```json",
            json.dumps(reponse, ensure_ascii=False, indent=2),
            "```",
            "",
            "</details>",
            "",
        ]
    parts.append(END)
    return "\n".join(parts)


_VOLATILE = re.compile(r'"(referenceDemande|horodatage)": "[^"]*"')


def _stable(text: str) -> str:
    return _VOLATILE.sub(r'"\1": "…"', text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme = README.read_text()
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    section = render(run_examples())
    if args.write:
        README.write_text(readme[:start] + section + readme[end:])
        return 0
    if _stable(readme[start:end]) != _stable(section):
        print("README search-type examples differ from the server: run --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
