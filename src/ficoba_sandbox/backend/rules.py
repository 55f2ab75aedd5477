"""The backend's rules on a read request: search type, requester and motif, then the search-type
rules.

Error details are the protocol's attribute names ("Absence du critère obligatoire : nom").
Sources: CONTRACT §3 (per-resource rules), §6.3 (codes), protocol v11 §2.3-§8.3, Annex 9, Annex 10.
Choices where the sources disagree are listed in docs/contract-choices.md and cited here.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date

from ficoba_sandbox.backend.demandes import (
    CriteresPM,
    CriteresPP,
    Demande,
    DemandeMultiDet,
    DemandeNumCpte,
    DemandePerPhy,
    DemandePerPro,
    DemandeSiretSiren,
    DemandeSpi,
    DemandeVerifIban,
    Domiciliation,
    EtatCivil,
    LieuNaissance,
    SiretSiren,
)
from ficoba_sandbox.domain import codes, insee
from ficoba_sandbox.domain.access import Caller, SearchType, search_type_of
from ficoba_sandbox.domain.errors import FicobaError
from ficoba_sandbox.domain.identifiers import is_valid_iban
from ficoba_sandbox.domain.normalize import normalize_text

_DATE_DEMANDE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:\s*T.*)?$")
_DIGITS = re.compile(r"^\d+$")
_IBAN_FR = re.compile(r"^FR\d{2}[0-9A-Z]{23}$")
# verifIban: "code pays (2c) = FR ou FC obligatoirement" (protocol §7.3.2).
_IBAN_FR_FC = re.compile(r"^F[RC]\d{2}[0-9A-Z]{23}$")
_DEPARTEMENT = re.compile(r"^(?:\d{2,3}|2[AB])$")
_COMMUNE = re.compile(r"^\d{2,3}$")

#: Birthplaces printed in the protocol's own examples that the COG does not know. Protocol §7.3.2
#: (verifIban, BLANGY NOAH) gives département 75 + commune 100, which is no INSEE commune; like
#: the 10-digit example SPIs (CONTRACT §9 #11) we let the documented example through.
PROTOCOL_EXAMPLE_COMMUNES: frozenset[tuple[str, str]] = frozenset({("75", "100")})


def require(value: str, name: str) -> None:
    if not value:
        raise FicobaError("CAF001", name)


def check_format(value: str, motif: re.Pattern[str], name: str) -> None:
    if value and not motif.match(value):
        raise FicobaError("CAF002", name)


def check_length(value: str, maximum: int, name: str) -> None:
    if len(value) > maximum:
        raise FicobaError("CAF002", name)


def check_flags(*flags: tuple[str, str]) -> None:
    for value, name in flags:
        require(value, name)
        if value not in ("0", "1"):
            raise FicobaError("CAF002", name)


# --- search type -------------------------------------------------------------------------------


def search_type(demande: Demande) -> SearchType:
    """The search type of CGU §4 (CONTRACT §1.2), from the resource and, for verifIban and
    multiDet, from the selectors. Selector conflicts are reported here (CAF018 / CAF025), before
    the rights check, since the right to check depends on the type."""
    match demande:
        case DemandeNumCpte():
            resource, selectors = "numCpte", None
        case DemandeSpi():
            resource, selectors = "spi", None
        case DemandeSiretSiren():
            resource, selectors = "siretSiren", None
        case DemandePerPhy():
            resource, selectors = "perPhy", None
        case DemandePerPro():
            resource, selectors = "perPro", None
        case DemandeVerifIban():
            resource = "verifIban"
            selectors = (demande.recherche_pp, demande.recherche_pm, demande.recherche_siren_siret)
            # "0 ou 1 un seul des trois valorisé à 1" (§7.3.2). Two at "1" -> CAF025 ("Un seul
            # booléen peut être renseigné à 1 à la fois"); all three equal (all "0" or all "1")
            # -> CAF018 ("... ne peuvent être simultanément renseignés à la même valeur").
            if selectors.count("1") == 2:
                raise FicobaError("CAF025")
        case DemandeMultiDet():
            # multiDet's own error table (§8.6) lists CAF018 and CAF019 but not CAF025.
            resource = "multiDet"
            selectors = (demande.recherche_pp, demande.recherche_pm, demande.recherche_siren_siret)
        case _:  # pragma: no cover
            raise TypeError(demande)
    found = search_type_of(resource, selectors)
    if found is None:
        raise FicobaError("CAF018")
    return found


# --- requester and motif -----------------------------------------------------------------------


def canonical_motif(motif: str) -> str:
    """The examples write the same motif with 3 or 4 digits ("021" / "0021", "100" / "0100",
    "003" / "0003"): motifs are compared on 4 digits."""
    return motif.zfill(4)


def check_requester(demande: Demande, caller: Caller, type_recherche: SearchType) -> None:
    """CAF030 (requester), CAF003 (motif), CAF031 (motif not allowed for this type), in this
    order (CONTRACT §6.4)."""
    env = demande.enveloppe
    sirens = set(caller.sirens) | {s[:9] for s in caller.sirets}
    if env.siret_demandeur and env.siret_demandeur not in caller.sirets:
        raise FicobaError("CAF030")
    if env.siren_demandeur and env.siren_demandeur not in sirens:
        raise FicobaError("CAF030")
    motifs = {canonical_motif(month): types for month, types in caller.motifs.items()}
    allowed = motifs.get(canonical_motif(env.motif))
    if allowed is None:
        raise FicobaError("CAF003")
    if type_recherche not in allowed:
        raise FicobaError("CAF031")


def parse_date_demande(value: str) -> date:
    """`dateDemande` "AAAA-MM-JJ"; the examples also send date-times ("2024-02-08T10:00:00.000Z",
    "2024-05-16 T10:00:00.000Z", "2024-11-19T10:38:32.83"): the date part is read."""
    month = _DATE_DEMANDE.match(value)
    if not month:
        raise FicobaError("CAF002", "dateDemande")
    try:
        return date(int(month[1]), int(month[2]), int(month[3]))
    except ValueError:
        raise FicobaError("CAF002", "dateDemande") from None


def check_date_demande(value: str, today: date) -> None:
    """CAF033's "date de la recherche" is read as `dateDemande`: applied to birth dates it would
    refuse the protocol's own perPhy example (born 1911). `dateDemande` more than 10 years
    before today -> CAF033; after today -> CAF024. See docs/contract-choices.md."""
    day = parse_date_demande(value)
    if day > today:
        raise FicobaError("CAF024")
    if day < _years_before(today, 10):
        raise FicobaError("CAF033")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- identifiers -------------------------------------------------------------------------------


_BLANCS = re.compile(r"\s+")


def normalise_iban(iban: str) -> str:
    return _BLANCS.sub("", iban).upper()


@functools.lru_cache(maxsize=4096)
def _iban_well_formed(value: str, fc: bool) -> bool:
    """Format and mod-97 key of a normalised IBAN (a pure function: cached)."""
    motif = _IBAN_FR_FC if fc else _IBAN_FR
    return bool(motif.match(value)) and is_valid_iban(value)


def check_iban(iban: str, *, fc: bool) -> str:
    require(iban, "iban")
    value = normalise_iban(iban)
    # The mod-97 check digits are part of the IBAN's format: a wrong key is CAF002, not a miss.
    if not _iban_well_formed(value, fc):
        raise FicobaError("CAF002", "iban")
    return value


def check_spi(spi: str, known: bool) -> None:
    """CAF004 "Spi avec – ou + de 13 caractères", CAF005 "Spi ne commence pas par 0-1-2-3"
    (Annex 9). The protocol's examples use 10-digit SPIs (1489335901): a SPI the file knows is
    let through whatever its length (CONTRACT §9 #11)."""
    require(spi, "numeroSPI")
    if known:
        return
    if not _DIGITS.match(spi):
        raise FicobaError("CAF002", "numeroSPI")
    if len(spi) != 13:
        raise FicobaError("CAF004")
    if spi[0] not in "0123":
        raise FicobaError("CAF005")


def check_siret_siren(ident: SiretSiren) -> None:
    if ident.siret and ident.siren:
        raise FicobaError("CAF010")
    if not ident.siret and not ident.siren:
        raise FicobaError("CAF001", "siret")
    if ident.siret and not re.fullmatch(r"\d{14}", ident.siret):
        raise FicobaError("CAF002", "siret")
    if ident.siren and not re.fullmatch(r"\d{9}", ident.siren):
        raise FicobaError("CAF002", "siren")


# --- civil status ------------------------------------------------------------------------------


def _number(value: str, digits: tuple[int, int], bounds: tuple[int, int], name: str) -> int:
    if not value:
        return 0
    if not _DIGITS.match(value) or not digits[0] <= len(value) <= digits[1]:
        raise FicobaError("CAF002", name)
    n = int(value)
    if not bounds[0] <= n <= bounds[1]:
        raise FicobaError("CAF002", name)
    return n


def _year(value: str, name: str) -> int:
    return _number(value, (4, 4), (1, 9999), name)


def _month(value: str, name: str) -> int:
    return _number(value, (1, 2), (0, 12), name)


def _day(value: str, name: str) -> int:
    return _number(value, (1, 2), (0, 31), name)


def _bound(year: int, month: int, day: int, *, end: bool, name: str) -> date:
    """A bound of a birth-date search; unknown month/day widen it (00 = unknown, Annex 10)."""
    if not month:
        return date(year, 12, 31) if end else date(year, 1, 1)
    if not day:
        return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
    try:
        return date(year, month, day)
    except ValueError:
        raise FicobaError("CAF002", name) from None


def check_names(ec: EtatCivil, *, prenoms_required: bool, max_prenoms: int) -> None:
    require(ec.nom, "nom")
    check_length(ec.nom, 80, "nom")
    if not normalize_text(ec.nom):
        raise FicobaError("CAF002", "nom")
    if prenoms_required:
        require(ec.prenoms, "prenoms")
    check_length(ec.prenoms, max_prenoms, "prenoms")
    if ec.sexe and ec.sexe not in codes.SEXES:
        raise FicobaError("CAF002", "sexe")


def birth_date_window(ec: EtatCivil, today: date, *, interval: bool) -> tuple[date, date]:
    """The birth-date window searched, after CAF001/CAF002/CAF012/CAF024/CAF032."""
    exact = any((ec.annee, ec.mois, ec.jour))
    by_interval = interval and any(
        (ec.annee_debut, ec.mois_debut, ec.jour_debut, ec.annee_fin, ec.mois_fin, ec.jour_fin)
    )
    if exact and by_interval:
        # Annex 9 lists CAF012 with HTTP 200; we answer 400 (domain/errors.py): the request
        # contradicts itself and nothing was searched. See docs/contract-choices.md.
        raise FicobaError("CAF012")
    if by_interval:
        require(ec.annee_debut, "anneeNaissanceDebut")
        require(ec.annee_fin, "anneeNaissanceFin")
        y1 = _year(ec.annee_debut, "anneeNaissanceDebut")
        m1 = _month(ec.mois_debut, "moisNaissanceDebut")
        d1 = _day(ec.jour_debut, "jourNaissanceDebut")
        y2 = _year(ec.annee_fin, "anneeNaissanceFin")
        m2 = _month(ec.mois_fin, "moisNaissanceFin")
        d2 = _day(ec.jour_fin, "jourNaissanceFin")
        start = _bound(y1, m1, d1, end=False, name="jourNaissanceDebut")
        end = _bound(y2, m2, d2, end=True, name="jourNaissanceFin")
        if start > today or _bound(y2, m2, d2, end=False, name="jourNaissanceFin") > (today):
            raise FicobaError("CAF024")
        if start > end:
            raise FicobaError("CAF002", "anneeNaissanceFin")
        # "L'intervalle de date de la demande ne peut être supérieur à 1 an."
        if end > _one_year_after(start):
            raise FicobaError("CAF032")
        return start, end
    require(ec.annee, "anneeNaissance")
    year = _year(ec.annee, "anneeNaissance")
    month = _month(ec.mois, "moisNaissance")
    day = _day(ec.jour, "jourNaissance")
    if day and not month:
        raise FicobaError("CAF001", "moisNaissance")
    start = _bound(year, month, day, end=False, name="jourNaissance")
    if start > today:
        raise FicobaError("CAF024")
    return start, _bound(year, month, day, end=True, name="jourNaissance")


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, month=3, day=1)


