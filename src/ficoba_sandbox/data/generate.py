"""Seeded generation of the fictitious file.

One `random.Random(seed)` drives everything, drawing from the tables of `data/tables.py` (Faker
fr_FR's names among them: one Faker call per field would be far too slow, and Faker's own RNG is
not needed). Nothing iterates a set or a hash-ordered dict of strings while drawing, so the
result is the same under any PYTHONHASHSEED. "Today" for the data is fixed (`REFERENCE_DATE`),
never the clock, so the dataset does not drift with time.

The proportions it draws are stated once, in docs/data.md; tests/data/test_generate.py checks
them.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate

from ficoba_sandbox.data import reserved, tables
from ficoba_sandbox.data.banks import BANQUES, LA_BANQUE_POSTALE
from ficoba_sandbox.data.model import (
    Adresse,
    Banque,
    Compte,
    Droit,
    Guichet,
    PersonneMorale,
    PersonnePhysique,
    new_record,
)
from ficoba_sandbox.domain import codes, identifiers, insee
from ficoba_sandbox.domain.normalize import normalize_text

REFERENCE_DATE = dt.date(2025, 10, 15)  # protocol v11 date: the data's "today"


class _Dates(dict[int, str]):
    """Memo ordinal -> ISO date. Shares one string per day (memory at 1 M accounts) and keeps
    the reverse map (`ordinals`) so rights never re-parse their account's opening date."""

    def __init__(self) -> None:
        super().__init__()
        self.ordinals: dict[str, int] = {}

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        self.ordinals[text] = ordinal
        return text


def _cumulative(weights: Sequence[float]) -> tuple[list[float], float, int]:
    """What `Random.choices(population, weights)` computes on every call: (cum_weights, total,
    hi). `population[bisect(cum, random() * total, 0, hi)]` then draws exactly as
    `choices(population, weights)[0]` does, with the same single `random()` call."""
    cum = list(accumulate(weights))
    return cum, cum[-1] + 0.0, len(cum) - 1


@dataclass
class Taken:
    """Identifiers already used (personas first): the generator never reuses them."""

    spis: set[str] = field(default_factory=set)
    sirens: set[str] = field(default_factory=set)
    sirets: set[str] = field(default_factory=set)
    ibans: set[str] = field(default_factory=set)
    guichets: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Generated:
    banques: list[Banque]
    guichets: list[Guichet]
    personnes_physiques: list[PersonnePhysique]
    personnes_morales: list[PersonneMorale]
    comptes: list[Compte]
    droits: list[Droit]


_new_adresse = new_record(Adresse)
_new_pp = new_record(PersonnePhysique)
_new_compte = new_record(Compte)
_new_droit = new_record(Droit)
_new_guichet = new_record(Guichet)

# Random draws below call `random()`, `_randbelow(n)` and bisect directly, exactly as
# `Random.randint / randrange / choice / choices` do internally (same calls, same order), so the
# data is the one the straightforward `r.randint(a, b)` code produced; `a + rb(b - a + 1)` is
# `randint(a, b)` (b >= a everywhere below), `seq[rb(len(seq))]` is `choice(seq)`.


