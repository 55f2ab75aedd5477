"""The backend's checks on a parsed request: requester and motif, then the search-type rules.

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
COMMUNES_EXEMPLES_PROTOCOLE: frozenset[tuple[str, str]] = frozenset({("75", "100")})


def exiger(valeur: str, attribut: str) -> None:
    if not valeur:
        raise FicobaError("CAF001", attribut)


def forme(valeur: str, motif: re.Pattern[str], attribut: str) -> None:
    if valeur and not motif.match(valeur):
        raise FicobaError("CAF002", attribut)


def longueur(valeur: str, maximum: int, attribut: str) -> None:
    if len(valeur) > maximum:
        raise FicobaError("CAF002", attribut)


def selection(*indicateurs: tuple[str, str]) -> None:
    for valeur, attribut in indicateurs:
        exiger(valeur, attribut)
        if valeur not in ("0", "1"):
            raise FicobaError("CAF002", attribut)


# --- search type -------------------------------------------------------------------------------


def type_de_recherche(demande: Demande) -> SearchType:
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


def motif_canonique(motif: str) -> str:
    """The examples write the same motif with 3 or 4 digits ("021" / "0021", "100" / "0100",
    "003" / "0003"): motifs are compared on 4 digits."""
    return motif.zfill(4)


def verifier_appelant(demande: Demande, caller: Caller, type_recherche: SearchType) -> None:
    """CAF030 (requester), CAF003 (motif), CAF031 (motif not allowed for this type), in this
    order (CONTRACT §6.4)."""
    env = demande.enveloppe
    sirens = set(caller.sirens) | {s[:9] for s in caller.sirets}
    if env.siret_demandeur and env.siret_demandeur not in caller.sirets:
        raise FicobaError("CAF030")
    if env.siren_demandeur and env.siren_demandeur not in sirens:
        raise FicobaError("CAF030")
    motifs = {motif_canonique(m): types for m, types in caller.motifs.items()}
    autorises = motifs.get(motif_canonique(env.motif))
    if autorises is None:
        raise FicobaError("CAF003")
    if type_recherche not in autorises:
        raise FicobaError("CAF031")


def date_demande(valeur: str) -> date:
    """`dateDemande` "AAAA-MM-JJ"; the examples also send date-times ("2024-02-08T10:00:00.000Z",
    "2024-05-16 T10:00:00.000Z", "2024-11-19T10:38:32.83"): the date part is read."""
    m = _DATE_DEMANDE.match(valeur)
    if not m:
        raise FicobaError("CAF002", "dateDemande")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise FicobaError("CAF002", "dateDemande") from None


def verifier_date_demande(valeur: str, aujourd_hui: date) -> None:
    """CAF033's "date de la recherche" is read as `dateDemande`: applied to birth dates it would
    refuse the protocol's own perPhy example (born 1911). `dateDemande` more than 10 years
    before today -> CAF033; after today -> CAF024. See docs/contract-choices.md."""
    jour = date_demande(valeur)
    if jour > aujourd_hui:
        raise FicobaError("CAF024")
    if jour < _moins_ans(aujourd_hui, 10):
        raise FicobaError("CAF033")


def _moins_ans(jour: date, ans: int) -> date:
    try:
        return jour.replace(year=jour.year - ans)
    except ValueError:  # 29 February
        return jour.replace(year=jour.year - ans, day=28)


# --- identifiers -------------------------------------------------------------------------------


_BLANCS = re.compile(r"\s+")


def iban_normalise(iban: str) -> str:
    return _BLANCS.sub("", iban).upper()


@functools.lru_cache(maxsize=4096)
def _iban_conforme(valeur: str, fc: bool) -> bool:
    """Format and mod-97 key of a normalised IBAN (a pure function: cached)."""
    motif = _IBAN_FR_FC if fc else _IBAN_FR
    return bool(motif.match(valeur)) and is_valid_iban(valeur)


def verifier_iban(iban: str, *, fc: bool) -> str:
    exiger(iban, "iban")
    valeur = iban_normalise(iban)
    # The mod-97 check digits are part of the IBAN's format: a wrong key is CAF002, not a miss.
    if not _iban_conforme(valeur, fc):
        raise FicobaError("CAF002", "iban")
    return valeur


def verifier_spi(spi: str, connu: bool) -> None:
    """CAF004 "Spi avec – ou + de 13 caractères", CAF005 "Spi ne commence pas par 0-1-2-3"
    (Annex 9). The protocol's examples use 10-digit SPIs (1489335901): a SPI the file knows is
    let through whatever its length (CONTRACT §9 #11)."""
    exiger(spi, "numeroSPI")
    if connu:
        return
    if not _DIGITS.match(spi):
        raise FicobaError("CAF002", "numeroSPI")
    if len(spi) != 13:
        raise FicobaError("CAF004")
    if spi[0] not in "0123":
        raise FicobaError("CAF005")


def verifier_siret_siren(ident: SiretSiren) -> None:
    if ident.siret and ident.siren:
        raise FicobaError("CAF010")
    if not ident.siret and not ident.siren:
        raise FicobaError("CAF001", "siret")
    if ident.siret and not re.fullmatch(r"\d{14}", ident.siret):
        raise FicobaError("CAF002", "siret")
    if ident.siren and not re.fullmatch(r"\d{9}", ident.siren):
        raise FicobaError("CAF002", "siren")


# --- civil status ------------------------------------------------------------------------------


def _nombre(valeur: str, chiffres: tuple[int, int], borne: tuple[int, int], attribut: str) -> int:
    if not valeur:
        return 0
    if not _DIGITS.match(valeur) or not chiffres[0] <= len(valeur) <= chiffres[1]:
        raise FicobaError("CAF002", attribut)
    n = int(valeur)
    if not borne[0] <= n <= borne[1]:
        raise FicobaError("CAF002", attribut)
    return n


def _annee(valeur: str, attribut: str) -> int:
    return _nombre(valeur, (4, 4), (1, 9999), attribut)


def _mois(valeur: str, attribut: str) -> int:
    return _nombre(valeur, (1, 2), (0, 12), attribut)


def _jour(valeur: str, attribut: str) -> int:
    return _nombre(valeur, (1, 2), (0, 31), attribut)


def _borne(annee: int, mois: int, jour: int, *, fin: bool, attribut: str) -> date:
    """A bound of a birth-date search; unknown month/day widen it (00 = unknown, Annex 10)."""
    if not mois:
        return date(annee, 12, 31) if fin else date(annee, 1, 1)
    if not jour:
        return date(annee, mois, calendar.monthrange(annee, mois)[1] if fin else 1)
    try:
        return date(annee, mois, jour)
    except ValueError:
        raise FicobaError("CAF002", attribut) from None


def verifier_noms(ec: EtatCivil, *, prenoms_obligatoires: bool, max_prenoms: int) -> None:
    exiger(ec.nom, "nom")
    longueur(ec.nom, 80, "nom")
    if not normalize_text(ec.nom):
        raise FicobaError("CAF002", "nom")
    if prenoms_obligatoires:
        exiger(ec.prenoms, "prenoms")
    longueur(ec.prenoms, max_prenoms, "prenoms")
    if ec.sexe and ec.sexe not in codes.SEXES:
        raise FicobaError("CAF002", "sexe")


def dates_naissance(ec: EtatCivil, aujourd_hui: date, *, intervalle: bool) -> tuple[date, date]:
    """The birth-date window searched, after CAF001/CAF002/CAF012/CAF024/CAF032."""
    exacte = any((ec.annee, ec.mois, ec.jour))
    par_intervalle = intervalle and any(
        (ec.annee_debut, ec.mois_debut, ec.jour_debut, ec.annee_fin, ec.mois_fin, ec.jour_fin)
    )
    if exacte and par_intervalle:
        # Annex 9 lists CAF012 with HTTP 200; we answer 400 (domain/errors.py): the request
        # contradicts itself and nothing was searched. See docs/contract-choices.md.
        raise FicobaError("CAF012")
    if par_intervalle:
        exiger(ec.annee_debut, "anneeNaissanceDebut")
        exiger(ec.annee_fin, "anneeNaissanceFin")
        a1 = _annee(ec.annee_debut, "anneeNaissanceDebut")
        m1 = _mois(ec.mois_debut, "moisNaissanceDebut")
        j1 = _jour(ec.jour_debut, "jourNaissanceDebut")
        a2 = _annee(ec.annee_fin, "anneeNaissanceFin")
        m2 = _mois(ec.mois_fin, "moisNaissanceFin")
        j2 = _jour(ec.jour_fin, "jourNaissanceFin")
        debut = _borne(a1, m1, j1, fin=False, attribut="jourNaissanceDebut")
        fin = _borne(a2, m2, j2, fin=True, attribut="jourNaissanceFin")
        if debut > aujourd_hui or _borne(a2, m2, j2, fin=False, attribut="jourNaissanceFin") > (
            aujourd_hui
        ):
            raise FicobaError("CAF024")
        if debut > fin:
            raise FicobaError("CAF002", "anneeNaissanceFin")
        # "L'intervalle de date de la demande ne peut être supérieur à 1 an."
        if fin > _plus_un_an(debut):
            raise FicobaError("CAF032")
        return debut, fin
    exiger(ec.annee, "anneeNaissance")
    a = _annee(ec.annee, "anneeNaissance")
    m = _mois(ec.mois, "moisNaissance")
    j = _jour(ec.jour, "jourNaissance")
    if j and not m:
        raise FicobaError("CAF001", "moisNaissance")
    debut = _borne(a, m, j, fin=False, attribut="jourNaissance")
    if debut > aujourd_hui:
        raise FicobaError("CAF024")
    return debut, _borne(a, m, j, fin=True, attribut="jourNaissance")


def _plus_un_an(jour: date) -> date:
    try:
        return jour.replace(year=jour.year + 1)
    except ValueError:
        return jour.replace(year=jour.year + 1, month=3, day=1)


def verifier_lieu_naissance(
    lieu: LieuNaissance, *, obligatoire: bool, france_complet: bool
) -> None:
    """CAF001/CAF002, CAF038 (country), CAF039 (commune) against the INSEE reference."""
    if lieu.vide() and not obligatoire:
        return
    exiger(lieu.code_pays, "codePaysNaissance")
    forme(lieu.code_pays, re.compile(r"^\d{5}$"), "codePaysNaissance")
    forme(lieu.code_departement, _DEPARTEMENT, "codeDepartementNaissance")
    forme(lieu.code_commune, _COMMUNE, "codeCommuneNaissance")
    if insee.pays(lieu.code_pays) is None:
        raise FicobaError("CAF038")
    if france_complet and lieu.code_pays == insee.PAYS_FRANCE:
        # multiDet PP (§8.3.2): born in France -> département and commune required.
        exiger(lieu.code_departement, "codeDepartementNaissance")
        exiger(lieu.code_commune, "codeCommuneNaissance")
    if lieu.code_commune:
        exiger(lieu.code_departement, "codeDepartementNaissance")
        if (
            insee.commune(lieu.code_departement, lieu.code_commune) is None
            and (lieu.code_departement, lieu.code_commune) not in COMMUNES_EXEMPLES_PROTOCOLE
        ):
            raise FicobaError("CAF039")


def verifier_date_complete_france(ec: EtatCivil, lieu: LieuNaissance) -> None:
    """CAF035 "Date naissance incomplète pour une personne née en France" (Annex 9: "Si
    personne née en France ou dom"): an exact search for someone born in France (99100) needs
    month and day."""
    if lieu.code_pays != insee.PAYS_FRANCE or not ec.annee:
        return
    if not ec.mois or not ec.jour or int(ec.mois or 0) == 0 or int(ec.jour or 0) == 0:
        raise FicobaError("CAF035")


def verifier_domiciliation(
    dom: Domiciliation, *, france_seulement: bool, obligatoire: bool = False
) -> None:
    """perPhy/perPro: only a French address (CAF027 country not 99100, CAF016 foreign address
    elements); multiDet PM: any country, département + commune required in France.
    CAF040/CAF041 against the INSEE reference."""
    if dom.vide() and not obligatoire:
        return
    exiger(dom.code_pays, "codePays")
    forme(dom.code_pays, re.compile(r"^\d{5}$"), "codePays")
    forme(dom.code_departement, _DEPARTEMENT, "codeDepartement")
    forme(dom.code_commune, _COMMUNE, "codeCommune")
    forme(dom.code_postal, re.compile(r"^\d{5}$"), "codePostal")
    longueur(dom.numero_voie, 4, "numeroVoie")
    longueur(dom.indice_repetition, 1, "indiceRepetition")
    longueur(dom.libelle_voie, 80, "libelleVoie")
    if dom.code_nature_voie and dom.code_nature_voie.upper() not in codes.NATURES_VOIE:
        raise FicobaError("CAF002", "codeNatureVoie")
    if insee.pays(dom.code_pays) is None:
        raise FicobaError("CAF040")
    if france_seulement and dom.code_pays != insee.PAYS_FRANCE:
        # Two codes for one rule: a foreign address with address lines -> CAF016 ("Il ne peut
        # être renseigné qu'une adresse en France"); a bare foreign country -> CAF027.
        raise FicobaError("CAF016" if dom.elements_adresse() else "CAF027")
    if obligatoire and dom.code_pays == insee.PAYS_FRANCE:
        exiger(dom.code_departement, "codeDepartement")
        exiger(dom.code_commune, "codeCommune")
    if dom.code_commune:
        exiger(dom.code_departement, "codeDepartement")
        if dom.code_pays == insee.PAYS_FRANCE and (
            insee.commune(dom.code_departement, dom.code_commune) is None
        ):
            raise FicobaError("CAF041")


def verifier_designation(criteres: CriteresPM, *, categorie_obligatoire: bool) -> None:
    des = criteres.designation
    if not criteres.designation_fournie and des.vide():
        raise FicobaError("CAF001", "designation")
    if not (des.raison_sociale or des.sigle or des.enseigne):
        # "(au moins) une des trois rubriques raisonSociale, sigle ou enseigne doit être remplie"
        raise FicobaError("CAF001", "raisonSociale")
    longueur(des.raison_sociale, 80, "raisonSociale")
    longueur(des.sigle, 80, "sigle")
    longueur(des.enseigne, 80, "enseigne")
    if not (
        normalize_text(des.raison_sociale)
        or normalize_text(des.sigle)
        or normalize_text(des.enseigne)
    ):
        raise FicobaError("CAF002", "raisonSociale")
    if categorie_obligatoire:
        exiger(des.categorie_juridique, "codeCategorieJuridique")
    forme(des.categorie_juridique, re.compile(r"^\d{4}$"), "codeCategorieJuridique")


def coherence(choisi_vide: bool, autres_remplis: bool) -> None:
    """CAF019: the selector says one kind of holder, the data describe another (or none)."""
    if choisi_vide or autres_remplis:
        raise FicobaError("CAF019")


def verifier_pp_titulaire(
    pp: CriteresPP, aujourd_hui: date, *, multidet: bool
) -> tuple[date, date]:
    """verifIban PP (§7.3.2) and multiDet PP (§8.3.2): nom, prenoms, anneeNaissance and
    codePaysNaissance required; born in France -> full date (CAF035); multiDet also requires
    département and commune of birth for people born in France."""
    ec = pp.etat_civil
    verifier_noms(ec, prenoms_obligatoires=True, max_prenoms=80)
    verifier_lieu_naissance(pp.lieu_naissance, obligatoire=True, france_complet=multidet)
    debut, fin = dates_naissance(ec, aujourd_hui, intervalle=False)
    verifier_date_complete_france(ec, pp.lieu_naissance)
    return debut, fin


def pp_rempli(pp: CriteresPP) -> bool:
    return not pp.vide()


def pm_rempli(pm: CriteresPM) -> bool:
    return not pm.vide()


def verifier_nature_multidet(code: str) -> int:
    exiger(code, "codeNatureCompte")
    if not re.fullmatch(r"\d{3}", code):
        raise FicobaError("CAF002", "codeNatureCompte")
    nature = int(code)
    if nature not in codes.NATURES:
        raise FicobaError("CAF034")
    if nature not in codes.NATURES_REGLEMENTEES:
        raise FicobaError("CAF017")
    return nature