def check_lieu_naissance(lieu: LieuNaissance, *, required: bool, full_in_france: bool) -> None:
    """CAF001/CAF002, CAF038 (country), CAF039 (commune) against the INSEE reference."""
    if lieu.vide() and not required:
        return
    require(lieu.code_pays, "codePaysNaissance")
    check_format(lieu.code_pays, re.compile(r"^\d{5}$"), "codePaysNaissance")
    check_format(lieu.code_departement, _DEPARTEMENT, "codeDepartementNaissance")
    check_format(lieu.code_commune, _COMMUNE, "codeCommuneNaissance")
    if insee.pays(lieu.code_pays) is None:
        raise FicobaError("CAF038")
    if full_in_france and lieu.code_pays == insee.PAYS_FRANCE:
        # multiDet PP (§8.3.2): born in France -> département and commune required.
        require(lieu.code_departement, "codeDepartementNaissance")
        require(lieu.code_commune, "codeCommuneNaissance")
    if lieu.code_commune:
        require(lieu.code_departement, "codeDepartementNaissance")
        if (
            insee.commune(lieu.code_departement, lieu.code_commune) is None
            and (lieu.code_departement, lieu.code_commune) not in PROTOCOL_EXAMPLE_COMMUNES
        ):
            raise FicobaError("CAF039")


