"""data/store.py: the Store's lookups, relations and searches, on the shared dataset (seed 42,
size 4 000, the shipped personas) and on hand-built stores."""

from __future__ import annotations

import hashlib
import pickle
import random

import pytest

from ficoba_sandbox.data.model import Banque, PersonnePhysique, record_text
from ficoba_sandbox.data.search import (
    MAX_REPONSES,
    CriteresAdresse,
    CriteresPersonneMorale,
    CriteresPersonnePhysique,
    SearchStatus,
    clean,
    date_matches,
    name_keys,
    words_match,
)
from ficoba_sandbox.data.store import Store, compute_digest, index_store
from ficoba_sandbox.domain import codes
from ficoba_sandbox.domain.normalize import normalize_words

DUBOIS_SPI = "1489335901"  # the protocol's SPI example, DUBOIS DANIEL
EXAMPLE_IBAN = "FR7630004009550000135601429"


def test_lookups_by_identifier(store: Store) -> None:
    dubois = store.personne_physique_by_spi(DUBOIS_SPI)
    assert dubois is not None and dubois.nom_naissance == "DUBOIS"
    assert dubois.libelle_departement_naissance == "Bouches-du-Rhone"
    assert store.personne_physique_by_spi(f" {DUBOIS_SPI} ") is dubois
    assert store.personne(dubois.id) is dubois and store.personne("pp:nobody") is None
    compte = store.compte_by_iban(EXAMPLE_IBAN.lower())
    assert compte is not None and compte.iban == EXAMPLE_IBAN
    assert store.compte_by_iban("FR7600000000000000000000000") is None
    guichet = store.guichet("30004", "00814")
    assert guichet is not None and guichet.lib_adr2 == "3 PL DE LA NATION"
    banque = store.banque("30004")
    assert banque is not None and banque.libelle_etablissement == "BNP PARIBAS"
    ei = store.personne_morale_by_siret("94682768462289")
    assert ei is not None and ei.entrepreneur == dubois.id and store.personne(ei.id) is ei
    assert store.personnes_morales_by_siren("345678901")[0].raison_sociale == "AEROLINK TECH"
    assert store.personnes_morales_by_siren("000000000") == ()


def test_establishments_of_a_siren_in_siret_order(store: Store) -> None:
    several = [
        pm.siren
        for pm in store.personnes_morales()
        if len(store.personnes_morales_by_siren(pm.siren)) > 1
    ]
    assert several
    for siren in several:
        sirets = [pm.siret for pm in store.personnes_morales_by_siren(siren)]
        assert sirets == sorted(sirets) and all(s.startswith(siren) for s in sirets)


def test_rights_and_accounts_of_a_person(store: Store) -> None:
    compte = store.compte_by_iban(EXAMPLE_IBAN)
    assert compte is not None
    droits = store.droits_of_compte(compte)
    assert droits == store.droits_of_compte(EXAMPLE_IBAN)
    assert [codes.DROITS[d.droit_sur_compte] for d in droits] == ["Procuration", "Titulaire"]
    assert not droits[0].avec_adresse and droits[1].avec_adresse
    dubois = store.personne_physique_by_spi(DUBOIS_SPI)
    assert dubois is not None
    comptes = store.comptes_of_personne_physique(dubois)
    # his own three accounts, then his entrepreneur individuel's, held by the entity
    assert [c.iban for c, _ in comptes][:3] == [
        "FR7612619000243847384737463",
        "FR7612619000243843748343457",
        "FR7612619000243483748343475",
    ]
    assert any(d.personne.startswith("pm:") for _, d in comptes)
    assert comptes == store.comptes_of_personne_physique(dubois.id)
    ei = store.personne_morale_by_siret("94682768462289")
    assert ei is not None
    assert all(d.personne == ei.id for _, d in store.comptes_of_personne_morale(ei))


def test_iteration_and_counts_agree(store: Store) -> None:
    counts = store.counts()
    assert counts["personnes_physiques"] == len(list(store.personnes_physiques()))
    assert counts["personnes_morales"] == len(list(store.personnes_morales()))
    assert counts["comptes"] == len({c.iban for c in store.comptes()})
    assert counts["droits"] == len(list(store.droits()))
    assert counts["banques"] == len(store.banques) and counts["guichets"] == len(store.guichets)
    first = next(store.personnes_physiques())
    assert first.persona  # personas come first in every order


