"""Issue 3: the seeded store, personas, determinism, search rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ficoba_sandbox.data import reserved
from ficoba_sandbox.data.build import build_store
from ficoba_sandbox.data.personas import PersonaError, default_personas_dir, load_personas
from ficoba_sandbox.data.search import (
    MAX_REPONSES,
    CriteresAdresse,
    CriteresPersonneMorale,
    CriteresPersonnePhysique,
    SearchStatus,
)
from ficoba_sandbox.data.stats import compute_stats
from ficoba_sandbox.domain import codes, identifiers, insee

PERSONAS = default_personas_dir()
# Pinned digest of (seed 7, size 200, no personas): changes only when the generator changes on
# purpose; update it in the same commit and say why.
PINNED = ("7", "200")


@pytest.fixture(scope="module")
def store():
    return build_store(42, 10_000, [PERSONAS])


def test_every_generated_identifier_passes_its_checksum(store):
    for pp in store.personnes_physiques():
        if not pp.persona:
            assert identifiers.is_valid_spi(pp.numero_spi), pp
            assert pp.numero_spi[0] in reserved.GENERATED_SPI_FIRST_DIGITS
    for pm in store.personnes_morales():
        if not pm.persona:
            assert identifiers.is_valid_siren(pm.siren) and identifiers.is_valid_siret(pm.siret), pm
            assert pm.siret.startswith(pm.siren) and not reserved.is_reserved_siren(pm.siren)
            assert not pm.numero_lei or identifiers.is_valid_lei(pm.numero_lei)
    for c in store.comptes():
        if not c.persona:
            assert identifiers.is_valid_fr_iban(c.iban), c
            assert not reserved.is_reserved_iban(c.iban)
            assert store.banque(c.numero_etablissement) is not None
            assert store.guichet(c.numero_etablissement, c.numero_guichet) is not None


def test_every_insee_code_is_in_the_reference(store):
    def check(adr):
        if adr is None:
            return
        assert insee.pays(adr.code_pays_residence) is not None
        if adr.code_commune_residence:
            found = insee.commune(adr.code_departement_residence, adr.code_commune_residence)
            assert found is not None and adr.code_postal in found.codes_postaux, adr
            assert adr.code_nature_voie == "" or adr.code_nature_voie in codes.NATURES_VOIE

    for pp in store.personnes_physiques():
        if pp.persona:
            continue
        assert insee.pays(pp.code_pays_naissance) is not None
        if pp.code_commune_naissance:
            assert (
                insee.commune(pp.code_departement_naissance, pp.code_commune_naissance) is not None
            )
        check(pp.adresse)
    for pm in store.personnes_morales():
        if not pm.persona:  # personas keep the protocol's values (SNPE: CEDEX postcode 75189)
            check(pm.adresse)


def test_coverage_of_situations(store):
    stats = compute_stats(store)
    assert set(stats["comptes_par_nature"]) == {str(n) for n in codes.NATURES}
    assert set(stats["comptes_par_type"]) == {"1", "2", "3", "4"}
    assert len(stats["droits_par_code"]) == 5
    assert stats["comptes_clos"] and stats["comptes_en_succession"] and stats["deces"]
    assert stats["multi_detention_personnes"] > 0 and stats["entrepreneurs_individuels"] > 0
    assert stats["personnes_physiques"] >= 10_000 and stats["banques"] >= 15


def test_personas_of_the_protocol(store):
    dubois = store.personne_physique_by_spi("1489335901")
    assert (
        dubois.nom_naissance == "DUBOIS"
        and dubois.libelle_departement_naissance == "Bouches-du-Rhone"
    )
    ibans = [c.iban for c, _ in store.comptes_of_personne_physique(dubois)]
    assert ibans == [
        "FR7612619000243847384737463",
        "FR7612619000243843748343457",
        "FR7612619000243483748343475",
    ]
    compte = store.compte_by_iban("FR7630004009550000135601429")
    droits = store.droits_of_compte(compte)
    assert [codes.DROITS[d.droit_sur_compte] for d in droits] == ["Procuration", "Titulaire"]
    assert not droits[0].avec_adresse and droits[1].avec_adresse
    assert store.guichet("30004", "00814").lib_adr2 == "3 PL DE LA NATION"
    assert store.personne_morale_by_siret("94682768462289").entrepreneur == dubois.id
    assert store.personnes_morales_by_siren("345678901")[0].raison_sociale == "AEROLINK TECH"
    for name in ("NANTERRE RUGBY CLUB", "MARSHALL LINE", "STELLANT FINANCES SERVICES"):
        assert store.search_personnes_morales(CriteresPersonneMorale(raison_sociale=name)).matches
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


def test_no_collision_between_personas_and_generated(store):
    personas = load_personas([PERSONAS])
    persona_ibans = {c.iban for c in personas.comptes}
    generated = [c for c in store.comptes() if not c.persona]
    assert not persona_ibans & {c.iban for c in generated}
    assert len({c.iban for c in store.comptes()}) == store.counts()["comptes"]


def test_search_rules(store):
    diez = CriteresPersonnePhysique(nom="diez", prenoms="Corinne", annee_naissance="1958")
    assert store.search_personnes_physiques(diez).matches[0].prenoms == "CORINNE ANNE MARIE"
    wrong_first = CriteresPersonnePhysique(nom="DIEZ", prenoms="ANNE", annee_naissance="1958")
    assert store.search_personnes_physiques(wrong_first).status is SearchStatus.NO_MATCH
    rollin = CriteresPersonnePhysique(nom="ROLLIN", annee_naissance="1993", mois_naissance="09")
    assert store.search_personnes_physiques(rollin).status is SearchStatus.OK
    at = CriteresAdresse(code_pays="99100", code_departement="75", code_commune="111")
    assert (
        store.search_personnes_physiques(
            CriteresPersonnePhysique(nom="ROLLIN", annee_naissance="1993", adresse=at)
        ).status
        is SearchStatus.OK
    )
    elsewhere = CriteresAdresse(code_pays="99100", code_departement="13", code_commune="055")
    assert (
        store.search_personnes_physiques(
            CriteresPersonnePhysique(nom="ROLLIN", annee_naissance="1993", adresse=elsewhere)
        ).status
        is SearchStatus.NOT_AT_ADDRESS
    )
    nowhere = CriteresAdresse(code_pays="99100", code_departement="2B", code_commune="999")
    assert (
        store.search_personnes_physiques(
            CriteresPersonnePhysique(nom="ROLLIN", annee_naissance="1993", adresse=nowhere)
        ).status
        is SearchStatus.ADDRESS_UNKNOWN
    )
    # CAF036: a common name over a wide range gives too many answers
    common = max(
        {pp.nom_naissance for pp in store.personnes_physiques()},
        key=lambda n: len(store._pp_by_nom.get(n, ())),
    )
    many = store.search_personnes_physiques(
        CriteresPersonnePhysique(
            nom=common, annee_naissance_debut="1900", annee_naissance_fin="2025"
        )
    )
    assert many.status is SearchStatus.TOO_MANY and many.count > MAX_REPONSES


def test_broken_persona_file_names_file_place_reason(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text(
        "comptes:\n  - iban: FR7630004009550000135601429\n    dateOuverture: '2020-01-01'\n"
        "    codeNature: 999\n",
        encoding="utf-8",
    )
    with pytest.raises(PersonaError) as err:
        load_personas([tmp_path])
    assert "broken.yaml" in str(err.value) and "comptes[0].codeNature" in str(err.value)
    assert "999" in str(err.value)
    (tmp_path / "broken.yaml").write_text("personnesPhysiques: [\n", encoding="utf-8")
    with pytest.raises(PersonaError, match=r"broken.yaml: line \d+"):
        load_personas([tmp_path])


def _digest_in_subprocess(hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ficoba_sandbox",
            "data",
            "digest",
            "--seed",
            PINNED[0],
            "--size",
            PINNED[1],
            "--no-personas",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout.strip()


def test_digest_is_stable_across_hash_seeds_and_pinned():
    a, b = _digest_in_subprocess("1"), _digest_in_subprocess("4242")
    assert a == b
    assert a == PINNED_DIGEST


def test_cache_roundtrip(tmp_path: Path):
    from ficoba_sandbox.data.build import wait_for_cache_writes

    cold = build_store(3, 300, [PERSONAS], cache_dir=tmp_path)
    # written by a background thread, CACHE_WRITE_DELAY (2 s) after the store is returned so
    # that a start-up does not pay for it; waiting for it cuts the delay short
    assert not list(tmp_path.glob("store-*.pickle"))
    wait_for_cache_writes()
    assert list(tmp_path.glob("store-*.pickle"))
    assert not list(tmp_path.glob(".store-*"))
    warm = build_store(3, 300, [PERSONAS], cache_dir=tmp_path)
    # the digest travels in the cache: a warm start does not recompute it
    assert warm._digest and warm._digest == build_store(3, 300, [PERSONAS]).digest()
    assert warm.digest() == cold.digest()
    other = build_store(4, 300, [PERSONAS], cache_dir=tmp_path)
    assert other.digest() != cold.digest()


PINNED_DIGEST = "aeb61ea34ddb14c85073e871f4f4ac15ca2f7bf89ebaab535dd2b36093201db2"


def test_faker_word_lists_read_from_source_equal_fakers_own():
    from faker.providers.person.fr_FR import Provider

    from ficoba_sandbox.data.tables import faker_word_lists

    assert faker_word_lists() == (
        Provider.last_names,
        Provider.first_names_male,
        Provider.first_names_female,
    )
