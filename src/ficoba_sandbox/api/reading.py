"""Reading a raw request body into the backend's `Demande` objects, with FICOBA's error codes.

Requests are not validated by pydantic: a wrong JSON type is `CAF002` naming the attribute, a
missing mandatory field `CAF001`, a body that is not an object `CAT002` (CONTRACT §6.3). The
envelope's rules come first (CONTRACT §2.2); each resource's reader then builds its `Demande`.
Field names are the protocol's, with the aliases the sources disagree on (CONTRACT §9).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ficoba_sandbox.backend import demandes as dm
from ficoba_sandbox.domain.errors import FicobaError

Obj = dict[str, Any]


_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_DEMANDE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\s*T.*)?$")
_MOTIF = re.compile(r"\d{3,4}")
_SIRET = re.compile(r"\d{14}")
_SIREN = re.compile(r"\d{9}")


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def check_texts(value: Any, name: str = "body") -> None:
    """Lone surrogates ("\\ud800") decode as JSON but cannot be echoed in UTF-8: CAF002.

    orjson encodes a document in one C pass and refuses any lone surrogate (key or value): when
    it accepts `value`, there is none, and the walk below (a Python call per value, a fifth of
    reading a perPhy request) is skipped. When it refuses (a surrogate, or an integer beyond 64
    bits, or deep nesting), the walk decides, and names the attribute."""
    try:
        orjson.dumps(value)
        return
    except orjson.JSONEncodeError:
        pass
    _check_texts(value, name)


def _check_texts(value: Any, name: str) -> None:
    if isinstance(value, str):
        if _has_surrogate(value):
            raise FicobaError("CAF002", name)
    elif isinstance(value, dict):
        for k, v in value.items():
            if _has_surrogate(k):
                raise FicobaError("CAF002", name)
            _check_texts(v, k)
    elif isinstance(value, list):
        for v in value:
            _check_texts(v, name)


def text_field(obj: Obj | None, name: str, *aliases: str) -> str:
    """A text field: absent or null -> ""; not a string -> CAF002. Surrounding blanks kept out."""
    if obj is None:
        return ""
    v = obj.get(name, _ABSENT)  # the name first, then the aliases, in order
    if v is _ABSENT:
        for nom in aliases:
            if nom in obj:
                v = obj[nom]
                break
        else:
            return ""
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FicobaError("CAF002", name)
    return v.strip()


_ABSENT = object()


def object_field(obj: Obj | None, name: str) -> Obj | None:
    """A nested object: absent or null -> None; not an object -> CAF002."""
    if obj is None or obj.get(name) is None:
        return None
    v = obj[name]
    if not isinstance(v, dict):
        raise FicobaError("CAF002", name)
    return v


def read_envelope(body: Any) -> tuple[dm.Enveloppe, Obj]:
    """The fields common to every POST (CONTRACT §2.2): presence (CAF001) and format (CAF002)."""
    if not isinstance(body, dict):
        raise FicobaError("CAT002")
    check_texts(body)
    env = dm.Enveloppe(
        date_demande=text_field(body, "dateDemande"),
        motif=text_field(body, "motif"),
        siret_demandeur=text_field(body, "siretDemandeur"),
        siren_demandeur=text_field(body, "sirenDemandeur"),
        justification=text_field(body, "justification"),
        brut=body,
    )
    criteres = object_field(body, "criteresRecherche")
    if not env.date_demande:
        raise FicobaError("CAF001", "dateDemande")
    if not _DATE_DEMANDE.match(env.date_demande):
        raise FicobaError("CAF002", "dateDemande")
    if not env.motif:
        raise FicobaError("CAF001", "motif")
    if not _MOTIF.fullmatch(env.motif):
        raise FicobaError("CAF002", "motif")
    if not env.siret_demandeur and not env.siren_demandeur:
        raise FicobaError("CAF001", "siretDemandeur")
    if env.siret_demandeur and not _SIRET.fullmatch(env.siret_demandeur):
        raise FicobaError("CAF002", "siretDemandeur")
    if env.siren_demandeur and not _SIREN.fullmatch(env.siren_demandeur):
        raise FicobaError("CAF002", "sirenDemandeur")
    if not env.justification:
        raise FicobaError("CAF001", "justification")
    if len(env.justification) > 250:
        raise FicobaError("CAF002", "justification")
    if criteres is None:
        raise FicobaError("CAF001", "criteresRecherche")
    return env, criteres


def echo(body: Obj) -> dict[str, Any]:
    """`caracteristiquesDemande`: the five envelope fields (a missing or null one echoed as "",
    as every protocol example prints `sirenDemandeur: ""`) and `criteresRecherche` exactly as
    sent (nulls, empty strings and `{}` kept). Unknown top-level fields are not echoed."""
    out: dict[str, Any] = {}
    for nom in ("dateDemande", "motif", "siretDemandeur", "sirenDemandeur", "justification"):
        v = body.get(nom)
        out[nom] = v if isinstance(v, str) else ""
    out["criteresRecherche"] = body.get("criteresRecherche")
    return out


def _etat_civil(o: Obj | None) -> dm.EtatCivil:
    return dm.EtatCivil(
        nom=text_field(o, "nom"),
        prenoms=text_field(o, "prenoms"),
        sexe=text_field(o, "sexe"),
        annee=text_field(o, "anneeNaissance"),
        mois=text_field(o, "moisNaissance"),
        jour=text_field(o, "jourNaissance"),
        annee_debut=text_field(o, "anneeNaissanceDebut"),
        mois_debut=text_field(o, "moisNaissanceDebut"),
        jour_debut=text_field(o, "jourNaissanceDebut", "jourNaissancedebut"),
        annee_fin=text_field(o, "anneeNaissanceFin"),
        mois_fin=text_field(o, "moisNaissanceFin"),
        jour_fin=text_field(o, "jourNaissanceFin"),
    )


def _lieu_naissance(o: Obj | None) -> dm.LieuNaissance:
    return dm.LieuNaissance(
        code_pays=text_field(o, "codePaysNaissance"),
        code_departement=text_field(o, "codeDepartementNaissance"),
        code_commune=text_field(o, "codeCommuneNaissance"),
    )


def _domiciliation(o: Obj | None) -> dm.Domiciliation:
    # Short names (S2 and every example); the S1 table's long names accepted too (CONTRACT §9 #5).
    return dm.Domiciliation(
        code_pays=text_field(o, "codePays", "codePaysResidence"),
        code_departement=text_field(o, "codeDepartement", "codeDepartementResidence"),
        code_commune=text_field(o, "codeCommune", "codeCommuneResidence"),
        code_nature_voie=text_field(o, "codeNatureVoie"),
        libelle_voie=text_field(o, "libelleVoie"),
        numero_voie=text_field(o, "numeroVoie"),
        indice_repetition=text_field(o, "indiceRepetition"),
        code_postal=text_field(o, "codePostal"),
    )


def _designation(o: Obj | None) -> dm.Designation:
    # `codeCategorieJuridique` (S2, examples); `categorieJuridique` (S1 table) accepted too.
    return dm.Designation(
        raison_sociale=text_field(o, "raisonSociale"),
        sigle=text_field(o, "sigle"),
        enseigne=text_field(o, "enseigne"),
        categorie_juridique=text_field(o, "codeCategorieJuridique", "categorieJuridique"),
    )


def _pp(o: Obj | None, *, with_domiciliation: bool) -> dm.CriteresPP:
    ec = object_field(o, "etatCivil")
    return dm.CriteresPP(
        etat_civil=_etat_civil(ec),
        lieu_naissance=_lieu_naissance(object_field(o, "lieuNaissance")),
        domiciliation=_domiciliation(object_field(o, "domiciliation"))
        if with_domiciliation
        else dm.Domiciliation(),
        etat_civil_fourni=ec is not None,
    )


def _pm(o: Obj | None) -> dm.CriteresPM:
    des = object_field(o, "designation")
    return dm.CriteresPM(
        designation=_designation(des),
        domiciliation=_domiciliation(object_field(o, "domiciliation")),
        designation_fournie=des is not None,
    )


def _siret_siren(o: Obj | None) -> dm.SiretSiren:
    return dm.SiretSiren(siret=text_field(o, "siret"), siren=text_field(o, "siren"))


def read_num_cpte(body: Any) -> dm.DemandeNumCpte:
    env, c = read_envelope(body)
    return dm.DemandeNumCpte(env, text_field(c, "iban"), text_field(c, "verificationCompte"))


def read_spi(body: Any) -> dm.DemandeSpi:
    env, c = read_envelope(body)
    return dm.DemandeSpi(env, text_field(c, "numeroSPI", "numeroSpi"))


def read_siret_siren(body: Any) -> dm.DemandeSiretSiren:
    env, c = read_envelope(body)
    return dm.DemandeSiretSiren(env, _siret_siren(c))


def read_per_phy(body: Any) -> dm.DemandePerPhy:
    env, c = read_envelope(body)
    return dm.DemandePerPhy(env, _pp(c, with_domiciliation=True))


def read_per_pro(body: Any) -> dm.DemandePerPro:
    env, c = read_envelope(body)
    return dm.DemandePerPro(env, _pm(c))


def _selectors(c: Obj, *names: str) -> tuple[str, ...]:
    values = []
    for nom, *aliases in (n.split("|") for n in names):
        v = text_field(c, nom, *aliases)
        if not v:
            raise FicobaError("CAF001", nom)
        if v not in ("0", "1"):
            raise FicobaError("CAF002", nom)
        values.append(v)
    return tuple(values)


def read_verif_iban(body: Any) -> dm.DemandeVerifIban:
    env, c = read_envelope(body)
    pp, pm, ss = _selectors(
        c, "recherchePP", "recherchePM", "rechercheSirenSiret|rechercheSIRENSIRET"
    )
    return dm.DemandeVerifIban(
        enveloppe=env,
        iban=text_field(c, "iban"),
        recherche_pp=pp,
        recherche_pm=pm,
        recherche_siren_siret=ss,
        personne_physique=_pp(c, with_domiciliation=False),
        personne_morale=dm.CriteresPM(
            designation=_designation(object_field(c, "designation")),
            designation_fournie=object_field(c, "designation") is not None,
        ),
        identifiant=_siret_siren(c),
    )


def read_multi_det(body: Any) -> dm.DemandeMultiDet:
    env, c = read_envelope(body)
    # `rechercheSIRENSIRET` here (S2), `rechercheSirenSiret` accepted leniently (CONTRACT §9 #6).
    pp, pm, ss = _selectors(
        c, "recherchePP", "recherchePM", "rechercheSIRENSIRET|rechercheSirenSiret"
    )
    return dm.DemandeMultiDet(
        enveloppe=env,
        accord_client=text_field(c, "accordClient"),
        code_nature=text_field(c, "codeNatureCompte"),
        recherche_pp=pp,
        recherche_pm=pm,
        recherche_siren_siret=ss,
        personne_physique=_pp(object_field(c, "criteresRecherchePhy"), with_domiciliation=True),
        personne_morale=_pm(object_field(c, "criteresRecherchePro")),
        identifiant=_siret_siren(
            object_field(c, "criteresSiretSiren") or object_field(c, "criteresRechercheSiretSiren")
        ),
        code_etablissement=text_field(c, "codeEtablissement"),
    )
