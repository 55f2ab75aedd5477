"""`Store.search_personnes_physiques` filters (first names split once, stored first names cached,
date before first names) give the same answers, in the same order, as the rules applied one by
one in their documented order (docs/data.md)."""

from __future__ import annotations

import random

from ficoba_sandbox.data import store as st


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
        if not st._date_matches(c, pp):
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
                anneeNaissance=p.anneeNaissance,
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
