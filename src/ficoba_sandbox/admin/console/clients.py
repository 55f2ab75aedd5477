"""The console's clients (docs/console.md, "Clients"): the registry with each client's rights,
quota and certificate; a new client from a form; its credentials to download.

A new client is made by the code of `ficoba-sandbox clients add` (gateway/clients.py:
`client_spec`, then `enrol`): certificate from the sandbox CA, secret, registry entry, the
credentials file `D/clients/<id>.json` (0600). The running sandbox reads the registry again
before it refuses anyone, so the client can call at once.

Downloads. The secret is shown nowhere: the files that carry it or the private key (the JSON
credentials, the key, the PKCS#12) are served through a download handle, a random 256-bit id
kept in this process's memory, valid HANDLE_SECONDS, each file once. One is made with a new
client (its PKCS#12 password shown once, on that page) and, for a client whose credentials file
the state directory holds, by a POST from its row; a handle never appears for a client whose
files are not there (a bring-your-own certificate has no key here).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ficoba_sandbox.admin.common import admin_event
from ficoba_sandbox.admin.console.forms import Form, FormError, read_form
from ficoba_sandbox.admin.console.layout import CONSOLE, SECURITY_HEADERS, Console, Texts
from ficoba_sandbox.domain.access import MODALITIES, OPERATION_SCOPES, SCOPES, SearchType
from ficoba_sandbox.gateway.clients import client_spec, enrol, public_origin
from ficoba_sandbox.gateway.pki import DEFAULT_CLIENT_VALIDITY_DAYS, PkiPaths
from ficoba_sandbox.gateway.registry import ClientRecord, RegistryError
from ficoba_sandbox.sandbox import Sandbox

SECTION = "clients"
PAGE = f"{CONSOLE}/{SECTION}"
#: how long a download handle lives (seconds), and how many live at once (oldest goes)
HANDLE_SECONDS = 600.0
MAX_HANDLES = 64
#: a certificate that ends within this many days is flagged
SOON_DAYS = 30

#: file -> (its path for a client, media type, download name)
FILES: dict[str, tuple[Callable[[PkiPaths, str], Path], str, str]] = {
    "json": (PkiPaths.client_credentials, "application/json", "{id}.json"),
    "cert": (PkiPaths.client_cert, "application/x-pem-file", "{id}.pem"),
    "key": (PkiPaths.client_key, "application/x-pem-file", "{id}.key"),
    "p12": (PkiPaths.client_p12, "application/x-pkcs12", "{id}.p12"),
}

TEXTS: Texts = {
    "en": {
        "intro": "The clients the sandbox knows, with their rights, quota and certificate. A new "
        "client is made as `ficoba-sandbox clients add` makes it.",
        "registry": "Registry",
        "client": "Client",
        "status": "Status",
        "active": "active",
        "revoked": "revoked",
        "rights": "Modalities and scopes",
        "modalities": "Modalities",
        "scopes": "Data scopes",
        "operation_scopes": "Operation scopes",
        "quota": "Quota per minute",
        "quota_state": "used {used}, {remaining} left",
        "ips": "Allowed networks",
        "sirets": "Requester SIRETs",
        "motifs": "Motifs",
        "hours": "Declared hours",
        "certificate": "Certificate until",
        "days_left": "{n} days left",
        "expired": "expired",
        "credentials": "Credentials",
        "get_credentials": "Download credentials",
        "no_file": "not in the state directory",
        "default": "default",
        "every_type": "every search type",
        "new": "New client",
        "client_id": "Client id (letters, digits, . _ -)",
        "modalities_help": "DataPass modalities (none ticked: all)",
        "scopes_help": "Data scopes (none ticked: all)",
        "operation_scopes_help": "Operation scopes (none ticked: those of the modalities)",
        "quota_help": "Quota per minute (empty: the server's default)",
        "ips_help": "Allowed networks, CIDR, comma-separated (empty: loopback)",
        "sirets_help": "Requester SIRETs, comma-separated (empty: a fictitious one)",
        "motifs_help": "Motifs, comma- or line-separated: CODE or CODE:type;type (empty: the "
        "defaults)",
        "hours_help": "Declared hours HH:MM-HH:MM, Paris (optional)",
        "validity_help": "Certificate validity (days)",
        "create": "Create the client",
        "created": "Client {id} created.",
        "downloads": "Its files",
        "downloads_intro": "Each link works once, for {minutes} minutes. The credentials file "
        "holds the secret: keep it like a password.",
        "p12_password": "PKCS#12 password (shown once; it is also in the credentials file)",
        "file_json": "Credentials (JSON, with the secret)",
        "file_cert": "Certificate (PEM)",
        "file_key": "Private key (PEM)",
        "file_p12": "Certificate and key for a browser (PKCS#12)",
        "gone": "This download link is used up or expired: ask for the credentials again.",
        "refused": "The client was not created",
        "bad_form": "This form is not one of the console's.",
        "unknown_client": "This client is unknown or its credentials file is not in the state "
        "directory.",
    },
    "fr": {
        "intro": "Les clients que connaît le bac à sable, avec leurs droits, leur quota et leur "
        "certificat. Un nouveau client est créé comme le fait `ficoba-sandbox clients add`.",
        "registry": "Registre",
        "client": "Client",
        "status": "État",
        "active": "actif",
        "revoked": "révoqué",
        "rights": "Modalités et scopes",
        "modalities": "Modalités",
        "scopes": "Scopes de données",
        "operation_scopes": "Scopes d'opération",
        "quota": "Quota par minute",
        "quota_state": "{used} utilisés, {remaining} restants",
        "ips": "Réseaux autorisés",
        "sirets": "SIRET demandeurs",
        "motifs": "Motifs",
        "hours": "Heures déclarées",
        "certificate": "Certificat jusqu'au",
        "days_left": "{n} jours restants",
        "expired": "expiré",
        "credentials": "Identifiants",
        "get_credentials": "Télécharger les identifiants",
        "no_file": "absent du répertoire d'état",
        "default": "par défaut",
        "every_type": "tout type de recherche",
        "new": "Nouveau client",
        "client_id": "Identifiant du client (lettres, chiffres, . _ -)",
        "modalities_help": "Modalités DataPass (aucune cochée : toutes)",
        "scopes_help": "Scopes de données (aucun coché : tous)",
        "operation_scopes_help": "Scopes d'opération (aucun coché : ceux des modalités)",
        "quota_help": "Quota par minute (vide : celui du serveur)",
        "ips_help": "Réseaux autorisés, CIDR, séparés par des virgules (vide : boucle locale)",
        "sirets_help": "SIRET demandeurs, séparés par des virgules (vide : un SIRET fictif)",
        "motifs_help": "Motifs, séparés par des virgules ou des lignes : CODE ou CODE:type;type "
        "(vide : ceux par défaut)",
        "hours_help": "Heures déclarées HH:MM-HH:MM, Paris (facultatif)",
        "validity_help": "Validité du certificat (jours)",
        "create": "Créer le client",
        "created": "Client {id} créé.",
        "downloads": "Ses fichiers",
        "downloads_intro": "Chaque lien sert une fois, pendant {minutes} minutes. Le fichier "
        "d'identifiants contient le secret : gardez-le comme un mot de passe.",
        "p12_password": "Mot de passe du PKCS#12 (affiché une fois ; il est aussi dans le "
        "fichier d'identifiants)",
        "file_json": "Identifiants (JSON, avec le secret)",
        "file_cert": "Certificat (PEM)",
        "file_key": "Clé privée (PEM)",
        "file_p12": "Certificat et clé pour un navigateur (PKCS#12)",
        "gone": "Ce lien de téléchargement a servi ou a expiré : redemandez les identifiants.",
        "refused": "Le client n'a pas été créé",
        "bad_form": "Ce formulaire n'est pas un de ceux de la console.",
        "unknown_client": "Ce client est inconnu ou son fichier d'identifiants n'est pas dans "
        "le répertoire d'état.",
    },
}


@dataclass
class Handle:
    client_id: str
    expires: float
    files: set[str] = field(default_factory=set)


class Handles:
    """The live download handles of one console (memory only: a restart forgets them)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._live: OrderedDict[str, Handle] = OrderedDict()

    def open(self, client_id: str, files: set[str]) -> str:
        handle = secrets.token_urlsafe(32)
        self._live[handle] = Handle(client_id, self._clock() + HANDLE_SECONDS, set(files))
        while len(self._live) > MAX_HANDLES:
            self._live.popitem(last=False)
        return handle

    def take(self, handle: str, name: str) -> str | None:
        """The client id whose file `name` the handle still gives (then never again), or None."""
        found = self._live.get(handle)
        if found is None or found.expires <= self._clock() or name not in found.files:
            return None
        found.files.discard(name)
        if not found.files:
            del self._live[handle]
        return found.client_id


