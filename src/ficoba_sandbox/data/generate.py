"""Seeded generation of the fictitious file (ISSUE 3 §1).

One `random.Random(seed)` drives everything; Faker fr_FR contributes its word lists (names),
drawn with that RNG (one Faker call per field would be far too slow, and Faker's own RNG is not
needed). Nothing iterates a set or a hash-ordered dict of strings while drawing, so the result is
the same under any PYTHONHASHSEED. "Today" for the data is fixed (`REFERENCE_DATE`), never the
clock, so the dataset does not drift with time.

Proportions (documented in docs/data.md, checked by `data stats`):
* legal entities: size // 5, 10 % entrepreneurs individuels linked to a natural person;
* natural persons: 3 % deceased, 4 % born abroad (some with incomplete birth dates),
  2 % non-resident; ~15 % of current accounts joint, 5 % with a procuration;
* multi-holding: 1 % of Livret A holders hold a second Livret A or bleu at another bank, 3 % of
  LEP holders a second LEP;
* 8 % of accounts closed; all 25 natures of Annex 1 present.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ficoba_sandbox.data import reserved
from ficoba_sandbox.data.banks import BANQUES
from ficoba_sandbox.data.model import (
    Adresse,
    Banque,
    Compte,
    Droit,
    Guichet,
    PersonneMorale,
    PersonnePhysique,
)
from ficoba_sandbox.domain import codes, identifiers, insee
from ficoba_sandbox.domain.normalize import label_upper, normalize_text

REFERENCE_DATE = dt.date(2025, 10, 15)  # protocol v11 date: the data's "today"
_EPOCH = dt.date(1970, 1, 1).toordinal()

# Natures for natural persons: (code, probability per person). Rare natures keep small shares
# so that every one of the 25 appears in a default dataset.
_PP_NATURES: tuple[tuple[int, float], ...] = (
    (201, 0.62),
    (202, 0.05),
    (203, 0.01),
    (204, 0.04),
    (205, 0.40),
    (206, 0.10),
    (208, 0.004),
    (209, 0.15),
    (210, 0.08),
    (211, 0.006),
    (212, 0.10),
    (213, 0.07),
    (214, 0.015),
    (215, 0.04),
    (216, 0.20),
    (217, 0.01),
    (300, 0.02),
    (401, 0.09),
    (500, 0.02),
    (900, 0.01),
    (103, 0.03),
    (104, 0.01),
)
_PM_NATURES: tuple[tuple[int, float], ...] = (
    (207, 0.02),
    (216, 0.08),
    (300, 0.10),
    (401, 0.06),
    (500, 0.03),
    (900, 0.02),
    (103, 0.05),
)
_CATEGORIES: tuple[tuple[str, int], ...] = (
    ("5710", 26),
    ("5499", 18),
    ("5720", 8),
    ("6540", 12),
    ("9220", 9),
    ("5599", 3),
    ("5498", 5),
    ("5202", 1),
    ("6599", 2),
    ("6589", 1),
    ("9110", 3),
    ("5485", 1),
    ("5520", 1),
    ("7210", 1),
    ("6220", 1),
    ("5800", 1),
)
_BIG_COMMUNES = [
    "75101",
    "75104",
    "75108",
    "75111",
    "75112",
    "75113",
    "75115",
    "75116",
    "75117",
    "75118",
    "75119",
    "75120",
    "13055",
    "69123",
    "31555",
    "06088",
    "44109",
    "67482",
    "34172",
    "33063",
    "59350",
    "35238",
    "51454",
    "76351",
    "42218",
    "83137",
    "49007",
    "38185",
    "21231",
    "37261",
    "92050",
    "93066",
    "94028",
    "78646",
    "95127",
    "91228",
    "77288",
    "97411",
    "97209",
    "97101",
    "2A004",
    "2B033",
]
_VOIES = (("RUE", 45), ("AV", 15), ("BD", 8), ("CHE", 8), ("PL", 4), ("IMP", 5), ("ALL", 5))
_VOIES += (("RTE", 4), ("QUAI", 2), ("LOT", 2), ("RES", 2), ("SQ", 1), ("CRS", 1), ("PAS", 1))
_STREET_WORDS = (
    "DE LA PAIX",
    "DE LA REPUBLIQUE",
    "VICTOR HUGO",
    "JEAN JAURES",
    "DU GENERAL DE GAULLE",
    "PASTEUR",
    "DE LA GARE",
    "DES LILAS",
    "DU MOULIN",
    "DE L EGLISE",
    "DES ECOLES",
    "GAMBETTA",
    "JULES FERRY",
    "DU 8 MAI 1945",
    "DES TILLEULS",
    "DE VERDUN",
    "CARNOT",
    "DU STADE",
    "DES ACACIAS",
    "DE LA LIBERATION",
    "ARISTIDE BRIAND",
    "DU CHATEAU",
    "DES PEUPLIERS",
    "FOCH",
    "EMILE ZOLA",
)
_FOREIGN_COUNTRIES = (
    "99109",
    "99134",
    "99127",
    "99131",
    "99139",
    "99132",
    "99350",
    "99352",
    "99351",
)
_COMPANY_WORDS = (
    "TRANSPORTS",
    "BOULANGERIE",
    "GARAGE",
    "IMMOBILIERE",
    "CONSEIL",
    "BATIMENT",
    "RESTAURANT",
    "PHARMACIE",
    "INFORMATIQUE",
    "DISTRIBUTION",
    "NEGOCE",
    "ATELIER",
    "AGENCE",
    "SERVICES",
    "INDUSTRIES",
    "MENUISERIE",
    "PLOMBERIE",
    "CABINET",
    "HOLDING",
    "FINANCES",
)


def _faker_pools() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    # Faker's fr_FR word lists (tuples, stable order). Import here: only generation needs Faker.
    from faker.providers.person.fr_FR import Provider

    last = tuple(label_upper(n) for n in Provider.last_names)
    male = tuple(label_upper(n) for n in Provider.first_names_male)
    female = tuple(label_upper(n) for n in Provider.first_names_female)
    return last, male, female


def _date_str(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


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


class _Gen:
    def __init__(self, seed: int, taken: Taken) -> None:
        self.r = random.Random(seed)
        self.taken = taken
        self.last, self.male, self.female = _faker_pools()
        self.today = REFERENCE_DATE.toordinal()
        communes = insee.all_communes()
        # Sorted codes: stable order whatever the hash seed.
        self.communes = [
            c for code, c in sorted(communes.items()) if not c.historique and c.codes_postaux
        ]
        self.communes = [
            c
            for c in self.communes
            if not c.nom.endswith("Arrondissement") or c.code in _BIG_COMMUNES
        ]
        self.big = [communes[c] for c in _BIG_COMMUNES if c in communes]
        self.voies = [v for v, _ in _VOIES]
        self.voie_w = [w for _, w in _VOIES]
        self.banques = [Banque(c, n, b) for c, n, b, _ in BANQUES]
        self.banque_w = [w for *_, w in BANQUES]
        self.guichets: dict[str, list[Guichet]] = {}
        self.comptes: list[Compte] = []
        self.droits: list[Droit] = []

    # ------------------------------------------------------------ helpers

    def commune(self) -> insee.Commune:
        return self.r.choice(self.big) if self.r.random() < 0.35 else self.r.choice(self.communes)

    def adresse(self, foreign: bool = False) -> Adresse:
        r = self.r
        if foreign:
            pays = r.choice(_FOREIGN_COUNTRIES)
            return Adresse(
                codePaysResidence=pays,
                libellePaysResidence=insee.libelle_pays_ficoba(pays) or "",
                numeroVoie=str(r.randint(1, 200)),
                libelleVoie=r.choice(self.last),
                indicateurCodifAdresse="ADRESSEETRANGERE",
            )
        c = self.commune()
        dep = c.code_departement
        return Adresse(
            codePaysResidence=insee.PAYS_FRANCE,
            libellePaysResidence="FRANCE",
            codeDepartementResidence=dep,
            libelleDepartementResidence=insee.libelle_departement_ficoba(dep) or "",
            codeCommuneResidence=c.code_commune,
            libelleCommuneResidence=insee.libelle_commune_ficoba(c),
            numeroVoie=str(r.randint(1, 150)) if r.random() < 0.92 else "",
            indiceRepetition="B" if r.random() < 0.03 else "",
            codeNatureVoie=r.choices(self.voies, self.voie_w)[0],
            libelleVoie=r.choice(_STREET_WORDS) if r.random() < 0.6 else r.choice(self.last),
            libelleComplAdr="APPARTEMENT " + str(r.randint(1, 60)) if r.random() < 0.1 else "",
            codePostal=r.choice(c.codes_postaux),
            indicateurCodifAdresse="ADRESSECODIFIEE",
        )

    def spi(self) -> str:
        while True:
            first10 = (
                self.r.choice(reserved.GENERATED_SPI_FIRST_DIGITS)
                + f"{self.r.randrange(10**9):09d}"
            )
            spi = identifiers.make_spi(first10)
            if spi not in self.taken.spis:
                self.taken.spis.add(spi)
                return spi

    def siren(self) -> str:
        while True:
            body = (
                self.r.choice(reserved.GENERATED_SIREN_FIRST_DIGITS)
                + f"{self.r.randrange(10**7):07d}"
            )
            siren = identifiers.make_siren(body)
            if siren not in self.taken.sirens and siren != "356000000":
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

    def guichets_of(self, banque: Banque, n: int) -> list[Guichet]:
        found = self.guichets.get(banque.numeroEtablissement)
        if found is None:
            found = []
            used: set[str] = set()
            while len(found) < n:
                code = f"{self.r.randrange(1, 9999):05d}"
                key = (banque.numeroEtablissement, code)
                if (
                    code in used
                    or key in self.taken.guichets
                    or code == reserved.MAGIC_GUICHET_CODE
                ):
                    continue
                used.add(code)
                c = self.commune()
                ville = insee.libelle_commune_ficoba(c)
                found.append(
                    Guichet(
                        numeroEtablissement=banque.numeroEtablissement,
                        numeroGuichet=code,
                        libelleGuichet=f"AG {ville}"[:50],
                        libAdr2=f"{self.r.randint(1, 120)} {self.r.choice(('R', 'AV', 'BD', 'PL'))} {self.r.choice(_STREET_WORDS)}",
                        libAdr3=f"BP {self.r.randint(1, 400)}" if self.r.random() < 0.15 else "",
                        libAdr4=f"{self.r.choice(c.codes_postaux)} {ville}",
                    )
                )
            self.guichets[banque.numeroEtablissement] = found
        return found

    def ouvrir(
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
        r = self.r
        if banque is None:
            banque = r.choices(self.banques, self.banque_w)[0]
        if nature == 102:
            banque = self.banques[3]  # compte chèque postal: La Banque Postale
        guichet = r.choice(self.guichets_of(banque, self.n_guichets))
        while True:
            account = f"{r.randrange(10**11):011d}"
            iban = identifiers.build_fr_iban(
                banque.numeroEtablissement, guichet.numeroGuichet, account
            )
            if iban not in self.taken.ibans:
                self.taken.ibans.add(iban)
                break
        start = max(after, self.today - 45 * 365)
        opened = r.randint(min(start, self.today - 30), self.today - 30)
        closed = ""
        if r.random() < closed_share:
            closed = _date_str(r.randint(opened + 1, self.today - 1))
        if motif is None:
            x = r.random()
            motif = "0" if x < 0.9 else "1" if x < 0.97 else "2" if x < 0.99 else "3"
        compte = Compte(
            iban=iban,
            dateOuverture=_date_str(opened),
            codeNature=nature,
            codeType=type_,
            numeroEtablissement=banque.numeroEtablissement,
            numeroGuichet=guichet.numeroGuichet,
            codeMotifOuverture=motif,
            dateCloture=closed,
            codeCaracteristique=2 if nature == 101 and r.random() < 0.3 else 1,
            resident=resident,
            codeDevise="EUR" if r.random() < 0.995 else r.choice(("USD", "CHF", "GBP")),
        )
        self.comptes.append(compte)
        return compte

    def droit(self, compte: Compte, personne: str, code: str, *, adresse: bool = True) -> None:
        r = self.r
        debut = dt.date.fromisoformat(compte.dateOuverture).toordinal()
        if code != codes.DROIT_TITULAIRE:
            debut = r.randint(debut, max(debut, self.today - 10))
        fin = ""
        if compte.dateCloture:
            fin = compte.dateCloture
        elif code in (codes.DROIT_PROCURATION, codes.DROIT_MANDATAIRE) and r.random() < 0.15:
            fin = _date_str(r.randint(debut, self.today - 1))
        maj = (
            _date_str(r.randint(debut, self.today - 1))
            if debut < self.today - 1
            else _date_str(debut)
        )
        self.droits.append(
            Droit(
                iban=compte.iban,
                personne=personne,
                droitSurCompte=code,
                dateDebutDroit=_date_str(debut),
                dateFinDroit=fin,
                dateMaj=max(maj, fin) if fin else maj,
                avecAdresse=adresse,
            )
        )

    # ------------------------------------------------------------ persons

    def personne_physique(self) -> PersonnePhysique:
        r = self.r
        sexe = "1" if r.random() < 0.49 else "2"
        nom = r.choice(self.last)
        pool = self.male if sexe == "1" else self.female
        n_prenoms = r.choices((1, 2, 3), (55, 35, 10))[0]
        prenoms = " ".join(dict.fromkeys(r.choice(pool) for _ in range(n_prenoms)))
        nom_usage = ""
        if sexe == "2" and r.random() < 0.35:
            nom_usage = r.choice(self.last)
        born = r.randint(self.today - 95 * 365, self.today - 16 * 365)
        d = dt.date.fromordinal(born)
        annee, mois, jour = str(d.year), str(d.month), str(d.day)
        abroad = r.random() < 0.04
        if abroad:
            pays = r.choice(_FOREIGN_COUNTRIES)
            if r.random() < 0.3:  # protocol: incomplete dates for people born abroad
                jour = ""
                if r.random() < 0.5:
                    mois = ""
            place = dict(
                codePaysNaissance=pays,
                libellePaysNaissance=insee.libelle_pays_ficoba(pays) or "",
            )
        else:
            c = self.commune()
            dep = c.code_departement
            place = dict(
                codePaysNaissance=insee.PAYS_FRANCE,
                libellePaysNaissance="FRANCE",
                codeDepartementNaissance=dep,
                libelleDepartementNaissance=insee.libelle_departement_ficoba(dep) or "",
                codeCommuneNaissance=c.code_commune,
                libelleCommuneNaissance=insee.libelle_commune_ficoba(c),
            )
        deces = ""
        if r.random() < 0.03:
            lo = min(max(born + 18 * 365, self.today - 8 * 365), self.today - 31)
            deces = _date_str(r.randint(lo, self.today - 30))
        spi = self.spi()
        return PersonnePhysique(
            id=f"pp:{spi}",
            nomNaissance=nom,
            nomUsage=nom_usage,
            prenoms=prenoms,
            sexe=sexe,
            anneeNaissance=annee,
            moisNaissance=mois,
            jourNaissance=jour,
            dateDeces=deces,
            numeroSpi=spi,
            adresse=self.adresse(foreign=r.random() < 0.02),
            **place,
        )


def generate(seed: int, size: int, taken: Taken) -> Generated:
    """The generated part of the file for (seed, size): `size` natural persons, size // 5 legal
    entities, their accounts and rights. Identifiers in `taken` are never emitted."""
    g = _Gen(seed, taken)
    r = g.r
    g.n_guichets = max(4, min(60, size // 400))
    pps: list[PersonnePhysique] = [g.personne_physique() for _ in range(size)]

    def born(pp: PersonnePhysique) -> int:
        return dt.date(
            int(pp.anneeNaissance), int(pp.moisNaissance or 1), int(pp.jourNaissance or 1)
        ).toordinal()

    for i, pp in enumerate(pps):
        adult = born(pp) + 18 * 365
        resident = "1" if pp.adresse and pp.adresse.codePaysResidence != insee.PAYS_FRANCE else "0"
        home = r.choices(g.banques, g.banque_w)[0]
        dead = bool(pp.dateDeces)
        # current account (most people), possibly joint (type 2), collective (3) or indivis (4)
        if r.random() < 0.93:
            x = r.random()
            type_ = 2 if x < 0.15 else 3 if x < 0.16 else 4 if x < 0.17 else 1
            cpt = g.ouvrir(101, adult, banque=home, type_=type_, resident=resident)
            if dead:
                cpt = _succession(g, cpt)
            g.droit(cpt, pp.id, codes.DROIT_TITULAIRE)
            if type_ != 1:
                for other in r.sample(pps, 1 if type_ == 2 else 2):
                    if other.id != pp.id:
                        g.droit(cpt, other.id, codes.DROIT_TITULAIRE)
            if r.random() < 0.05:
                other = pps[r.randrange(size)]
                if other.id != pp.id:
                    g.droit(cpt, other.id, codes.DROIT_PROCURATION, adresse=False)
        if r.random() < 0.01:
            g.droit(g.ouvrir(102, adult, resident=resident), pp.id, codes.DROIT_TITULAIRE)
        for nature, share in _PP_NATURES:
            if r.random() >= share:
                continue
            if nature == 204 and born(pp) < g.today - 26 * 365:
                continue  # livret jeune: 12-25 year olds
            cpt = g.ouvrir(
                nature, adult, banque=home if r.random() < 0.7 else None, resident=resident
            )
            if dead and r.random() < 0.5:
                cpt = _succession(g, cpt)
            g.droit(cpt, pp.id, codes.DROIT_TITULAIRE)
            # Multi-holding of regulated savings (documented share): a second booklet elsewhere.
            if nature in (201, 206) and r.random() < (0.01 if nature == 201 else 0.03):
                other_banks = [
                    b for b in g.banques if b.numeroEtablissement != cpt.numeroEtablissement
                ]
                second = 202 if nature == 201 and r.random() < 0.3 else nature
                dup = g.ouvrir(second, adult, banque=r.choice(other_banks), closed_share=0.0)
                g.droit(dup, pp.id, codes.DROIT_TITULAIRE)
        # Heirs: accounts opened following an estate (motifs 2 and 3).
        if dead and i + 1 < size and r.random() < 0.5:
            heir = pps[i + 1]
            motif = "2" if r.random() < 0.6 else "3"
            g.droit(
                g.ouvrir(101, adult, motif=motif, closed_share=0.0), heir.id, codes.DROIT_TITULAIRE
            )

    pms = _legal_entities(g, pps, size)
    banques = sorted({c.numeroEtablissement for c in g.comptes})
    banks = [b for b in g.banques if b.numeroEtablissement in banques]
    guichets = [gu for code in sorted(g.guichets) for gu in g.guichets[code]]
    return Generated(banks, guichets, pps, pms, g.comptes, g.droits)


def _succession(g: _Gen, compte: Compte) -> Compte:
    """The account of a deceased holder: under estate settlement (succession "1") or closed."""
    from dataclasses import replace

    g.comptes.pop()
    if g.r.random() < 0.6:
        compte = replace(compte, succession="1", dateCloture="")
    g.comptes.append(compte)
    return compte


def _legal_entities(g: _Gen, pps: Sequence[PersonnePhysique], size: int) -> list[PersonneMorale]:
    r = g.r
    out: list[PersonneMorale] = []
    cats = [c for c, _ in _CATEGORIES]
    weights = [w for _, w in _CATEGORIES]
    for _ in range(size // 5):
        ei = r.random() < 0.10
        cat = codes.CATEGORIE_ENTREPRENEUR_INDIVIDUEL if ei else r.choices(cats, weights)[0]
        siren = g.siren()
        entrepreneur = ""
        sigle = enseigne = numero_rna = numero_copro = numero_lei = ""
        type_rep = "SIRENE"
        if ei:
            owner = pps[r.randrange(len(pps))]
            entrepreneur = owner.id
            raison = f"{owner.nomNaissance} {owner.prenoms.split()[0]}"
            if r.random() < 0.4:
                enseigne = f"{r.choice(_COMPANY_WORDS)} {owner.nomNaissance}"
        elif cat.startswith("92"):
            raison = f"ASSOCIATION {r.choice(_COMPANY_WORDS)} {r.choice(g.last)}"
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
            raison = f"{r.choice(_COMPANY_WORDS)} {r.choice(g.last)}"
            if r.random() < 0.3:
                sigle = "".join(w[0] for w in raison.split()) + r.choice(("", "F", "G", "SA"))
            if r.random() < 0.2:
                enseigne = f"{r.choice(_COMPANY_WORDS)} {r.choice(g.last)}"
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
                raisonSociale=normalize_text(raison) if not ei else raison,
                sigle=sigle,
                enseigne=enseigne,
                siren=siren,
                siret=siret,
                categorieJuridique=cat,
                typeRepertoire=type_rep,
                numeroRna=numero_rna,
                numeroCopro=numero_copro,
                numeroLei=numero_lei,
                adresse=g.adresse(),
                entrepreneur=entrepreneur,
            )
            out.append(pm)
            _accounts_of_pm(g, pm, pps)
    return out


def _accounts_of_pm(g: _Gen, pm: PersonneMorale, pps: Sequence[PersonnePhysique]) -> None:
    r = g.r
    created = g.today - 40 * 365
    n_current = r.choices((1, 2, 3), (70, 22, 8))[0]
    natures = [101] * n_current + [n for n, share in _PM_NATURES if r.random() < share]
    for nature in natures:
        cpt = g.ouvrir(nature, created)
        g.droit(cpt, pm.id, codes.DROIT_TITULAIRE)
        if pm.entrepreneur and nature == 101 and r.random() < 0.5:
            g.droit(cpt, pm.entrepreneur, codes.DROIT_ETCI_EI)
        if nature == 101 and r.random() < 0.4:
            g.droit(cpt, pps[r.randrange(len(pps))].id, codes.DROIT_MANDATAIRE, adresse=False)
        if nature == 101 and not pm.entrepreneur and pm.categorieJuridique[:1] == "5":
            for _ in range(r.choices((1, 2), (75, 25))[0]):
                g.droit(cpt, pps[r.randrange(len(pps))].id, codes.DROIT_BENEFICIAIRE_EFFECTIF)