def check_full_birth_date_in_france(ec: EtatCivil, lieu: LieuNaissance) -> None:
    """CAF035 "Date naissance incomplète pour une personne née en France" (Annex 9: "Si
    personne née en France ou dom"): an exact search for someone born in France (99100) needs
    month and day."""
    if lieu.code_pays != insee.PAYS_FRANCE or not ec.annee:
        return
    if not ec.mois or not ec.jour or int(ec.mois or 0) == 0 or int(ec.jour or 0) == 0:
        raise FicobaError("CAF035")


def check_domiciliation(dom: Domiciliation, *, france_only: bool, required: bool = False) -> None:
    """perPhy/perPro: only a French address (CAF027 country not 99100, CAF016 foreign address
    elements); multiDet PM: any country, département + commune required in France.
    CAF040/CAF041 against the INSEE reference."""
    if dom.vide() and not required:
        return
    require(dom.code_pays, "codePays")
    check_format(dom.code_pays, re.compile(r"^\d{5}$"), "codePays")
    check_format(dom.code_departement, _DEPARTEMENT, "codeDepartement")
    check_format(dom.code_commune, _COMMUNE, "codeCommune")
    check_format(dom.code_postal, re.compile(r"^\d{5}$"), "codePostal")
    check_length(dom.numero_voie, 4, "numeroVoie")
    check_length(dom.indice_repetition, 1, "indiceRepetition")
    check_length(dom.libelle_voie, 80, "libelleVoie")
    if dom.code_nature_voie and dom.code_nature_voie.upper() not in codes.NATURES_VOIE:
        raise FicobaError("CAF002", "codeNatureVoie")
    if insee.pays(dom.code_pays) is None:
        raise FicobaError("CAF040")
    if france_only and dom.code_pays != insee.PAYS_FRANCE:
        # Two codes for one rule: a foreign address with address lines -> CAF016 ("Il ne peut
        # être renseigné qu'une adresse en France"); a bare foreign country -> CAF027.
        raise FicobaError("CAF016" if dom.elements_adresse() else "CAF027")
    if required and dom.code_pays == insee.PAYS_FRANCE:
        require(dom.code_departement, "codeDepartement")
        require(dom.code_commune, "codeCommune")
    if dom.code_commune:
        require(dom.code_departement, "codeDepartement")
        if dom.code_pays == insee.PAYS_FRANCE and (
            insee.commune(dom.code_departement, dom.code_commune) is None
        ):
            raise FicobaError("CAF041")


