"""`magic.by_trigger` (entries grouped by resource) and `regles.verifier_iban` (cached format
check) answer as the plain loop and the uncached check do."""

from __future__ import annotations

import copy

import pytest

from ficoba_sandbox.backend import regles
from ficoba_sandbox.qa import magic
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.identifiers import is_valid_iban


def _plain(resource: str, body: object) -> magic.Entry | None:
    for e in magic.ENTRIES:
        if e.trigger is not None and e.trigger.matches(resource, body):
            return e
    return None


def test_by_trigger_is_the_plain_loop() -> None:
    bodies = [{"criteresRecherche": copy.deepcopy(dict(e.criteres))} for e in magic.ENTRIES]
    bodies += [None, {}, {"criteresRecherche": None}, {"criteresRecherche": {"iban": 3}}]
    seen = 0
    for resource in (*magic.RESOURCES, "etatSante", "other"):
        for body in bodies:
            expected = _plain(resource, body)
            assert magic.by_trigger(resource, body) is expected
            seen += expected is not None
    assert seen >= sum(e.trigger is not None for e in magic.ENTRIES)


def test_by_trigger_follows_a_replaced_entries_tuple(monkeypatch: pytest.MonkeyPatch) -> None:
    e = next(e for e in magic.ENTRIES if e.trigger is not None)
    body = {"criteresRecherche": copy.deepcopy(dict(e.criteres))}
    assert magic.by_trigger(e.resource, body) is e
    monkeypatch.setattr(magic, "ENTRIES", tuple(x for x in magic.ENTRIES if x is not e))
    assert magic.by_trigger(e.resource, body) is _plain(e.resource, body)


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630004009550000135601429",
        "fr76 3000 4009 5500 0013 5601 429",
        "FR7630004009550000135601428",
        "FC1030004008711812050237399",
        "DE89370400440532013000",
        "FR76",
    ],
)
@pytest.mark.parametrize("fc", [True, False])
def test_verifier_iban_unchanged(iban: str, fc: bool) -> None:
    valeur = iban.replace(" ", "").upper()
    motif = regles._IBAN_FR_FC if fc else regles._IBAN_FR
    ok = bool(motif.match(valeur)) and is_valid_iban(valeur)
    for _ in range(2):  # the second call answers from the cache
        if ok:
            assert regles.verifier_iban(iban, fc=fc) == valeur
        else:
            with pytest.raises(FicobaError) as err:
                regles.verifier_iban(iban, fc=fc)
            assert err.value.code == "CAF002"
