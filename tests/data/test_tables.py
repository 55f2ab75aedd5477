"""data/tables.py: the tables the generator draws from hold only codes the protocol and the INSEE
lists know, and Faker's names read from its source are Faker's own."""

from __future__ import annotations

from faker.providers.person.fr_FR import Provider

from ficoba_sandbox.data import tables
from ficoba_sandbox.domain import codes, insee


def test_faker_word_lists_read_from_source_equal_fakers_own() -> None:
    assert tables.faker_word_lists() == (
        Provider.last_names,
        Provider.first_names_male,
        Provider.first_names_female,
    )


def test_name_pools_in_the_ficoba_style() -> None:
    last, male, female = tables.name_pools()
    assert len(last) >= 400 and len(male) >= 50 and len(female) >= 50
    for name in (*last, *male, *female):
        assert name == name.upper() and name.isascii(), name


def test_weighted_tables_hold_known_codes() -> None:
    for table in (tables.PP_NATURES, tables.PM_NATURES):
        assert all(nature in codes.NATURES and 0 < share < 1 for nature, share in table)
    # with 101 and 102 drawn apart, every nature of Annex 1 can be drawn
    drawn = {n for n, _ in (*tables.PP_NATURES, *tables.PM_NATURES)} | {101, 102}
    assert drawn == set(codes.NATURES)
    assert all(cat in codes.CATEGORIES_JURIDIQUES and w > 0 for cat, w in tables.CATEGORIES)
    assert all(voie in codes.NATURES_VOIE and w > 0 for voie, w in tables.VOIES)


def test_places_are_real() -> None:
    assert len(set(tables.BIG_COMMUNES)) == len(tables.BIG_COMMUNES) == 42
    for code in tables.BIG_COMMUNES:
        found = insee.commune_by_code(code)
        assert found is not None and found.codes_postaux and not found.historique, code
    for pays in tables.FOREIGN_COUNTRIES:
        assert pays != insee.PAYS_FRANCE and insee.pays(pays) is not None


def test_words_are_upper_case_ascii() -> None:
    for word in (*tables.STREET_WORDS, *tables.COMPANY_WORDS):
        assert word == word.upper() and word.isascii()