def check_designation(criteres: CriteresPM, *, category_required: bool) -> None:
    designation = criteres.designation
    if not criteres.designation_fournie and designation.vide():
        raise FicobaError("CAF001", "designation")
    if not (designation.raison_sociale or designation.sigle or designation.enseigne):
        # "(au moins) une des trois rubriques raisonSociale, sigle ou enseigne doit être remplie"
        raise FicobaError("CAF001", "raisonSociale")
    check_length(designation.raison_sociale, 80, "raisonSociale")
    check_length(designation.sigle, 80, "sigle")
    check_length(designation.enseigne, 80, "enseigne")
    if not (
        normalize_text(designation.raison_sociale)
        or normalize_text(designation.sigle)
        or normalize_text(designation.enseigne)
    ):
        raise FicobaError("CAF002", "raisonSociale")
    if category_required:
        require(designation.categorie_juridique, "codeCategorieJuridique")
    check_format(designation.categorie_juridique, re.compile(r"^\d{4}$"), "codeCategorieJuridique")


def check_coherence(chosen_empty: bool, others_filled: bool) -> None:
    """CAF019: the selector says one kind of holder, the data describe another (or none)."""
    if chosen_empty or others_filled:
        raise FicobaError("CAF019")


def check_holder_pp(pp: CriteresPP, today: date, *, multidet: bool) -> tuple[date, date]:
    """verifIban PP (§7.3.2) and multiDet PP (§8.3.2): nom, prenoms, anneeNaissance and
    codePaysNaissance required; born in France -> full date (CAF035); multiDet also requires
    département and commune of birth for people born in France."""
    ec = pp.etat_civil
    check_names(ec, prenoms_required=True, max_prenoms=80)
    check_lieu_naissance(pp.lieu_naissance, required=True, full_in_france=multidet)
    start, end = birth_date_window(ec, today, interval=False)
    check_full_birth_date_in_france(ec, pp.lieu_naissance)
    return start, end


def check_nature_multidet(code: str) -> int:
    require(code, "codeNatureCompte")
    if not re.fullmatch(r"\d{3}", code):
        raise FicobaError("CAF002", "codeNatureCompte")
    nature = int(code)
    if nature not in codes.NATURES:
        raise FicobaError("CAF034")
    if nature not in codes.NATURES_REGLEMENTEES:
        raise FicobaError("CAF017")
    return nature