def _list(text: str) -> list[str]:
    """A comma-, space- or line-separated field as its values (`;` kept: motif types)."""
    return [v for v in text.replace(",", " ").split() if v]


def spec_from_form(form: Form) -> Any:
    """The form as `clients add`'s options (gateway/clients.py `client_spec`); ValueError with
    what is wrong."""
    quota_text = form.get("quota", "").strip()
    validity_text = form.get("cert_validity", "").strip()
    try:
        quota = int(quota_text) if quota_text else None
        validity = int(validity_text) if validity_text else DEFAULT_CLIENT_VALIDITY_DAYS
    except ValueError:
        raise ValueError("quota and validity are whole numbers") from None
    if validity < 1 or validity > 3650:
        raise ValueError("the certificate validity is 1 to 3650 days")
    unknown = (
        set(form.getlist("modalities")) - set(MODALITIES)
        | set(form.getlist("scopes")) - set(SCOPES)
        | set(form.getlist("operation_scopes")) - set(OPERATION_SCOPES)
    )
    if unknown:
        raise ValueError(f"unknown modality or scope: {', '.join(sorted(unknown))}")
    sirets = _list(form.get("sirets", ""))
    return client_spec(
        form.get("client_id", "").strip(),
        modalities=form.getlist("modalities"),
        scopes=form.getlist("scopes"),
        operation_scopes=form.getlist("operation_scopes") or None,
        quota=quota,
        ips=_list(form.get("ips", "")),
        sirets=sirets or None,
        motifs=[m.replace(";", ",") for m in _list(form.get("motifs", ""))],
        hours=form.get("hours", "").strip() or None,
        cert_validity_days=validity,
    )


