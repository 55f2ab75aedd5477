"""The Store: the immutable, indexed fictitious FICOBA file the backend searches.

Built by `data.build.build_store`; its API for the backend:

    store.compte_by_iban(iban)                      -> Compte | None
    store.personne_physique_by_spi(spi)             -> PersonnePhysique | None
    store.personnes_morales_by_siren(siren)         -> tuple[PersonneMorale, ...]
    store.personne_morale_by_siret(siret)           -> PersonneMorale | None
    store.personne(id)                              -> PersonnePhysique | PersonneMorale | None
    store.droits_of_compte(compte_or_iban)          -> tuple[Droit, ...]
    store.comptes_of_personne_physique(pp)          -> tuple[tuple[Compte, Droit], ...]
    store.comptes_of_personne_morale(pm)            -> tuple[tuple[Compte, Droit], ...]
    store.banque(code) / store.guichet(code, guichet)
    store.search_personnes_physiques(CriteresPersonnePhysique(...)) -> SearchResult
    store.search_personnes_morales(CriteresPersonneMorale(...))     -> SearchResult
    store.digest() / iteration (personnes_physiques(), comptes(), ...)

Identifier lookups are dict indexes. Searches go through name indexes, then filter
(matching rules: docs/data.md). Labels of codes: `ficoba_sandbox.domain.codes`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import chain, islice
from typing import TypeVar

from ficoba_sandbox.data.model import (
    Banque,
    Compte,
    Droit,
    Guichet,
    PersonneMorale,
    PersonnePhysique,
    record_text,
)
from ficoba_sandbox.data.search import (
    MAX_REPONSES,
    CriteresAdresse,
    CriteresPersonneMorale,
    CriteresPersonnePhysique,
    SearchResult,
    SearchStatus,
    address_keys,
    address_matches,
    clean,
    date_matches,
    date_predicate,
    int_or_zero,
    name_keys,
    stored_date,
    words_match,
)
from ficoba_sandbox.domain.normalize import normalize_text, normalize_words

_NAMESAKES_MEMO_MAX = 1 << 16  # entries of Store._pp_by_nom_annee before it is emptied

#: a person or an entity: what a search finds
Found = TypeVar("Found", PersonnePhysique, PersonneMorale)


@dataclass(slots=True)
class Store:
    """Immutable once built. Build with `build_store()`; never mutate the tuples or dicts."""

    seed: int
    size: int
    banques: dict[str, Banque]
    guichets: dict[tuple[str, str], Guichet]
    _pp: dict[str, PersonnePhysique]
    _pm: dict[str, PersonneMorale]
    _comptes: dict[str, Compte]
    _droits_by_iban: dict[str, tuple[Droit, ...]]
    _droits_by_personne: dict[str, tuple[Droit, ...]]
    _pp_by_spi: dict[str, str] = field(default_factory=dict)
    _pm_by_siret: dict[str, str] = field(default_factory=dict)
    _pm_by_siren: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _pp_by_nom: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _pm_by_word: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _addresses: frozenset[tuple[str, ...]] = frozenset()
    _ei_by_pp: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _digest: str = ""
    #: (name keys, birth year) -> the persons of `_pp_by_nom` under those keys born that year,
    #: in the same order: built on first use, bounded (a memo, not data: never saved)
    _pp_by_nom_annee: dict[tuple[tuple[str, ...], int], tuple[str, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __getstate__(self) -> list[object]:
        """The fields, the memo left out: the start-up cache is written by a background thread
        (data/build.py) while searches may be filling the memo."""
        return [{} if f.name == "_pp_by_nom_annee" else getattr(self, f.name) for f in fields(self)]

    def __setstate__(self, state: list[object]) -> None:
        for f, value in zip(fields(self), state, strict=True):
            object.__setattr__(self, f.name, value)

    # ---------------------------------------------------------------- identifier lookups

    def compte_by_iban(self, iban: str) -> Compte | None:
        return self._comptes.get(iban.strip().upper())

    def personne_physique_by_spi(self, spi: str) -> PersonnePhysique | None:
        pid = self._pp_by_spi.get(spi.strip())
        return self._pp[pid] if pid else None

    def personnes_morales_by_siren(self, siren: str) -> tuple[PersonneMorale, ...]:
        """Every establishment (SIRET) of the SIREN, in SIRET order."""
        return tuple(self._pm[i] for i in self._pm_by_siren.get(siren.strip(), ()))

    def personne_morale_by_siret(self, siret: str) -> PersonneMorale | None:
        pid = self._pm_by_siret.get(siret.strip())
        return self._pm[pid] if pid else None

    def personne(self, personne_id: str) -> PersonnePhysique | PersonneMorale | None:
        if personne_id.startswith("pp:"):
            return self._pp.get(personne_id)
        return self._pm.get(personne_id)

    def banque(self, code: str) -> Banque | None:
        return self.banques.get(code)

    def guichet(self, code_banque: str, code_guichet: str) -> Guichet | None:
        return self.guichets.get((code_banque, code_guichet))

    # ---------------------------------------------------------------- relations

    def droits_of_compte(self, compte: Compte | str) -> tuple[Droit, ...]:
        """The ayants droits of an account, in the order the file holds them."""
        iban = compte if isinstance(compte, str) else compte.iban
        return self._droits_by_iban.get(iban, ())

    def _comptes_of(self, personne_id: str) -> tuple[tuple[Compte, Droit], ...]:
        return tuple(
            (self._comptes[d.iban], d) for d in self._droits_by_personne.get(personne_id, ())
        )

    def comptes_of_personne_physique(
        self, pp: PersonnePhysique | str
    ) -> tuple[tuple[Compte, Droit], ...]:
        """Every account the person has a right on (any right, closed accounts included), with
        that right, then the accounts of the entrepreneurs individuels (category 1000) the person
        runs, with the entity's right (`droit.personne` is then "pm:..."): the protocol's SPI
        example (DUBOIS DANIEL) lists his EI's account. The backend filters by right / motif."""
        pid = pp if isinstance(pp, str) else pp.id
        own = self._comptes_of(pid)
        seen = {c.iban for c, _ in own}
        extra = [
            (c, d)
            for pm_id in self._ei_by_pp.get(pid, ())
            for c, d in self._comptes_of(pm_id)
            if c.iban not in seen
        ]
        return own + tuple(extra)

    def comptes_of_personne_morale(
        self, pm: PersonneMorale | str
    ) -> tuple[tuple[Compte, Droit], ...]:
        return self._comptes_of(pm if isinstance(pm, str) else pm.id)

    # ---------------------------------------------------------------- searches

    def search_personnes_physiques(
        self, criteres: CriteresPersonnePhysique, limit: int = MAX_REPONSES
    ) -> SearchResult[PersonnePhysique]:
        """Search natural persons by civil status (+ birthplace, + address). Rules: docs/data.md."""
        keys = name_keys(criteres.nom)
        if not keys:
            return SearchResult(SearchStatus.NO_MATCH)
        seen = self._namesakes(keys, criteres.annee_naissance)
        sexe = clean(criteres.sexe)
        pays = clean(criteres.code_pays_naissance)
        dep = clean(criteres.code_departement_naissance).upper()
        com = clean(criteres.code_commune_naissance)
        prenoms = normalize_words(criteres.prenoms) if criteres.prenoms else None
        identity: list[PersonnePhysique] = []
        pps = self._pp
        date_ok: Callable[[PersonnePhysique], bool] | None
        try:
            date_ok = date_predicate(criteres)
        except ValueError:  # the plain rule, which raises at the first candidate, as it did
            date_ok = functools.partial(date_matches, criteres)
        for pid in seen:
            pp = pps[pid]
            if sexe and sexe in "12" and pp.sexe != sexe:
                continue
            # pure predicates: the cheaper date first, then the first names
            if date_ok is not None and not date_ok(pp):
                continue
            if prenoms is not None and not words_match(prenoms, pp.prenoms):
                continue
            if pays and pp.code_pays_naissance != pays:
                continue
            if dep and pp.code_departement_naissance.upper() != dep:
                continue
            if com and pp.code_commune_naissance.lstrip("0") != com.lstrip("0"):
                continue
            identity.append(pp)
        return self._finish(identity, criteres.adresse, limit)

    def _namesakes(self, keys: tuple[str, ...], annee: str | None) -> Iterable[str]:
        """The persons indexed under `keys`, first occurrence first; only those born in `annee`
        when it is given: the birth-date rule's first test (`date_predicate`), done once per
        (keys, year) and remembered. A common surname has hundreds of bearers at 1 M accounts
        and a few per year; the search then tests those few."""
        year = None
        if clean(annee):
            try:
                year = int_or_zero(annee)
            except ValueError:  # not numbers: the plain rule decides, candidate by candidate
                year = None
        if year is not None:
            hit = self._pp_by_nom_annee.get((keys, year))
            if hit is not None:
                return hit
        seen: dict[str, None] = {}
        for key in keys:
            for pid in self._pp_by_nom.get(key, ()):
                seen.setdefault(pid)
        if year is None:
            return seen
        pps = self._pp
        try:
            born = tuple(
                pid
                for pid in seen
                if stored_date(
                    pps[pid].annee_naissance, pps[pid].mois_naissance, pps[pid].jour_naissance
                )[0]
                == year
            )
        except ValueError:  # a stored date that is not numbers: the plain rule decides
            return seen
        if len(self._pp_by_nom_annee) >= _NAMESAKES_MEMO_MAX:
            self._pp_by_nom_annee.clear()
        self._pp_by_nom_annee[keys, year] = born
        return born

    def search_personnes_morales(
        self, criteres: CriteresPersonneMorale, limit: int = MAX_REPONSES
    ) -> SearchResult[PersonneMorale]:
        """Search legal entities by raison sociale / sigle / enseigne (+ category, + address).

        A designation field matches when its normalised words start the stored field's words
        ("STELLANT" matches "STELLANT FINANCES SERVICES"); several given fields must all match.
        """
        wanted = [
            (name, normalize_text(getattr(criteres, name)))
            for name in ("raison_sociale", "sigle", "enseigne")
        ]
        wanted = [(name, value) for name, value in wanted if value]
        if not wanted:
            return SearchResult(SearchStatus.NO_MATCH)
        first_words = {value.split()[0] for _, value in wanted}
        candidates: dict[str, None] = {}
        for word in sorted(first_words):
            for pid in self._pm_by_word.get(word, ()):
                candidates.setdefault(pid)
        categorie = clean(criteres.code_categorie_juridique)
        identity: list[PersonneMorale] = []
        for pid in candidates:
            pm = self._pm[pid]
            if categorie and pm.categorie_juridique != categorie:
                continue
            ok = True
            for name, value in wanted:
                stored = normalize_text(getattr(pm, name))
                if not (stored == value or stored.startswith(value + " ")):
                    ok = False
                    break
            if ok:
                identity.append(pm)
        return self._finish(identity, criteres.adresse, limit)

    def _finish(
        self, identity: Sequence[Found], adresse: CriteresAdresse | None, limit: int
    ) -> SearchResult[Found]:
        if not identity:
            return SearchResult(SearchStatus.NO_MATCH)
        if adresse is not None and not adresse.is_empty():
            at_address = [p for p in identity if address_matches(adresse, p.adresse)]
            if not at_address:
                dep = clean(adresse.code_departement)
                com = clean(adresse.code_commune)
                cp = clean(adresse.code_postal)
                # CAF028 when nobody in the file lives in this commune / postcode, else CAF029.
                known = (
                    (not dep or ("d", dep) in self._addresses)
                    and (not (dep and com) or ("c", dep, com) in self._addresses)
                    and (not cp or ("p", cp) in self._addresses)
                )
                return SearchResult(
                    SearchStatus.NOT_AT_ADDRESS if known else SearchStatus.ADDRESS_UNKNOWN
                )
            identity = at_address
        if len(identity) > limit:
            return SearchResult(SearchStatus.TOO_MANY, (), len(identity))
        return SearchResult(SearchStatus.OK, tuple(identity), len(identity))

    # ---------------------------------------------------------------- iteration, digest, stats

    def personnes_physiques(self) -> Iterator[PersonnePhysique]:
        return iter(self._pp.values())

    def personnes_morales(self) -> Iterator[PersonneMorale]:
        return iter(self._pm.values())

    def comptes(self) -> Iterator[Compte]:
        return iter(self._comptes.values())

    def droits(self) -> Iterator[Droit]:
        for droits in self._droits_by_iban.values():
            yield from droits

    def counts(self) -> dict[str, int]:
        return {
            "personnes_physiques": len(self._pp),
            "personnes_morales": len(self._pm),
            "comptes": len(self._comptes),
            "droits": sum(len(d) for d in self._droits_by_iban.values()),
            "banques": len(self.banques),
            "guichets": len(self.guichets),
        }

    def digest(self) -> str:
        """SHA-256 over every record in a canonical order: equal on every machine for equal data.

        Computed on first call (≈ 0.1 s at the default size), not at build: only the CLI and the
        admin API ask for it, and a server start should not pay for it."""
        if not self._digest:
            self._digest = compute_digest(
                chain(
                    self.banques.values(),
                    self.guichets.values(),
                    self._pp.values(),
                    self._pm.values(),
                    self._comptes.values(),
                    self.droits(),
                )
            )
        return self._digest

    def known_digest(self) -> str | None:
        """The digest if it is already known (loaded with the cache or computed), else None:
        for callers on the start-up path that must not pay for `digest()`."""
        return self._digest or None


