"""`GET dataset`: the dataset's seed, size, digest and counts, and its personas (the hand-written
records of `data/personas/`, docs/data.md), each with ready-to-send requests for the resources
that find it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ficoba_sandbox.admin.common import PREFIX, requester, today
from ficoba_sandbox.data.model import PersonneMorale, PersonnePhysique
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.qa import magic
from ficoba_sandbox.sandbox import Sandbox


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
    out: list[dict[str, Any]] = []
    for p in store.personnes_physiques():
        if not p.persona:
            continue
        comptes = [c.iban for c, _ in store.comptes_of_personne_physique(p)]
        reqs = _pp_requests(p, siret, motif, today)
        if comptes:
            reqs["numCpte"] = _num_cpte(comptes[0], siret, motif, today)
        out.append(
            {
                "id": p.id,
                "file": p.persona,
                "kind": "personne_physique",
                "name": f"{p.nom_naissance} {p.prenoms}",
                "spi": p.numero_spi or None,
                "ibans": comptes,
                "requests": reqs,
            }
        )
    for m in store.personnes_morales():
        if not m.persona:
            continue
        comptes = [c.iban for c, _ in store.comptes_of_personne_morale(m)]
        reqs = _pm_requests(m, siret, motif, today)
        if comptes:
            reqs["numCpte"] = _num_cpte(comptes[0], siret, motif, today)
        out.append(
            {
                "id": m.id,
                "file": m.persona,
                "kind": "personne_morale",
                "name": m.raison_sociale,
                "siren": m.siren or None,
                "siret": m.siret or None,
                "ibans": comptes,
                "requests": reqs,
            }
        )
    return out


def _num_cpte(iban: str, siret: str, motif: str, today: str) -> dict[str, Any]:
    return magic.envelope(siret, motif, today, {"iban": iban, "verificationCompte": "0"})


def _pp_requests(p: PersonnePhysique, siret: str, motif: str, today: str) -> dict[str, Any]:
    reqs: dict[str, Any] = {}
    if p.numero_spi:
        reqs["spi"] = magic.envelope(siret, motif, today, {"numeroSPI": p.numero_spi})
    etat = {
        "nom": p.nom_naissance,
        "prenoms": p.prenoms,
        "sexe": "",
        "anneeNaissance": p.annee_naissance,
        "moisNaissance": p.mois_naissance,
        "jourNaissance": p.jour_naissance,
    }
    lieu = {
        "codePaysNaissance": p.code_pays_naissance,
        "codeDepartementNaissance": p.code_departement_naissance,
        "codeCommuneNaissance": p.code_commune_naissance,
    }
    reqs["perPhy"] = magic.envelope(siret, motif, today, {"etatCivil": etat, "lieuNaissance": lieu})
    return reqs


def _pm_requests(m: PersonneMorale, siret: str, motif: str, today: str) -> dict[str, Any]:
    designation = {
        "raisonSociale": m.raison_sociale,
        "sigle": "",
        "enseigne": "",
        "codeCategorieJuridique": "",
    }
    reqs = {"perPro": magic.envelope(siret, motif, today, {"designation": designation})}
    if m.siren or m.siret:
        # one of the two identifiers, never both (CAF010)
        ident = {"siret": "", "siren": m.siren} if m.siren else {"siret": m.siret, "siren": ""}
        reqs["siretSiren"] = magic.envelope(siret, motif, today, ident)
    return reqs
