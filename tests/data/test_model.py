"""data/model.py: the records, their fast constructor and pickling, and the text the dataset
digest hashes."""

from __future__ import annotations

import dataclasses
import pickle
import re

import pytest

from ficoba_sandbox.data.model import (
    Adresse,
    Banque,
    Compte,
    Droit,
    Guichet,
    PersonneMorale,
    PersonnePhysique,
    camel_case,
    new_record,
    record_text,
)

ADRESSE = Adresse("99100", "FRANCE", "94", "Val-de-Marne", "028", "CRETEIL", "12", "B", "RUE")
PERSONNE = PersonnePhysique(
    "pp:x", "DUBOIS", "", "DANIEL", "1", "1970", "2", "3", "99100", "FRANCE", adresse=ADRESSE
)
RECORDS = [
    ADRESSE,
    PERSONNE,
    dataclasses.replace(PERSONNE, adresse=None),
    PersonneMorale("pm:1", "AEROLINK TECH", siren="345678901", adresse=ADRESSE),
    Banque("30004", "BNP PARIBAS", "BNPAFRPPXXX"),
    Guichet("30004", "00955", "AG PARIS", lib_adr2="3 PL DE LA NATION"),
    Compte("FR7630004009550000135601429", "2020-01-01", 101, 1, "30004", "00955"),
    Droit("FR7630004009550000135601429", "pp:x", "2", "2020-01-01", avec_adresse=False),
]


@pytest.mark.parametrize(
    ("name", "camel"),
    [
        ("date_cloture", "dateCloture"),
        ("lib_adr1", "libAdr1"),
        ("code_pays_residence", "codePaysResidence"),
        ("iban", "iban"),
    ],
)
def test_camel_case(name: str, camel: str) -> None:
    assert camel_case(name) == camel


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_record_text_is_the_repr_with_the_protocols_field_names(record: object) -> None:
    """The digest's text: what `repr` printed when the fields were spelled in camelCase, so a
    dataset's digest does not move with the Python spelling."""
    names = {f.name for cls in (type(record), Adresse) for f in dataclasses.fields(cls)}
    expected = re.sub(
        r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")=",
        lambda m: camel_case(m.group(1)) + "=",
        repr(record),
    )
    assert record_text(record) == expected
    assert record_text(ADRESSE).startswith("Adresse(codePaysResidence='99100', ")


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_fast_constructor_and_pickle_give_ordinary_frozen_records(record: object) -> None:
    values = [getattr(record, f.name) for f in dataclasses.fields(record)]  # type: ignore[arg-type]
    built = new_record(type(record))(*values)
    assert type(built) is type(record) and built == record and hash(built) == hash(record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, dataclasses.fields(built)[0].name, "x")  # type: ignore[arg-type]
    back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == record and type(back) is type(record)


def test_trailing_defaults_may_be_omitted() -> None:
    assert new_record(Banque)("30004", "BNP PARIBAS", "BNPAFRPPXXX") == RECORDS[4]
    assert new_record(Guichet)("30004", "00955", "AG PARIS").lib_adr1 == ""


def test_droit_knows_whether_its_holder_is_a_person() -> None:
    assert RECORDS[-1].is_personne_physique
    assert not dataclasses.replace(RECORDS[-1], personne="pm:1").is_personne_physique
