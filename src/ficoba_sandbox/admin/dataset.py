"""`GET dataset`: the dataset's seed, size, digest and counts, and its personas (the hand-written
persona files, docs/data.md), each with ready-to-send requests for the resources that find it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter

from ficoba_sandbox.admin.common import PREFIX, requester, today
from ficoba_sandbox.data.model import PersonneMorale, PersonnePhysique
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.qa import magic
from ficoba_sandbox.sandbox import Sandbox

#: `criteresRecherche` -> the complete request body (the requester's SIRET, motif and day)
Envelope = Callable[[dict[str, Any]], dict[str, Any]]


def router(sandbox: Sandbox) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["dataset"])

    @r.get("/dataset", summary="Seed, size, digest, personas and their requests")
    def dataset(client_id: str | None = None) -> dict[str, Any]:
        store = sandbox.store
        who = requester(sandbox.gateway.registry, client_id)
        return {
            "seed": store.seed,
            "size": store.size,
            "digest": store.digest(),
            "counts": store.counts(),
            "personas": personas(store, siret=who.siret, motif=who.motif, today=today(sandbox)),
        }

    return r


def personas(store: Store, *, siret: str, motif: str, today: str) -> list[dict[str, Any]]:
    """The personas of the store, people first, each with a request body per resource that
    finds it (`spi`, `perPhy`, `perPro`, `siretSiren`, and `numCpte` on its first account)."""
    envelope = partial(magic.envelope, siret, motif, today)
    out: list[dict[str, Any]] = []
    for p in store.personnes_physiques():
        if p.persona:
            ibans = [c.iban for c, _ in store.comptes_of_personne_physique(p)]
            out.append(
                {
                    "id": p.id,
                    "file": p.persona,
                    "kind": "personne_physique",
                    "name": f"{p.nom_naissance} {p.prenoms}",
                    "spi": p.numero_spi or None,
                    "ibans": ibans,
                    "requests": _pp_requests(p, ibans, envelope),
                }
            )
    for m in store.personnes_morales():
        if m.persona:
            ibans = [c.iban for c, _ in store.comptes_of_personne_morale(m)]
            out.append(
                {
                    "id": m.id,
                    "file": m.persona,
                    "kind": "personne_morale",
                    "name": m.raison_sociale,
                    "siren": m.siren or None,
                    "siret": m.siret or None,
                    "ibans": ibans,
                    "requests": _pm_requests(m, ibans, envelope),
                }
            )
    return out


def person_of(p: PersonnePhysique) -> magic.Person:
    """The person as the request builders need her (qa/magic.py)."""
    return magic.Person(
        p.id,
        p.nom_naissance,
        p.prenoms,
        p.annee_naissance,
        p.mois_naissance,
        p.jour_naissance,
        pays=p.code_pays_naissance,
        departement=p.code_departement_naissance,
        commune=p.code_commune_naissance,
    )


def _pp_requests(p: PersonnePhysique, ibans: list[str], envelope: Envelope) -> dict[str, Any]:
    reqs: dict[str, Any] = {}
    if p.numero_spi:
        reqs["spi"] = envelope({"numeroSPI": p.numero_spi})
    reqs["perPhy"] = envelope(magic.per_phy(person_of(p)))
    return _with_num_cpte(reqs, ibans, envelope)


def _pm_requests(m: PersonneMorale, ibans: list[str], envelope: Envelope) -> dict[str, Any]:
    reqs = {"perPro": envelope(magic.per_pro(m.raison_sociale))}
    if m.siren or m.siret:
        # one of the two identifiers, never both (CAF010)
        ident = {"siret": "", "siren": m.siren} if m.siren else {"siret": m.siret, "siren": ""}
        reqs["siretSiren"] = envelope(ident)
    return _with_num_cpte(reqs, ibans, envelope)


def _with_num_cpte(reqs: dict[str, Any], ibans: list[str], envelope: Envelope) -> dict[str, Any]:
    if ibans:
        reqs["numCpte"] = envelope(magic.num_cpte(ibans[0]))
    return reqs
