"""backend/restitution.py: the parts of answers shared between answers (an account, a person's
block, an identity: results.SHARED) are the values built afresh, per account, scopes and
searched persons; `rendering._dump` memoises their serialisation by identity and gives what
pydantic gives."""

from __future__ import annotations

import pytest

from ficoba_sandbox.api import rendering
from ficoba_sandbox.api import schemas as sc
from ficoba_sandbox.backend import restitution as restitution_module
from ficoba_sandbox.backend import results
from ficoba_sandbox.backend.restitution import (
    Restitution,
    personne_recherche_pm,
    personne_recherche_pp,
)
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.access import SCOPES, Caller


@pytest.fixture(scope="module")
def store() -> Store:
    personas = default_personas_dir()
    return build_store(11, 300, [personas] if personas else [])


def _callers() -> list[Caller]:
    full = frozenset(SCOPES)
    return [
        Caller(client_id="full"),
        Caller(client_id="no-dates", scopes=full - {"dgfip_ficoba_date"}),
        Caller(client_id="no-ident", scopes=full - {"dgfip_ficoba_etat_civil_denomination"}),
        Caller(client_id="no-etab", scopes=full - {"dgfip_ficoba_etablissement_bancaire"}),
        Caller(client_id="no-adresse", scopes=full - {"dgfip_ficoba_adresse"}),
        Caller(client_id="none", scopes=frozenset()),
    ]


def test_shared_fragments_are_the_fresh_values(store: Store) -> None:
    restitution = Restitution(store)
    comptes = list(store.comptes())[:150]
    persons = list(store.personnes_physiques())[:40]
    for caller in _callers():
        for c in comptes:
            ids = [d.personne for d in store.droits_of_compte(c.iban)]
            for searched_ids in (None, frozenset(ids[:1]), frozenset(("pp:nobody",))):
                first = restitution.account(caller, c, searched=searched_ids)
                assert first == restitution._account(caller, c, searched_ids)
                assert restitution.account(caller, c, searched=searched_ids) is first
        for p in persons:
            pr = restitution.identity_pp(p)
            assert pr == personne_recherche_pp(p)
            assert restitution.identity_pp(p) is pr
    for e in list(store.personnes_morales())[:40]:
        pm = restitution.identity_pm(e)
        assert pm == personne_recherche_pm(e)
        assert restitution.identity_pm(e) is pm


def test_shared_person_answers_are_the_fresh_values(store: Store) -> None:
    """`person` (a person's block of a perPhy/perPro/spi/siretSiren answer) is
    built once per person and scopes: the value built afresh, and the same instance again."""
    restitution = Restitution(store)
    persons = [*list(store.personnes_physiques())[:60], *list(store.personnes_morales())[:60]]
    without_account = 0
    for caller in _callers():
        for p in persons:
            first = restitution.person(caller, p)
            assert first == restitution._person(caller, p)
            assert restitution.person(caller, p) is first
            without_account += first is None
    assert without_account < len(persons) * len(_callers())  # most hold accounts
    full, none = _callers()[0], _callers()[-1]
    p = next(p for p in persons if restitution.person(full, p) is not None)
    assert restitution.person(none, p) != restitution.person(full, p)


def test_scopes_and_searched_persons_are_part_of_the_key(store: Store) -> None:
    restitution = Restitution(store)
    c = next(c for c in store.comptes() if store.droits_of_compte(c.iban))
    pid = store.droits_of_compte(c.iban)[0].personne
    full, none = _callers()[0], _callers()[-1]
    a = restitution.account(full, c, searched=frozenset((pid,)))
    assert restitution.account(none, c, searched=frozenset((pid,))) != a
    b = restitution.account(full, c, searched=frozenset(("pp:other",)))
    assert b is not a and b == restitution._account(full, c, frozenset(("pp:x",)))
    assert restitution.account(full, c, searched=None) == restitution._account(full, c, None)


def test_a_replaced_store_empties_the_cache(store: Store) -> None:
    restitution = Restitution(store)
    caller = _callers()[0]
    c = next(iter(store.comptes()))
    restitution.account(caller, c, searched=None)
    assert restitution._fragments
    other = build_store(12, 50, [])
    restitution.store = other
    c2 = next(iter(other.comptes()))
    assert restitution.account(caller, c2, searched=None) == restitution._account(caller, c2, None)
    assert all(v[0] is not c for v in restitution._fragments.values())


def test_the_cache_is_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restitution_module, "FRAGMENTS_MAX", 10)
    restitution = Restitution(store)
    caller = _callers()[0]
    for c in list(store.comptes())[:50]:
        restitution.account(caller, c, searched=None)
        assert len(restitution._fragments) <= 10


def test_wire_memoises_shared_fragments_as_pydantic_dumps_them(store: Store) -> None:
    restitution = Restitution(store)
    caller = _callers()[0]
    assert results.CompteStructure in results.SHARED
    memo = rendering.DumpMemo()
    for c in list(store.comptes())[:60]:
        structure = restitution.account(caller, c, searched=None)
        first = rendering._dump(sc.CompteStructure, structure, memo)
        expected = sc.CompteStructure.model_validate(structure, from_attributes=True).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        assert first == expected
        assert list(first) == list(expected)
        assert rendering._dump(sc.CompteStructure, structure, memo) is first
    # a fresh, equal instance is walked again, never taken for another one
    fresh = restitution._account(caller, c, None)
    assert rendering._dump(sc.CompteStructure, fresh, memo) == first


def test_wire_memo_is_bounded(store: Store) -> None:
    memo = rendering.DumpMemo(max_entries=5)
    restitution = Restitution(store)
    for c in list(store.comptes())[:30]:
        structure = restitution.account(_callers()[0], c, searched=None)
        rendering._dump(sc.CompteStructure, structure, memo)
        assert len(memo.entries) <= 5