class _Generator:
    def __init__(self, seed: int, taken: Taken) -> None:
        self.r = random.Random(seed)
        self.rnd = self.r.random
        # Random's own primitive, private hence absent from typeshed (see the note above)
        self.rb = self.r._randbelow  # type: ignore[attr-defined]
        self.taken = taken
        self.last, self.male, self.female = tables.name_pools()
        self.today = REFERENCE_DATE.toordinal()
        self.dates = _Dates()
        rows = insee.commune_rows()
        # Sorted codes: stable order whatever the hash seed.
        self.communes = [
            code
            for code in sorted(rows)
            if not rows[code][2]
            and rows[code][1]
            and (not rows[code][0].endswith("Arrondissement") or code in tables.BIG_COMMUNES)
        ]
        self.big = [c for c in tables.BIG_COMMUNES if c in rows]
        self._places: dict[str, tuple[str, str, str, str, Sequence[str]]] = {}
        self._dep_labels: dict[str, str] = {}
        self.voies = [v for v, _ in tables.VOIES]
        self.voie_cum = _cumulative([w for _, w in tables.VOIES])
        self.banques = [Banque(c, n, b) for c, n, b, _ in BANQUES]
        self.banque_postale = next(
            b for b in self.banques if b.numero_etablissement == LA_BANQUE_POSTALE
        )
        self.banque_w = [w for *_, w in BANQUES]
        self.banque_cum = _cumulative(self.banque_w)
        self.guichets: dict[str, list[Guichet]] = {}
        # per bank, its branches as drawn for accounts: (branch code, "FR" IBAN prefix without
        # check digits, (bank + branch as digits followed by 11 zeros) mod 97, 89 * bank + 15 *
        # branch (the RIB key's weights)), in the order of `guichets`
        self._branches: dict[str, list[tuple[str, str, int, int]]] = {}
        self.comptes: list[Compte] = []
        self.droits: list[Droit] = []
        self.n_guichets = 4
        self.foreign_labels = {
            p: insee.libelle_pays_ficoba(p) or "" for p in tables.FOREIGN_COUNTRIES
        }

    # ------------------------------------------------------------ helpers

    def place(self, code: str) -> tuple[str, str, str, str, Sequence[str]]:
        """(département, commune, commune label, département label, postcodes) of a commune."""
        found = self._places.get(code)
        if found is None:
            c = insee.commune_by_code(code)
            assert c is not None
            dep = c.code_departement
            libelle_dep = self._dep_labels.get(dep)
            if libelle_dep is None:
                libelle_dep = self._dep_labels[dep] = insee.libelle_departement_ficoba(dep) or ""
            found = self._places[code] = (
                dep,
                c.code[len(dep) :],
                insee.libelle_commune_ficoba(c),
                libelle_dep,
                c.codes_postaux,
            )
        return found

    def commune(self) -> tuple[str, str, str, str, Sequence[str]]:
        rb = self.rb
        if self.rnd() < 0.35:
            return self.place(self.big[rb(len(self.big))])
        return self.place(self.communes[rb(len(self.communes))])

    def banque(self) -> Banque:
        cum, total, hi = self.banque_cum
        return self.banques[bisect(cum, self.rnd() * total, 0, hi)]

    def adresse(self, foreign: bool = False) -> Adresse:
        rnd, rb = self.rnd, self.rb
        if foreign:
            pays = tables.FOREIGN_COUNTRIES[rb(len(tables.FOREIGN_COUNTRIES))]
            return _new_adresse(
                pays,
                self.foreign_labels[pays],
                "",
                "",
                "",
                "",
                _str_int(1 + rb(200)),
                "",
                "",
                self.last[rb(len(self.last))],
                "",
                "",
                "ADRESSEETRANGERE",
            )
        dep, com, libelle, libelle_dep, postcodes = self.commune()
        numero = _str_int(1 + rb(150)) if rnd() < 0.92 else ""
        indice = "B" if rnd() < 0.03 else ""
        cum, total, hi = self.voie_cum
        voie = self.voies[bisect(cum, rnd() * total, 0, hi)]
        if rnd() < 0.6:
            libelle_voie = tables.STREET_WORDS[rb(len(tables.STREET_WORDS))]
        else:
            libelle_voie = self.last[rb(len(self.last))]
        compl = "APPARTEMENT " + str(1 + rb(60)) if rnd() < 0.1 else ""
        return _new_adresse(
            insee.PAYS_FRANCE,
            "FRANCE",
            dep,
            libelle_dep,
            com,
            libelle,
            numero,
            indice,
            voie,
            libelle_voie,
            compl,
            postcodes[rb(len(postcodes))],
            "ADRESSECODIFIEE",
        )

    def spi(self) -> str:
        rb, taken = self.rb, self.taken.spis
        digits = reserved.GENERATED_SPI_FIRST_DIGITS
        while True:
            first = digits[rb(len(digits))]
            n = int(first) * 10**9 + rb(10**9)
            # identifiers.make_spi, inlined: first 10 digits + (first 10 mod 511) on 3 digits
            spi = f"{n:010d}{n % 511:03d}"
            if spi not in taken:
                taken.add(spi)
                return spi

    def siren(self) -> str:
        while True:
            body = (
                self.r.choice(reserved.GENERATED_SIREN_FIRST_DIGITS)
                + f"{self.r.randrange(10**7):07d}"
            )
            siren = identifiers.make_siren(body)
            if siren not in self.taken.sirens and siren != identifiers.LA_POSTE_SIREN:
                self.taken.sirens.add(siren)
                return siren

    def siret(self, siren: str, index: int) -> str:
        nic = f"{index * 10 + 1 + self.r.randrange(9):04d}"
        siret = identifiers.make_siret(siren, nic)
        while siret in self.taken.sirets:
            nic = f"{self.r.randrange(10000):04d}"
            siret = identifiers.make_siret(siren, nic)
        self.taken.sirets.add(siret)
        return siret

    def guichets_of(self, banque: Banque) -> list[Guichet]:
        found = self.guichets.get(banque.numero_etablissement)
        if found is None:
            rnd, rb = self.rnd, self.rb
            found = []
            used: set[str] = set()
            while len(found) < self.n_guichets:
                code = f"{1 + rb(9998):05d}"  # randrange(1, 9999)
                key = (banque.numero_etablissement, code)
                if (
                    code in used
                    or key in self.taken.guichets
                    or code == reserved.MAGIC_GUICHET_CODE
                ):
                    continue
                used.add(code)
                _dep, _com, ville, _libdep, postcodes = self.commune()
                adr2 = f"{1 + rb(120)} {('R', 'AV', 'BD', 'PL')[rb(4)]} "
                adr2 += tables.STREET_WORDS[rb(len(tables.STREET_WORDS))]
                adr3 = f"BP {1 + rb(400)}" if rnd() < 0.15 else ""
                guichet = _new_guichet(
                    banque.numero_etablissement,
                    code,
                    f"AG {ville}"[:50],
                    "",
                    adr2,
                    adr3,
                    f"{postcodes[rb(len(postcodes))]} {ville}",
                )
                found.append(guichet)
            self.guichets[banque.numero_etablissement] = found
            bank = int(banque.numero_etablissement)
            self._branches[banque.numero_etablissement] = [
                (
                    gu.numero_guichet,
                    banque.numero_etablissement + gu.numero_guichet,
                    (bank * 10**5 + int(gu.numero_guichet)) * 10**11 % 97,
                    89 * bank + 15 * int(gu.numero_guichet),
                )
                for gu in found
            ]
        return found

    def open_account(
        self,
        nature: int,
        after: int,
        *,
        banque: Banque | None = None,
        type_: int = 1,
        resident: str = "0",
        closed_share: float = 0.08,
        motif: str | None = None,
    ) -> Compte:
        rnd, rb, today = self.rnd, self.rb, self.today
        if banque is None:
            banque = self.banque()
        if nature == 102:
            banque = self.banque_postale  # compte chèque postal
        code_banque = banque.numero_etablissement
        branches = self._branches.get(code_banque)
        if branches is None:
            self.guichets_of(banque)
            branches = self._branches[code_banque]
        code_guichet, bban_prefix, prefix_mod, rib = branches[rb(len(branches))]
        taken = self.taken.ibans
        while True:
            # identifiers.build_fr_iban, in integer arithmetic (the account number is 11 digits):
            # RIB key 97 - (89 bank + 15 branch + 3 account) mod 97, then ISO 13616 check
            # digits 98 - (BBAN followed by "FR00" as digits, i.e. "152700") mod 97, reduced
            # mod 97 step by step (tests/data checks every IBAN with identifiers.is_valid_*).
            account = rb(100_000_000_000)
            key = 97 - (rib + 3 * account) % 97
            bban_mod = ((prefix_mod + account) * 100 + key) % 97
            check = 98 - (bban_mod * 1_000_000 + 152700) % 97
            iban = f"FR{check:02d}{bban_prefix}{account:011d}{key:02d}"
            if iban not in taken:
                taken.add(iban)
                break
        start = max(after, today - 45 * 365)
        lo = min(start, today - 30)
        opened = lo + rb(today - 30 - lo + 1)
        dates = self.dates
        closed = ""
        if rnd() < closed_share:
            closed = dates[opened + 1 + rb(today - 1 - opened)]
        if motif is None:
            x = rnd()
            motif = "0" if x < 0.9 else "1" if x < 0.97 else "2" if x < 0.99 else "3"
        caracteristique = 2 if nature == 101 and rnd() < 0.3 else 1
        devise = "EUR" if rnd() < 0.995 else ("USD", "CHF", "GBP")[rb(3)]
        compte = _new_compte(
            iban,
            dates[opened],
            nature,
            type_,
            code_banque,
            code_guichet,
            "",
            motif,
            closed,
            "IBAN",
            caracteristique,
            "0",
            resident,
            devise,
        )
        self.comptes.append(compte)
        return compte

    def grant(self, compte: Compte, personne: str, code: str, *, adresse: bool = True) -> None:
        rnd, rb, today, dates = self.rnd, self.rb, self.today, self.dates
        start = dates.ordinals[compte.date_ouverture]
        if code != codes.DROIT_TITULAIRE:
            start += rb(max(start, today - 10) - start + 1)
        end = ""
        if compte.date_cloture:
            end = compte.date_cloture
        elif code in _RIGHTS_THAT_MAY_END and rnd() < 0.15:
            end = dates[start + rb(today - 1 - start + 1)]
        updated = dates[start + rb(today - 1 - start + 1)] if start < today - 1 else dates[start]
        self.droits.append(
            _new_droit(
                compte.iban,
                personne,
                code,
                dates[start],
                end,
                max(updated, end) if end else updated,
                adresse,
            )
        )

    # ------------------------------------------------------------ persons

    def personne_physique(self) -> tuple[PersonnePhysique, int]:
        """A generated natural person and the ordinal of their birth date as the account rules
        read it (unknown month / day = 1)."""
        rnd, rb, today, last = self.rnd, self.rb, self.today, self.last
        sexe = "1" if rnd() < 0.49 else "2"
        nom = last[rb(len(last))]
        pool = self.male if sexe == "1" else self.female
        n_pool = len(pool)
        x = rnd() * 100.0  # choices((1, 2, 3), (55, 35, 10))[0]
        n_prenoms = 1 if x < 55 else 2 if x < 90 else 3
        if n_prenoms == 1:
            prenoms = pool[rb(n_pool)]
        else:
            prenoms = " ".join(dict.fromkeys(pool[rb(n_pool)] for _ in range(n_prenoms)))
        nom_usage = ""
        if sexe == "2" and rnd() < 0.35:
            nom_usage = last[rb(len(last))]
        lo = today - 95 * 365
        born = rule_born = lo + rb(today - 16 * 365 - lo + 1)
        d = dt.date.fromordinal(born)
        annee, mois, jour = _str_int(d.year), _str_int(d.month), _str_int(d.day)
        if rnd() < 0.04:  # born abroad
            pays = tables.FOREIGN_COUNTRIES[rb(len(tables.FOREIGN_COUNTRIES))]
            if rnd() < 0.3:  # protocol: incomplete dates for people born abroad
                jour = ""
                if rnd() < 0.5:
                    mois = ""
                rule_born = dt.date(d.year, int(mois or 1), 1).toordinal()
            libelle_pays = self.foreign_labels[pays]
            dep = libelle_dep = com = libelle_com = ""
        else:
            dep, com, libelle_com, libelle_dep, _ = self.commune()
            pays, libelle_pays = insee.PAYS_FRANCE, "FRANCE"
        deces = ""
        if rnd() < 0.03:
            lo = min(max(born + 18 * 365, today - 8 * 365), today - 31)
            deces = self.dates[lo + rb(today - 30 - lo + 1)]
        spi = self.spi()
        pp = _new_pp(
            "pp:" + spi,
            nom,
            nom_usage,
            prenoms,
            sexe,
            annee,
            mois,
            jour,
            pays,
            libelle_pays,
            dep,
            libelle_dep,
            com,
            libelle_com,
            deces,
            spi,
            self.adresse(foreign=rnd() < 0.02),
        )
        return pp, rule_born