def row_of(sandbox: Sandbox, record: ClientRecord, quota: dict[str, Any]) -> dict[str, Any]:
    paths = PkiPaths(Path(sandbox.settings.state_dir))
    until = datetime.fromisoformat(record.cert_not_after)
    days = (until - datetime.now(UTC)).days
    files = {n for n, (path, _, _) in FILES.items() if path(paths, record.client_id).is_file()}
    return {
        "record": record,
        "quota": quota,
        "until": until.date().isoformat(),
        "days_left": days,
        "expired": until <= datetime.now(UTC),
        "soon": days < SOON_DAYS,
        # a motif allowing every search type says so, else its types
        "motifs": [
            (code, None if set(types) >= set(SearchType) else sorted(t.value for t in types))
            for code, types in sorted(record.motifs.items())
        ],
        "downloadable": "json" in files and not record.revoked,
    }


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox
    registry = sandbox.gateway.registry
    handles = Handles()
    paths = PkiPaths(Path(sandbox.settings.state_dir))

    async def rows() -> list[dict[str, Any]]:
        return [
            row_of(sandbox, record, await sandbox.levels.quota_state(record.client_id))
            for record in registry
        ]

    async def show(request: Request, status_code: int = 200, **context: Any) -> Response:
        context = {
            "rows": await rows(),
            "modalities": MODALITIES,
            "scopes": SCOPES,
            "operation_scopes": OPERATION_SCOPES,
            "validity": DEFAULT_CLIENT_VALIDITY_DAYS,
            "page": PAGE,
            "minutes": int(HANDLE_SECONDS // 60),
            "form": {},
            "created": None,
            "error": None,
            **context,
        }
        return console.render(
            request, "clients.html", SECTION, TEXTS, status_code=status_code, **context
        )

    def downloads(client_id: str) -> tuple[str, list[str]]:
        files = [n for n, (path, _, _) in FILES.items() if path(paths, client_id).is_file()]
        return handles.open(client_id, set(files)), files

    @r.get(PAGE)
    async def page(request: Request) -> Response:
        return await show(request)

    @r.post(PAGE + "/new")
    async def new(request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormError:
            return await show(request, 400, error="bad_form")
        kept = {k: form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k) for k in form}
        settings = sandbox.settings
        try:
            spec = spec_from_form(form)
            creds = await run_in_threadpool(
                enrol, paths, spec, public_origin(settings.host, settings.port)
            )
        except (RegistryError, ValueError) as exc:
            return await show(request, 422, error="refused", detail=str(exc), form=kept)
        client_id = creds["client_id"]
        event = admin_event(request, "client.add", client_id=client_id)
        await run_in_threadpool(sandbox.journal.record_event, event)
        handle, files = downloads(client_id)
        created = {
            "client_id": client_id,
            "handle": handle,
            "files": files,
            "p12_password": creds.get("p12_password"),
        }
        return await show(request, created=created)

    @r.post(PAGE + "/credentials")
    async def credentials(request: Request) -> Response:
        """A fresh download handle for a client whose credentials file D holds."""
        try:
            form = await read_form(request)
        except FormError:
            return await show(request, 400, error="bad_form")
        client_id = form.get("client_id", "")
        record = registry.get(client_id)
        if record is None or record.revoked or not paths.client_credentials(client_id).is_file():
            return await show(request, 422, error="unknown_client")
        handle, files = downloads(client_id)
        created = {"client_id": client_id, "handle": handle, "files": files, "again": True}
        return await show(request, created=created)

    @r.get(PAGE + "/download/{handle}/{name}")
    async def download(request: Request, handle: str, name: str) -> Response:
        client_id = handles.take(handle, name)
        if client_id is None or name not in FILES:
            return await show(request, 410, error="gone")
        path_of, media_type, filename = FILES[name]
        data = await run_in_threadpool(path_of(paths, client_id).read_bytes)
        attachment = f'attachment; filename="{filename.format(id=client_id)}"'
        return Response(
            data,
            media_type=media_type,
            headers={**SECURITY_HEADERS, "Content-Disposition": attachment},
        )

    return r
