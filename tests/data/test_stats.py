"""data/stats.py: `data stats` (counts by nature, type, right...) and `data export` (one row per
person, account and right, CSV or JSON)."""

from __future__ import annotations

import csv
import io
import json

from ficoba_sandbox.data.model import Banque, PersonnePhysique
from ficoba_sandbox.data.stats import EXPORT_FIELDS, compute_stats, export_rows, export_text
from ficoba_sandbox.data.store import Store, index_store
from ficoba_sandbox.domain import codes


def test_stats_of_the_shared_dataset(store: Store) -> None:
    stats = compute_stats(store)
    assert (stats["seed"], stats["size"], stats["digest"]) == (42, 4_000, store.digest())
    assert {k: stats[k] for k in store.counts()} == store.counts()
    assert set(stats["comptes_par_nature"]) == {str(n) for n in codes.NATURES}
    assert sum(stats["comptes_par_nature"].values()) == stats["comptes"]
    assert sum(stats["comptes_par_type"].values()) == stats["comptes"]
    assert list(stats["droits_par_code"]) == [f"{c} {label}" for c, label in codes.DROITS.items()]
    assert sum(stats["droits_par_code"].values()) == stats["droits"]
    assert stats["comptes_clos"] == sum(1 for c in store.comptes() if c.date_cloture)
    assert stats["deces"] == sum(1 for p in store.personnes_physiques() if p.date_deces)
    assert 0 < stats["multi_detention_personnes"] < stats["personnes_physiques"]
    assert 0 < stats["entrepreneurs_individuels"] < stats["personnes_morales"]
    assert stats["comptes_en_succession"] > 0
    json.dumps(stats)  # printed as JSON by the CLI


def test_export_has_a_row_per_right_and_one_per_person_without_account(store: Store) -> None:
    rows = list(export_rows(store))
    assert all(list(row) == EXPORT_FIELDS for row in rows)
    with_account = [r for r in rows if r["iban"]]
    assert len(with_account) == sum(
        len(store.comptes_of_personne_physique(p)) for p in store.personnes_physiques()
    ) + sum(len(store.comptes_of_personne_morale(m)) for m in store.personnes_morales())
    dubois = [r for r in rows if r["numeroSpi"] == "1489335901"]
    assert dubois[0]["type"] == "PP" and dubois[0]["nom"] == "DUBOIS"
    assert dubois[0]["dateNaissance"] == "1958-2-18"
    assert {r["droitSurCompte"] for r in with_account} <= set(codes.DROITS.values())


def test_export_formats(store: Store) -> None:
    rows = list(export_rows(store))
    chunks = list(export_text(store, "csv"))
    assert len(chunks) > 1  # written in pieces of about 64 KiB
    parsed = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert parsed == rows
    assert json.loads("".join(export_text(store, "json"))) == rows


def test_export_of_a_person_without_account() -> None:
    alone = PersonnePhysique(
        "pp:x", "SEUL", "", "ANNE", "2", "1980", "", "", "99100", "FRANCE", numero_spi="1"
    )
    small = index_store(
        seed=0,
        size=1,
        banques=[Banque("30004", "BNP PARIBAS", "BNPAFRPPXXX")],
        guichets=[],
        personnes_physiques=[alone],
        personnes_morales=[],
        comptes=[],
        droits=[],
    )
    (row,) = export_rows(small)
    assert row["id"] == "pp:x" and row["dateNaissance"] == "1980--"
    assert (row["iban"], row["codeNature"], row["droitSurCompte"], row["dateCloture"]) == ("",) * 4
    assert "".join(export_text(small, "csv")).splitlines()[0] == ",".join(EXPORT_FIELDS)
