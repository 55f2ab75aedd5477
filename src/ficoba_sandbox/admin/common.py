"""What several admin routers share: the URL prefix, the lookup of a registered client, the
requester whose SIRET and motif fill the ready-to-send bodies, the sandbox's day, and the admin
event of a destructive or time-reversing action (who did it: `app.AdminGuard` says)."""

from __future__ import annotations

from typing import NamedTuple

from fastapi import HTTPException, Request

from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.gateway.clients import DEMO_CLIENT_ID
from ficoba_sandbox.gateway.registry import DEMO_SIRET, ClientRecord, Registry
from ficoba_sandbox.journal import AdminEvent
from ficoba_sandbox.sandbox import Sandbox

#: every admin route is under it, away from the API's paths (docs/qa.md, "Admin plane")
PREFIX = "/__sandbox"
#: where `app.AdminGuard` leaves the kind of credential a request came with (`request.state`)
CREDENTIAL_STATE = "admin_credential"


class Requester(NamedTuple):
    """Who a ready-to-send body is built for: its `siretDemandeur` and `motif`."""

    client_id: str
    siret: str
    motif: str


def known_client(registry: Registry, client_id: str) -> ClientRecord:
    """The client's registration; 404 when the registry does not know it."""
    record = registry.get(client_id)
    if record is None:
        raise HTTPException(404, f"unknown client {client_id!r}")
    return record


def requester(registry: Registry, client_id: str | None) -> Requester:
    """The named client (404 when unknown), else the demo client; a registry without the demo
    client gets the demo SIRET and motif 0001, so the bodies stay complete."""
    record = known_client(registry, client_id) if client_id else registry.get(DEMO_CLIENT_ID)
    if record is None:
        return Requester(DEMO_CLIENT_ID, DEMO_SIRET, "0001")
    # a motif that allows every search type makes every body of the catalogue answerable
    # (a motif that does not allow the resource's search type is refused CAF031)
    everything = [m for m, types in record.motifs.items() if set(types) >= set(SearchType)]
    motif = (everything or sorted(record.motifs) or ["0001"])[0]
    return Requester(record.client_id, min(record.sirets, default=DEMO_SIRET), motif)


def today(sandbox: Sandbox) -> str:
    """The sandbox's day (Paris, by its one clock): the `dateDemande` the bodies carry, which a
    frozen or advanced clock moves."""
    return sandbox.backend.today().isoformat()


def admin_event(request: Request, action: str, **details: object) -> AdminEvent:
    """The event of `action` done by this request: its peer address and the kind of credential
    the guard accepted (never the token itself)."""
    client = request.client
    return AdminEvent(
        action=action,
        peer_ip=client.host if client else "",
        credential=str(getattr(request.state, CREDENTIAL_STATE, "")),
        details={k: v for k, v in details.items() if v is not None},
    )