def test_natural_person_search(store: Store) -> None:
    corbu = store.search_personnes_physiques(
        CriteresPersonnePhysique(
            nom="CORBuSIER",
            prenoms="CHARLES-éDOUARD",
            annee_naissance_debut="1911",
            mois_naissance_debut="01",
            jour_naissance_debut="01",
            annee_naissance_fin="1911",
            mois_naissance_fin="11",
            jour_naissance_fin="11",
            code_pays_naissance="99100",
            code_departement_naissance="78",
            code_commune_naissance="498",
        )
    )
    assert corbu.status is SearchStatus.OK and corbu.matches[0].numero_spi == "1235000001"
    diez = CriteresPersonnePhysique(nom="diez", prenoms="Corinne", annee_naissance="1958")
    assert store.search_personnes_physiques(diez).matches[0].prenoms == "CORINNE ANNE MARIE"
    wrong_first = CriteresPersonnePhysique(nom="DIEZ", prenoms="ANNE", annee_naissance="1958")
    assert store.search_personnes_physiques(wrong_first).status is SearchStatus.NO_MATCH
    assert (
        store.search_personnes_physiques(CriteresPersonnePhysique(nom=" - ")).status
        is SearchStatus.NO_MATCH
    )


@pytest.mark.parametrize(
    ("adresse", "status"),
    [
        (CriteresAdresse(code_pays="99100", code_departement="75", code_commune="111"), "OK"),
        (CriteresAdresse(code_departement="13", code_commune="055"), "NOT_AT_ADDRESS"),
        (CriteresAdresse(code_departement="2B", code_commune="999"), "ADDRESS_UNKNOWN"),
        (CriteresAdresse(code_postal="00001"), "ADDRESS_UNKNOWN"),
        (CriteresAdresse(), "OK"),  # an empty address is no criterion
    ],
)
def test_address_outcomes(store: Store, adresse: CriteresAdresse, status: str) -> None:
    """CAF028 when nobody in the file lives there, CAF029 when somebody else does."""
    criteres = CriteresPersonnePhysique(nom="ROLLIN", annee_naissance="1993", adresse=adresse)
    assert store.search_personnes_physiques(criteres).status is SearchStatus(status)


def test_too_many_answers(store: Store) -> None:
    """CAF036 above `limit` (MAX_REPONSES by default) matches; the count is still given."""
    common = max(
        {pp.nom_naissance for pp in store.personnes_physiques()},
        key=lambda n: len(store._pp_by_nom.get(n, ())),
    )
    wide = CriteresPersonnePhysique(
        nom=common, annee_naissance_debut="1900", annee_naissance_fin="2025"
    )
    everyone = store.search_personnes_physiques(wide, limit=10_000)
    assert everyone.status is SearchStatus.OK and everyone.count == len(everyone.matches) > 3
    few = store.search_personnes_physiques(wide, limit=3)
    assert few.status is SearchStatus.TOO_MANY and few.matches == () and few.count == everyone.count
    assert MAX_REPONSES == 50


def test_legal_entity_search(store: Store) -> None:
    for name in ("NANTERRE RUGBY CLUB", "MARSHALL LINE", "STELLANT FINANCES SERVICES"):
        found = store.search_personnes_morales(CriteresPersonneMorale(raison_sociale=name))
        assert found.status is SearchStatus.OK and found.matches[0].raison_sociale == name

    def names(**criteria: str) -> list[str]:
        result = store.search_personnes_morales(CriteresPersonneMorale(**criteria))
        return [pm.raison_sociale for pm in result.matches]

    assert "STELLANT FINANCES SERVICES" in names(raison_sociale="stellant")  # starts it
    assert names(raison_sociale="STELLANT FIN") == []  # a word boundary, not any prefix
    assert names(raison_sociale="NANTERRE", sigle="NCC") == ["NANTERRE RUGBY CLUB"]
    assert names(raison_sociale="NANTERRE", sigle="XYZ") == []
    assert names(raison_sociale="NANTERRE", code_categorie_juridique="6540")
    assert names(raison_sociale="NANTERRE", code_categorie_juridique="5710") == []
    assert store.search_personnes_morales(CriteresPersonneMorale()).status is SearchStatus.NO_MATCH


def _rules_one_by_one(store: Store, c: CriteresPersonnePhysique) -> list[str]:
    """docs/data.md's rules applied plainly, in their documented order."""
    seen: dict[str, None] = {}
    for key in name_keys(c.nom):
        for pid in store._pp_by_nom.get(key, ()):
            seen.setdefault(pid)
    sexe, pays = clean(c.sexe), clean(c.code_pays_naissance)
    out = []
    for pid in seen:
        pp = store._pp[pid]
        if sexe and sexe in "12" and pp.sexe != sexe:
            continue
        if c.prenoms and not words_match(normalize_words(c.prenoms), pp.prenoms):
            continue
        if not date_matches(c, pp):
            continue
        if pays and pp.code_pays_naissance != pays:
            continue
        out.append(pid)
    return out


