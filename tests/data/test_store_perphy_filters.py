"""`Store.search_personnes_physiques` filters (first names split once, stored first names cached,
date before first names) give the same answers, in the same order, as the rules applied one by
one in their documented order (docs/data.md)."""

from __future__ import annotations

import random

import pytest

from ficoba_sandbox.data import search
from ficoba_sandbox.data import store as st
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.model import PersonnePhysique
from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.domain.normalize import normalize_words


def _date_rule(c: search.CriteresPersonnePhysique, pp: PersonnePhysique) -> bool:
    """The birth-date rule of docs/data.md written plainly, as the oracle of the search's fast
    predicate (`search.date_predicate`)."""
    num = search.int_or_zero
    y, m, d = num(pp.annee_naissance), num(pp.mois_naissance), num(pp.jour_naissance)
    lo, hi = (y, m or 1, d or 1), (y, m or 12, d or 31)
    if search.clean(c.annee_naissance):
        if num(c.annee_naissance) != y:
            return False
        for wanted, have in (
            (c.mois_naissance, pp.mois_naissance),
            (c.jour_naissance, pp.jour_naissance),
        ):
            w, h = num(wanted), num(have)
            if w and h and w != h:
                return False
        return True
    if search.clean(c.annee_naissance_debut) or search.clean(c.annee_naissance_fin):
        start = (
            num(c.annee_naissance_debut),
            num(c.mois_naissance_debut) or 1,
            num(c.jour_naissance_debut) or 1,
        )
        end = (
            num(c.annee_naissance_fin) or 9999,
            num(c.mois_naissance_fin) or 12,
            num(c.jour_naissance_fin) or 31,
        )
        return lo <= end and hi >= start
    return True


def _reference(s: st.Store, c: search.CriteresPersonnePhysique) -> list[str]:
    seen: dict[str, None] = {}
    for key in search.name_keys(c.nom):
        for pid in s._pp_by_nom.get(key, ()):
            seen.setdefault(pid)
    sexe = search.clean(c.sexe)
    pays = search.clean(c.code_pays_naissance)
    out = []
    for pid in seen:
        pp = s._pp[pid]
        if sexe and sexe in "12" and pp.sexe != sexe:
            continue
        if c.prenoms and not search.words_match(normalize_words(c.prenoms), pp.prenoms):
            continue
        if not _date_rule(c, pp):
            continue
        if pays and pp.code_pays_naissance != pays:
            continue
        out.append(pid)
    return out


def test_same_matches_as_the_rules_one_by_one() -> None:
    personas = default_personas_dir()
    s = build_store(7, 600, [personas] if personas else [])
    pps = list(s.personnes_physiques())
    rng = random.Random(3)
    found = 0
    for _ in range(3000):
        p, q = rng.choice(pps), rng.choice(pps)
        kw: dict[str, str | None] = {
            "nom": rng.choice([p.nom_naissance, p.nom_naissance.lower(), q.nom_naissance]),
            "prenoms": rng.choice(
                [
                    p.prenoms,
                    p.prenoms.split(" ")[0],
                    "",
                    None,
                    "  ",
                    "-",
                    q.prenoms,
                    p.prenoms.replace(" ", "-"),
                    p.prenoms.replace(" ", ""),
                ]
            ),
            "sexe": rng.choice(["", "1", "2", p.sexe]),
            "code_pays_naissance": rng.choice(["", p.code_pays_naissance]),
        }
        year = int(p.annee_naissance or 1950)
        mode = rng.randrange(3)
        if mode == 0:
            kw.update(
                # the (name, year) memo (`Store._namesakes`) meets each year form more than once
                annee_naissance=rng.choice(
                    [p.annee_naissance, p.annee_naissance, f" {p.annee_naissance} ", "19x2", "0"]
                ),
                mois_naissance=rng.choice(["", p.mois_naissance, "01"]),
                jour_naissance=rng.choice(["", p.jour_naissance]),
            )
        elif mode == 1:
            kw.update(
                annee_naissance_debut=str(year - rng.randrange(3)),
                annee_naissance_fin=rng.choice(["", str(year + rng.randrange(2))]),
            )
        c = search.CriteresPersonnePhysique(**kw)  # type: ignore[arg-type]
        res = s.search_personnes_physiques(c, limit=10_000)
        expected = _reference(s, c)
        assert [m.id for m in res.matches] == expected, kw
        found += bool(expected)
    assert found > 500


def test_date_predicate_is_date_matches() -> None:
    """The search's date filter (criterion parsed once, stored parts cached) answers as
    the plainly written rule, incomplete dates and ranges included; a criterion `int` refuses
    raises ValueError (at the first candidate in a search, as before)."""
    rng = random.Random(5)
    parts = ["", " ", "0", "00", "1", "01", "02", "12", "15", "28", "31", None]
    years = ["", "1911", "1950", "1951", "1990", " 1950 ", None]
    personnes = [
        PersonnePhysiqueStub(a, m, j)
        for a in ("1911", "1950", "1951", "1990", "")
        for m in ("", "01", "06", "12")
        for j in ("", "01", "15", "31")
    ]
    checked = 0
    for _ in range(4000):
        kw = {
            "nom": "X",
            "annee_naissance": rng.choice(years),
            "mois_naissance": rng.choice(parts),
            "jour_naissance": rng.choice(parts),
            "annee_naissance_debut": rng.choice(years),
            "mois_naissance_debut": rng.choice(parts),
            "jour_naissance_debut": rng.choice(parts),
            "annee_naissance_fin": rng.choice(years),
            "mois_naissance_fin": rng.choice(parts),
            "jour_naissance_fin": rng.choice(parts),
        }
        c = search.CriteresPersonnePhysique(**kw)  # type: ignore[arg-type]
        pred = search.date_predicate(c)
        for pp in personnes:
            expected = _date_rule(c, pp)  # type: ignore[arg-type]
            assert search.date_matches(c, pp) is expected  # type: ignore[arg-type]
            assert (True if pred is None else pred(pp)) is expected  # type: ignore[arg-type]
            checked += 1
    assert checked == 4000 * len(personnes)
    bad = search.CriteresPersonnePhysique(nom="X", annee_naissance="²")
    with pytest.raises(ValueError):
        search.date_predicate(bad)
    s = build_store(7, 50, [])
    pp = next(s.personnes_physiques())
    with pytest.raises(ValueError):
        s.search_personnes_physiques(
            search.CriteresPersonnePhysique(nom=pp.nom_naissance, annee_naissance="²")
        )


class PersonnePhysiqueStub:
    def __init__(self, annee: str, mois: str, jour: str) -> None:
        self.annee_naissance, self.mois_naissance, self.jour_naissance = annee, mois, jour


def test_the_year_memo_is_not_saved_with_the_store() -> None:
    """The start-up cache pickles the store from a background thread while searches fill the
    memo: the memo stays out of it (and a store read back starts with an empty one)."""
    import pickle

    personas = default_personas_dir()
    s = build_store(7, 200, [personas] if personas else [])
    pp = next(iter(s.personnes_physiques()))
    c = search.CriteresPersonnePhysique(nom=pp.nom_naissance, annee_naissance=pp.annee_naissance)
    first = s.search_personnes_physiques(c)
    assert s._pp_by_nom_annee  # filled by the search
    back = pickle.loads(pickle.dumps(s))
    assert back._pp_by_nom_annee == {}
    assert [m.id for m in back.search_personnes_physiques(c).matches] == [
        m.id for m in first.matches
    ]
    assert back.digest() == s.digest()
