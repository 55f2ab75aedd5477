"""`magic.by_trigger` (entries grouped by resource) and `rules.check_iban` (cached format
check) answer as the plain loop and the uncached check do."""

from __future__ import annotations

import copy

import pytest

from ficoba_sandbox.backend import rules
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.identifiers import is_valid_iban
from ficoba_sandbox.qa import magic


def _plain(resource: str, body: object) -> magic.Entry | None:
    for e in magic.ENTRIES:
        if e.trigger is not None and e.trigger.matches(resource, body):
            return e
    return None


def test_by_trigger_is_the_plain_loop() -> None:
    bodies = [{"criteresRecherche": copy.deepcopy(dict(e.criteres))} for e in magic.ENTRIES]
    bodies += [None, {}, {"criteresRecherche": None}, {"criteresRecherche": {"iban": 3}}]
    for e in magic.ENTRIES:  # as a client may write them: spaced, lower case, accented
        if e.trigger is not None:
            value = e.trigger.value
            if e.trigger.path[-1] == "iban":
                written = " ".join(value[i : i + 4] for i in range(0, len(value), 4)).lower()
            else:
                written = " " + value.lower().replace("e", "é") + " "
            criteres: dict = {}
            node = criteres
            for name in e.trigger.path[:-1]:
                node = node.setdefault(name, {})
            node[e.trigger.path[-1]] = written
            bodies.append({"criteresRecherche": criteres})
    seen = 0
    for resource in (*magic.RESOURCES, "etatSante", "other"):
        for body in bodies:
            expected = _plain(resource, body)
            assert magic.by_trigger(resource, body) is expected
            seen += expected is not None
    assert seen == 2 * sum(e.trigger is not None for e in magic.ENTRIES)  # each, and its variant


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
    motif = rules._IBAN_FR_FC if fc else rules._IBAN_FR
    ok = bool(motif.match(valeur)) and is_valid_iban(valeur)
    for _ in range(2):  # the second call answers from the cache
        if ok:
            assert rules.check_iban(iban, fc=fc) == valeur
        else:
            with pytest.raises(FicobaError) as err:
                rules.check_iban(iban, fc=fc)
            assert err.value.code == "CAF002"