def test_search_gives_the_rules_answers_in_their_order(store: Store) -> None:
    """The search's shortcuts (first names split once, stored first names and dates cached,
    the (name, year) memo, date before first names) change nothing."""
    pps = list(store.personnes_physiques())
    rng = random.Random(3)
    found = 0
    for _ in range(2000):
        p, q = rng.choice(pps), rng.choice(pps)
        year = int(p.annee_naissance or 1950)
        mode = rng.randrange(3)
        dates: dict[str, str] = {}
        if mode == 0:
            dates = {
                # the memo meets each year form more than once
                "annee_naissance": rng.choice(
                    [p.annee_naissance, p.annee_naissance, f" {p.annee_naissance} ", "19x2", "0"]
                ),
                "mois_naissance": rng.choice(["", p.mois_naissance, "01"]),
                "jour_naissance": rng.choice(["", p.jour_naissance]),
            }
        elif mode == 1:
            dates = {
                "annee_naissance_debut": str(year - rng.randrange(3)),
                "annee_naissance_fin": rng.choice(["", str(year + rng.randrange(2))]),
            }
        c = CriteresPersonnePhysique(
            nom=rng.choice([p.nom_naissance, p.nom_naissance.lower(), q.nom_naissance]),
            prenoms=rng.choice(
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
            sexe=rng.choice(["", "1", "2", p.sexe]),
            code_pays_naissance=rng.choice(["", p.code_pays_naissance]),
            **dates,
        )
        expected = _rules_one_by_one(store, c)
        assert [m.id for m in store.search_personnes_physiques(c, limit=10_000).matches] == (
            expected
        ), c
        found += bool(expected)
    assert 500 < found < 1500  # both outcomes well represented


def test_a_date_int_refuses_fails_the_search(store: Store) -> None:
    pp = next(store.personnes_physiques())
    with pytest.raises(ValueError):
        store.search_personnes_physiques(
            CriteresPersonnePhysique(nom=pp.nom_naissance, annee_naissance="²")
        )


def test_the_year_memo_is_not_saved_with_the_store(store: Store) -> None:
    """The start-up cache pickles the store from a background thread while searches fill the
    memo: the memo stays out of it (and a store read back starts with an empty one)."""
    pp = next(store.personnes_physiques())
    c = CriteresPersonnePhysique(nom=pp.nom_naissance, annee_naissance=pp.annee_naissance)
    first = store.search_personnes_physiques(c)
    assert store._pp_by_nom_annee  # filled by the search
    back = pickle.loads(pickle.dumps(store))
    assert back._pp_by_nom_annee == {}
    assert back.search_personnes_physiques(c) == first
    assert back.digest() == store.digest()


def _person(pid: str, nom: str, usage: str = "") -> PersonnePhysique:
    return PersonnePhysique(pid, nom, usage, "ANNE", "2", "1980", "1", "2", "99100", "FRANCE")


def test_index_keeps_the_input_order_and_both_names() -> None:
    small = index_store(
        seed=1,
        size=2,
        banques=[Banque("30004", "BNP PARIBAS", "BNPAFRPPXXX")],
        guichets=[],
        personnes_physiques=[_person("pp:b", "MARTIN", "LE GALL"), _person("pp:a", "MARTIN")],
        personnes_morales=[],
        comptes=[],
        droits=[],
    )
    assert [p.id for p in small.personnes_physiques()] == ["pp:b", "pp:a"]
    found = small.search_personnes_physiques(CriteresPersonnePhysique(nom="martin"))
    assert [p.id for p in found.matches] == ["pp:b", "pp:a"]
    by_usage = small.search_personnes_physiques(CriteresPersonnePhysique(nom="LEGALL"))
    assert [p.id for p in by_usage.matches] == ["pp:b"]
    assert small.comptes_of_personne_physique("pp:a") == ()


def test_digest_hashes_the_records_text_lazily() -> None:
    banque = Banque("30004", "BNP PARIBAS", "BNPAFRPPXXX")
    expected = hashlib.sha256((record_text(banque) + "\n").encode()).hexdigest()
    assert compute_digest([banque]) == expected
    small = index_store(
        seed=1,
        size=0,
        banques=[banque],
        guichets=[],
        personnes_physiques=[],
        personnes_morales=[],
        comptes=[],
        droits=[],
    )
    assert small.known_digest() is None  # not computed at build
    assert small.digest() == expected and small.known_digest() == expected
