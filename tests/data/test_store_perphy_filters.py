"""`Store.search_personnes_physiques` filters (first names split once, stored first names cached,
date before first names) give the same answers, in the same order, as the rules applied one by
one in their documented order (docs/data.md)."""

from __future__ import annotations

import random

import pytest

from ficoba_sandbox.data import store as st


def _date_rule(c: st.CriteresPersonnePhysique, pp: st.PersonnePhysique) -> bool:
    """The birth-date rule of docs/data.md written plainly, as the oracle of the search's fast
    predicate (`store._date_predicate`)."""
    num = st._int_or_zero
    y, m, d = num(pp.anneeNaissance), num(pp.moisNaissance), num(pp.jourNaissance)
    lo, hi = (y, m or 1, d or 1), (y, m or 12, d or 31)
    if st._clean(c.anneeNaissance):
        if num(c.anneeNaissance) != y:
            return False
        for wanted, have in (
            (c.moisNaissance, pp.moisNaissance),
            (c.jourNaissance, pp.jourNaissance),
        ):
            w, h = num(wanted), num(have)
            if w and h and w != h:
                return False
        return True
    if st._clean(c.anneeNaissanceDebut) or st._clean(c.anneeNaissanceFin):
        start = (
            num(c.anneeNaissanceDebut),
            num(c.moisNaissanceDebut) or 1,
            num(c.jourNaissanceDebut) or 1,
        )
        end = (
            num(c.anneeNaissanceFin) or 9999,
            num(c.moisNaissanceFin) or 12,
            num(c.jourNaissanceFin) or 31,
        )
        return lo <= end and hi >= start
    return True


def _reference(s: st.Store, c: st.CriteresPersonnePhysique) -> list[str]:
    seen: dict[str, None] = {}
    for key in st._name_keys(c.nom):
        for pid in s._pp_by_nom.get(key, ()):
            seen.setdefault(pid)
    sexe = st._clean(c.sexe)
    pays = st._clean(c.codePaysNaissance)
    out = []
    for pid in seen:
        pp = s._pp[pid]
        if sexe and sexe in "12" and pp.sexe != sexe:
            continue
        if c.prenoms and not st._prenoms_match(c.prenoms, pp.prenoms):
            continue
        if not _date_rule(c, pp):
            continue
        if pays and pp.codePaysNaissance != pays:
            continue
        out.append(pid)
    return out


def test_same_matches_as_the_rules_one_by_one() -> None:
    personas = st.default_personas_dir()
    s = st.build_store(7, 600, [personas] if personas else [])
    pps = list(s.personnes_physiques())
    rng = random.Random(3)
    found = 0
    for _ in range(3000):
        p, q = rng.choice(pps), rng.choice(pps)
        kw: dict[str, str | None] = {
            "nom": rng.choice([p.nomNaissance, p.nomNaissance.lower(), q.nomNaissance]),
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
            "codePaysNaissance": rng.choice(["", p.codePaysNaissance]),
        }
        year = int(p.anneeNaissance or 1950)
        mode = rng.randrange(3)
        if mode == 0:
            kw.update(
                # the (name, year) memo (`Store._homonymes`) meets each year form more than once
                anneeNaissance=rng.choice(
                    [p.anneeNaissance, p.anneeNaissance, f" {p.anneeNaissance} ", "19x2", "0"]
                ),
                moisNaissance=rng.choice(["", p.moisNaissance, "01"]),
                jourNaissance=rng.choice(["", p.jourNaissance]),
            )
        elif mode == 1:
            kw.update(
                anneeNaissanceDebut=str(year - rng.randrange(3)),
                anneeNaissanceFin=rng.choice(["", str(year + rng.randrange(2))]),
            )
        c = st.CriteresPersonnePhysique(**kw)  # type: ignore[arg-type]
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
            "anneeNaissance": rng.choice(years),
            "moisNaissance": rng.choice(parts),
            "jourNaissance": rng.choice(parts),
            "anneeNaissanceDebut": rng.choice(years),
            "moisNaissanceDebut": rng.choice(parts),
            "jourNaissanceDebut": rng.choice(parts),
            "anneeNaissanceFin": rng.choice(years),
            "moisNaissanceFin": rng.choice(parts),
            "jourNaissanceFin": rng.choice(parts),
        }
        c = st.CriteresPersonnePhysique(**kw)  # type: ignore[arg-type]
        pred = st._date_predicate(c)
        for pp in personnes:
            expected = _date_rule(c, pp)  # type: ignore[arg-type]
            assert st._date_matches(c, pp) is expected  # type: ignore[arg-type]
            assert (True if pred is None else pred(pp)) is expected  # type: ignore[arg-type]
            checked += 1
    assert checked == 4000 * len(personnes)
    bad = st.CriteresPersonnePhysique(nom="X", anneeNaissance="²")
    with pytest.raises(ValueError):
        st._date_predicate(bad)
    s = st.build_store(7, 50, [])
    pp = next(s.personnes_physiques())
    with pytest.raises(ValueError):
        s.search_personnes_physiques(
            st.CriteresPersonnePhysique(nom=pp.nomNaissance, anneeNaissance="²")
        )


class PersonnePhysiqueStub:
    def __init__(self, annee: str, mois: str, jour: str) -> None:
        self.anneeNaissance, self.moisNaissance, self.jourNaissance = annee, mois, jour


def test_the_year_memo_is_not_saved_with_the_store() -> None:
    """The start-up cache pickles the store from a background thread while searches fill the
    memo: the memo stays out of it (and a store read back starts with an empty one)."""
    import pickle

    personas = st.default_personas_dir()
    s = st.build_store(7, 200, [personas] if personas else [])
    pp = next(iter(s.personnes_physiques()))
    c = st.CriteresPersonnePhysique(nom=pp.nomNaissance, anneeNaissance=pp.anneeNaissance)
    first = s.search_personnes_physiques(c)
    assert s._pp_by_nom_annee  # filled by the search
    back = pickle.loads(pickle.dumps(s))
    assert back._pp_by_nom_annee == {}
    assert [m.id for m in back.search_personnes_physiques(c).matches] == [
        m.id for m in first.matches
    ]
    assert back.digest() == s.digest()