_RIGHTS_THAT_MAY_END = (codes.DROIT_PROCURATION, codes.DROIT_MANDATAIRE)
_SMALL_INTS = tuple(str(i) for i in range(3000))


def _str_int(i: int) -> str:
    """str(i), sharing the string objects of small numbers (street numbers, days, years)."""
    return _SMALL_INTS[i] if i < 3000 else str(i)


def generate(seed: int, size: int, taken: Taken) -> Generated:
    """The generated part of the file for (seed, size): `size` natural persons, size // 5 legal
    entities, their accounts and rights. Identifiers in `taken` are never emitted."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of long-lived records: no cycles to find among them
    try:
        return _generate(seed, size, taken)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(seed: int, size: int, taken: Taken) -> Generated:
    g = _Generator(seed, taken)
    r, rnd, rb, today = g.r, g.rnd, g.rb, g.today
    g.n_guichets = max(4, min(60, size // 400))
    pps: list[PersonnePhysique] = []
    births: list[int] = []
    for _ in range(size):
        pp, born = g.personne_physique()
        pps.append(pp)
        births.append(born)
    open_account, grant = g.open_account, g.grant
    titulaire, procuration = codes.DROIT_TITULAIRE, codes.DROIT_PROCURATION
    natures = [(nature, share, nature == 204) for nature, share in tables.PP_NATURES]
    youth_limit = today - 26 * 365
    for i, pp in enumerate(pps):
        born = births[i]
        pid = pp.id
        adult = born + 18 * 365
        resident = (
            "1" if pp.adresse and pp.adresse.code_pays_residence != insee.PAYS_FRANCE else "0"
        )
        home = g.banque()
        dead = bool(pp.date_deces)
        # current account (most people), possibly joint (type 2), collective (3) or indivis (4)
        if rnd() < 0.93:
            x = rnd()
            type_ = 2 if x < 0.15 else 3 if x < 0.16 else 4 if x < 0.17 else 1
            cpt = open_account(101, adult, banque=home, type_=type_, resident=resident)
            if dead:
                cpt = _succession(g, cpt)
            grant(cpt, pid, titulaire)
            if type_ != 1:
                # min(): a dataset of one person has no second holder to draw
                for other in r.sample(pps, min(len(pps), 1 if type_ == 2 else 2)):
                    if other.id != pid:
                        grant(cpt, other.id, titulaire)
            if rnd() < 0.05:
                other = pps[rb(size)]
                if other.id != pid:
                    grant(cpt, other.id, procuration, adresse=False)
        if rnd() < 0.01:
            grant(open_account(102, adult, resident=resident), pid, titulaire)
        for nature, share, livret_jeune in natures:
            if rnd() >= share:
                continue
            if livret_jeune and born < youth_limit:
                continue  # livret jeune: 12-25 year olds
            cpt = open_account(
                nature, adult, banque=home if rnd() < 0.7 else None, resident=resident
            )
            if dead and rnd() < 0.5:
                cpt = _succession(g, cpt)
            grant(cpt, pid, titulaire)
            # Multi-holding of regulated savings (documented share): a second booklet elsewhere.
            if nature in (201, 206) and rnd() < (0.01 if nature == 201 else 0.03):
                other_banks = [
                    b for b in g.banques if b.numero_etablissement != cpt.numero_etablissement
                ]
                second = 202 if nature == 201 and rnd() < 0.3 else nature
                dup = open_account(second, adult, banque=r.choice(other_banks), closed_share=0.0)
                grant(dup, pid, titulaire)
        # Heirs: accounts opened following an estate (motifs 2 and 3).
        if dead and i + 1 < size and rnd() < 0.5:
            heir = pps[i + 1]
            motif = "2" if rnd() < 0.6 else "3"
            grant(open_account(101, adult, motif=motif, closed_share=0.0), heir.id, titulaire)

    pms = _legal_entities(g, pps, size)
    banques = sorted({c.numero_etablissement for c in g.comptes})
    banks = [b for b in g.banques if b.numero_etablissement in banques]
    guichets = [gu for code in sorted(g.guichets) for gu in g.guichets[code]]
    return Generated(banks, guichets, pps, pms, g.comptes, g.droits)


def _succession(g: _Generator, compte: Compte) -> Compte:
    """The account of a deceased holder: under estate settlement (succession "1") or closed."""
    g.comptes.pop()
    if g.rnd() < 0.6:
        compte = replace(compte, succession="1", date_cloture="")
    g.comptes.append(compte)
    return compte


def _legal_entities(
    g: _Generator, pps: Sequence[PersonnePhysique], size: int
) -> list[PersonneMorale]:
    r = g.r
    out: list[PersonneMorale] = []
    cats = [c for c, _ in tables.CATEGORIES]
    cat_cum, cat_total, cat_hi = _cumulative([w for _, w in tables.CATEGORIES])
    for _ in range(size // 5):
        ei = r.random() < 0.10
        if ei:
            cat = codes.CATEGORIE_ENTREPRENEUR_INDIVIDUEL
        else:
            cat = cats[bisect(cat_cum, r.random() * cat_total, 0, cat_hi)]
        siren = g.siren()
        entrepreneur = ""
        sigle = enseigne = numero_rna = numero_copro = numero_lei = ""
        type_rep = "SIRENE"
        if ei:
            owner = pps[r.randrange(len(pps))]
            entrepreneur = owner.id
            raison = f"{owner.nom_naissance} {owner.prenoms.split()[0]}"
            if r.random() < 0.4:
                enseigne = f"{r.choice(tables.COMPANY_WORDS)} {owner.nom_naissance}"
        elif cat.startswith("92"):
            raison = f"ASSOCIATION {r.choice(tables.COMPANY_WORDS)} {r.choice(g.last)}"
            numero_rna = "W" + r.choice("12345678") + f"{r.randrange(10**8):08d}"
        elif cat == "9110":
            raison = f"SYNDICAT DES COPROPRIETAIRES RESIDENCE {r.choice(g.last)}"
            numero_copro = f"AA{r.randrange(10**7):07d}"
            type_rep = "COPROSANSSIRET" if r.random() < 0.3 else "SIRENE"
        elif cat.startswith("65"):
            raison = f"SCI {r.choice(g.last)}" + (
                f" {r.choice(g.last)}" if r.random() < 0.3 else ""
            )
        else:
            raison = f"{r.choice(tables.COMPANY_WORDS)} {r.choice(g.last)}"
            if r.random() < 0.3:
                sigle = "".join(w[0] for w in raison.split()) + r.choice(("", "F", "G", "SA"))
            if r.random() < 0.2:
                enseigne = f"{r.choice(tables.COMPANY_WORDS)} {r.choice(g.last)}"
            if r.random() < 0.15:
                body = reserved.GENERATED_LEI_PREFIX + "".join(
                    r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12)
                )
                numero_lei = identifiers.make_lei(body)
        n_etab = 1 if r.random() < 0.9 else r.randint(2, 3)
        for k in range(n_etab):
            siret = g.siret(siren, k)
            pm = PersonneMorale(
                id=f"pm:{siret}",
                raison_sociale=normalize_text(raison) if not ei else raison,
                sigle=sigle,
                enseigne=enseigne,
                siren=siren,
                siret=siret,
                categorie_juridique=cat,
                type_repertoire=type_rep,
                numero_rna=numero_rna,
                numero_copro=numero_copro,
                numero_lei=numero_lei,
                adresse=g.adresse(),
                entrepreneur=entrepreneur,
            )
            out.append(pm)
            _accounts_of_pm(g, pm, pps)
    return out


def _accounts_of_pm(g: _Generator, pm: PersonneMorale, pps: Sequence[PersonnePhysique]) -> None:
    rnd, rb = g.rnd, g.rb
    created = g.today - 40 * 365
    x = rnd() * 100.0  # choices((1, 2, 3), (70, 22, 8))[0]
    n_current = 1 if x < 70 else 2 if x < 92 else 3
    natures = [101] * n_current + [n for n, share in tables.PM_NATURES if rnd() < share]
    n_pps = len(pps)
    for nature in natures:
        cpt = g.open_account(nature, created)
        g.grant(cpt, pm.id, codes.DROIT_TITULAIRE)
        if pm.entrepreneur and nature == 101 and rnd() < 0.5:
            g.grant(cpt, pm.entrepreneur, codes.DROIT_ETCI_EI)
        if nature == 101 and rnd() < 0.4:
            g.grant(cpt, pps[rb(n_pps)].id, codes.DROIT_MANDATAIRE, adresse=False)
        if nature == 101 and not pm.entrepreneur and pm.categorie_juridique[:1] == "5":
            for _ in range(1 if rnd() * 100.0 < 75 else 2):  # choices((1, 2), (75, 25))[0]
                g.grant(cpt, pps[rb(n_pps)].id, codes.DROIT_BENEFICIAIRE_EFFECTIF)
