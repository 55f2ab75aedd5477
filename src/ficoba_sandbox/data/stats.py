"""`data stats` and `data export`: counts and a flat listing so a tester can pick an identity."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from ficoba_sandbox.data.model import Compte, Droit
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain import codes


def compute_stats(store: Store) -> dict[str, Any]:
    natures = Counter(c.code_nature for c in store.comptes())
    types = Counter(c.code_type for c in store.comptes())
    droits = Counter(d.droit_sur_compte for d in store.droits())
    closed = sum(1 for c in store.comptes() if c.date_cloture)
    succession = sum(1 for c in store.comptes() if c.succession == "1")
    # Multi-holding: a person holding two open regulated booklets of the same family (201/202
    # together, or 206) at different banks: what multiDet looks for.
    multi = 0
    for pp in store.personnes_physiques():
        banks: dict[str, set[str]] = {}
        for c, d in store.comptes_of_personne_physique(pp):
            if d.droit_sur_compte != codes.DROIT_TITULAIRE or c.date_cloture:
                continue
            family = "201" if c.code_nature in (201, 202) else str(c.code_nature)
            if family in ("201", "206"):
                banks.setdefault(family, set()).add(c.numero_etablissement)
        multi += any(len(v) > 1 for v in banks.values())
    return {
        "seed": store.seed,
        "size": store.size,
        "digest": store.digest(),
        **store.counts(),
        "deces": sum(1 for p in store.personnes_physiques() if p.date_deces),
        "entrepreneurs_individuels": sum(1 for m in store.personnes_morales() if m.entrepreneur),
        "comptes_par_nature": {str(k): natures[k] for k in sorted(natures)},
        "comptes_par_type": {str(k): types[k] for k in sorted(types)},
        "droits_par_code": {f"{k} {codes.DROITS[k]}": droits[k] for k in sorted(droits)},
        "comptes_clos": closed,
        "comptes_en_succession": succession,
        "multi_detention_personnes": multi,
    }


def export_rows(store: Store) -> Iterator[dict[str, str]]:
    """One row per (person or entity, account, right); persons without accounts get one row."""
    for pp in store.personnes_physiques():
        base = {
            "type": "PP",
            "id": pp.id,
            "nom": pp.nom_naissance,
            "prenoms": pp.prenoms,
            "dateNaissance": f"{pp.annee_naissance}-{pp.mois_naissance}-{pp.jour_naissance}",
            "numeroSpi": pp.numero_spi,
            "siren": "",
            "siret": "",
            "persona": pp.persona,
        }
        yield from _with_accounts(base, store.comptes_of_personne_physique(pp))
    for pm in store.personnes_morales():
        base = {
            "type": "PM",
            "id": pm.id,
            "nom": pm.raison_sociale,
            "prenoms": "",
            "dateNaissance": "",
            "numeroSpi": "",
            "siren": pm.siren,
            "siret": pm.siret,
            "persona": pm.persona,
        }
        yield from _with_accounts(base, store.comptes_of_personne_morale(pm))


def _with_accounts(
    base: dict[str, str], comptes: Sequence[tuple[Compte, Droit]]
) -> Iterator[dict[str, str]]:
    if not comptes:
        yield {**base, "iban": "", "codeNature": "", "droitSurCompte": "", "dateCloture": ""}
    for c, d in comptes:
        yield {
            **base,
            "iban": c.iban,
            "codeNature": str(c.code_nature),
            "droitSurCompte": codes.DROITS[d.droit_sur_compte],
            "dateCloture": c.date_cloture,
        }


EXPORT_FIELDS = [
    "type",
    "id",
    "nom",
    "prenoms",
    "dateNaissance",
    "numeroSpi",
    "siren",
    "siret",
    "persona",
    "iban",
    "codeNature",
    "droitSurCompte",
    "dateCloture",
]


def export_text(store: Store, fmt: str) -> Iterator[str]:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in export_rows(store):
            writer.writerow(row)
            if buf.tell() > 1 << 16:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    else:
        yield "[\n"
        first = True
        for row in export_rows(store):
            yield ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
            first = False
        yield "\n]\n"