def compute_digest(records: Iterable[object]) -> str:
    """SHA-256 of `record_text(record) + "\n"` for every record, fed in chunks (same bytes)."""
    h = hashlib.sha256()
    it = iter(records)
    while chunk := list(islice(it, 20_000)):
        h.update("\n".join(map(record_text, chunk)).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def index_store(
    *,
    seed: int,
    size: int,
    banques: Iterable[Banque],
    guichets: Iterable[Guichet],
    personnes_physiques: Iterable[PersonnePhysique],
    personnes_morales: Iterable[PersonneMorale],
    comptes: Iterable[Compte],
    droits: Iterable[Droit],
) -> Store:
    """Assemble the indexes from records (generation or cache). Order of the inputs is kept."""
    b = {x.numero_etablissement: x for x in banques}
    g = {(x.numero_etablissement, x.numero_guichet): x for x in guichets}
    pp = {x.id: x for x in personnes_physiques}
    pm = {x.id: x for x in personnes_morales}
    cpt = {x.iban: x for x in comptes}
    by_iban: dict[str, list[Droit]] = {}
    by_pers: dict[str, list[Droit]] = {}
    for d in droits:
        found = by_iban.get(d.iban)
        if found is None:
            by_iban[d.iban] = [d]
        else:
            found.append(d)
        found = by_pers.get(d.personne)
        if found is None:
            by_pers[d.personne] = [d]
        else:
            found.append(d)
    pp_by_nom: dict[str, list[str]] = {}
    addresses: set[tuple[str, ...]] = set()
    keys_of: dict[str, tuple[str, ...]] = {}  # memo: names repeat a lot
    for p in pp.values():
        nom, usage = p.nom_naissance, p.nom_usage
        keys = keys_of.get(nom)
        if keys is None:
            keys = keys_of[nom] = name_keys(nom)
        if usage:
            more = keys_of.get(usage)
            if more is None:
                more = keys_of[usage] = name_keys(usage)
            keys = tuple(sorted(set(keys) | set(more)))
        elif len(keys) > 1:
            keys = tuple(sorted(keys))
        for k in keys:
            found_ids = pp_by_nom.get(k)
            if found_ids is None:
                pp_by_nom[k] = [p.id]
            else:
                found_ids.append(p.id)
        if p.adresse:
            addresses.update(address_keys(p.adresse))
    pm_by_siren: dict[str, list[str]] = {}
    pm_by_word: dict[str, list[str]] = {}
    ei_by_pp: dict[str, list[str]] = {}
    for m in pm.values():
        if m.entrepreneur:
            ei_by_pp.setdefault(m.entrepreneur, []).append(m.id)
        if m.siren:
            pm_by_siren.setdefault(m.siren, []).append(m.id)
        words = {
            normalize_text(v).split()[0]
            for v in (m.raison_sociale, m.sigle, m.enseigne)
            if normalize_text(v)
        }
        for w in sorted(words):
            pm_by_word.setdefault(w, []).append(m.id)
        if m.adresse:
            addresses.update(address_keys(m.adresse))
    return Store(
        seed=seed,
        size=size,
        banques=b,
        guichets=g,
        _pp=pp,
        _pm=pm,
        _comptes=cpt,
        _droits_by_iban={k: tuple(v) for k, v in by_iban.items()},
        _droits_by_personne={k: tuple(v) for k, v in by_pers.items()},
        _pp_by_spi={p.numero_spi: p.id for p in pp.values() if p.numero_spi},
        _pm_by_siret={m.siret: m.id for m in pm.values() if m.siret},
        _pm_by_siren={
            k: tuple(v) if len(v) == 1 else tuple(sorted(v, key=lambda i: pm[i].siret))
            for k, v in pm_by_siren.items()
        },
        _pp_by_nom={k: tuple(v) for k, v in pp_by_nom.items()},
        _pm_by_word={k: tuple(v) for k, v in pm_by_word.items()},
        _addresses=frozenset(addresses),
        _ei_by_pp={k: tuple(v) for k, v in ei_by_pp.items()},
    )
