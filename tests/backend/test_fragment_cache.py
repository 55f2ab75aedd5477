"""The restitution fragments the backend shares between answers (`Backend._compte`,
`_personne_recherche_pp/pm`, resultats.PARTAGES) are the values it would build afresh, per
account, scopes and searched persons; `rendering.wire` memoises their serialisation by identity
and gives what pydantic gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ficoba_sandbox.api import rendering
from ficoba_sandbox.api import schemas as sc
from ficoba_sandbox.backend import resultats, service
from ficoba_sandbox.backend.service import Backend
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain.access import SCOPES, Caller


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 5, 10, tzinfo=UTC)


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
    backend = Backend(store, _Clock())
    comptes = list(store.comptes())[:150]
    personnes = list(store.personnes_physiques())[:40]
    for caller in _callers():
        for c in comptes:
            ids = [d.personne for d in store.droits_of_compte(c.iban)]
            for cherchees in (None, frozenset(ids[:1]), frozenset(("pp:nobody",))):
                first = backend._compte(caller, c, recherchees=cherchees)
                assert first == backend._compte_neuf(caller, c, recherchees=cherchees)
                assert backend._compte(caller, c, recherchees=cherchees) is first
        for p in personnes:
            pr = backend._personne_recherche_pp(p)
            assert pr == service._personne_recherche_pp(p)
            assert backend._personne_recherche_pp(p) is pr
    for e in list(store.personnes_morales())[:40]:
        pm = backend._personne_recherche_pm(e)
        assert pm == service._personne_recherche_pm(e)
        assert backend._personne_recherche_pm(e) is pm


def test_shared_person_answers_are_the_fresh_values(store: Store) -> None:
    """`_reponse_personne` (a person's block of a perPhy/perPro/spi/siretSiren answer) is
    built once per person and scopes: the value built afresh, and the same instance again."""
    backend = Backend(store, _Clock())
    personnes = [*list(store.personnes_physiques())[:60], *list(store.personnes_morales())[:60]]
    sans_compte = 0
    for caller in _callers():
        for p in personnes:
            first = backend._reponse_personne(caller, p)
            assert first == backend._reponse_personne_neuve(caller, p)
            assert backend._reponse_personne(caller, p) is first
            sans_compte += first is None
    assert sans_compte < len(personnes) * len(_callers())  # most hold accounts
    full, none = _callers()[0], _callers()[-1]
    p = next(p for p in personnes if backend._reponse_personne(full, p) is not None)
    assert backend._reponse_personne(none, p) != backend._reponse_personne(full, p)


def test_scopes_and_searched_persons_are_part_of_the_key(store: Store) -> None:
    backend = Backend(store, _Clock())
    c = next(c for c in store.comptes() if store.droits_of_compte(c.iban))
    pid = store.droits_of_compte(c.iban)[0].personne
    full, none = _callers()[0], _callers()[-1]
    a = backend._compte(full, c, recherchees=frozenset((pid,)))
    assert backend._compte(none, c, recherchees=frozenset((pid,))) != a
    b = backend._compte(full, c, recherchees=frozenset(("pp:other",)))
    assert b is not a and b == backend._compte_neuf(full, c, recherchees=frozenset(("pp:x",)))
    assert backend._compte(full, c, recherchees=None) == backend._compte_neuf(
        full, c, recherchees=None
    )


def test_a_replaced_store_empties_the_cache(store: Store) -> None:
    backend = Backend(store, _Clock())
    caller = _callers()[0]
    c = next(iter(store.comptes()))
    backend._compte(caller, c, recherchees=None)
    assert backend._fragments
    other = build_store(12, 50, [])
    backend.store = other
    c2 = next(iter(other.comptes()))
    assert backend._compte(caller, c2, recherchees=None) == backend._compte_neuf(
        caller, c2, recherchees=None
    )
    assert all(v[0] is not c for v in backend._fragments.values())


def test_the_cache_is_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_FRAGMENTS_MAX", 10)
    backend = Backend(store, _Clock())
    caller = _callers()[0]
    for c in list(store.comptes())[:50]:
        backend._compte(caller, c, recherchees=None)
        assert len(backend._fragments) <= 10


def test_wire_memoises_shared_fragments_as_pydantic_dumps_them(store: Store) -> None:
    backend = Backend(store, _Clock())
    caller = _callers()[0]
    assert resultats.CompteStructure in resultats.PARTAGES
    memo = rendering.DumpMemo()
    for c in list(store.comptes())[:60]:
        structure = backend._compte(caller, c, recherchees=None)
        first = rendering._dump(sc.CompteStructure, structure, memo)
        expected = sc.CompteStructure.model_validate(structure, from_attributes=True).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        assert first == expected
        assert list(first) == list(expected)
        assert rendering._dump(sc.CompteStructure, structure, memo) is first
    # a fresh, equal instance is walked again, never taken for another one
    fresh = backend._compte_neuf(caller, c, recherchees=None)
    assert rendering._dump(sc.CompteStructure, fresh, memo) == first


def test_wire_memo_is_bounded(store: Store) -> None:
    memo = rendering.DumpMemo(max_entries=5)
    backend = Backend(store, _Clock())
    for c in list(store.comptes())[:30]:
        structure = backend._compte(_callers()[0], c, recherchees=None)
        rendering._dump(sc.CompteStructure, structure, memo)
        assert len(memo.entries) <= 5
