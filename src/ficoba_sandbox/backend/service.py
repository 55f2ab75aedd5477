"""The backend: `Backend.executer(caller, demande)` -> `Resultat` or `FicobaError`.

Order of checks (issue #4 §6): [API: JSON, envelope presence/format] -> search type (selectors)
-> modality right (900910) -> CAF030 -> CAF003 -> CAF031 -> dateDemande (CAF024/CAF033) ->
search-type rules -> search -> restitution filtered by the caller's data scopes (CONTRACT §7.1).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from zoneinfo import ZoneInfo

from ficoba_sandbox.backend import regles
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
    SiretSiren,
)
from ficoba_sandbox.backend.resultats import (
    AdresseGuichet,
    AdresseResidence,
    AyantDroit,
    AyantDroitPM,
    AyantDroitPP,
    Caracteristique,
    CaracteristiqueCompte,
    CodeLibelle,
    CompteMultiDet,
    CompteStructure,
    Devise,
    Etablissement,
    EtablissementGestionnaire,
    Guichet,
    MessageInformatif,
    Nature,
    PersonneRecherchePM,
    PersonneRecherchePP,
    ReponsePersonne,
    ReponsesCompte,
    Resultat,
    TypeCompte,
    VerificationCompte,
)
from ficoba_sandbox.data import model
from ficoba_sandbox.data.search import (
    MAX_REPONSES,
    CriteresAdresse,
    CriteresPersonneMorale,
    CriteresPersonnePhysique,
    SearchResult,
    SearchStatus,
)
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain import codes
from ficoba_sandbox.domain.access import MODALITY_OF, Caller, SearchType
from ficoba_sandbox.domain.clock import Clock, horodatage
from ficoba_sandbox.domain.errors import ALL_CODES, FicobaError

try:
    PARIS: ZoneInfo | None = ZoneInfo("Europe/Paris")
except Exception:  # pragma: no cover - no tz database
    PARIS = None

S = "dgfip_ficoba_"


@dataclass
class EtatService:
    """Driven by the maintenance/quota engineer: when `disponible` is False, /etatSante answers
    503 and every resource 503 CAT001."""

    disponible: bool = True


class References:
    """`referenceDemande` = `FCB_<année>_<9 chiffres>` (18 characters, every protocol example),
    unique for the life of the server."""

    def __init__(self, debut: int = 1) -> None:
        self._compteur = itertools.count(debut)
        self._lock = threading.Lock()

    def suivante(self, annee: int) -> str:
        with self._lock:
            n = next(self._compteur)
        return f"FCB_{annee}_{n % 1_000_000_000:09d}"


def n3(n: int) -> str:
    return f"{min(n, 999):03d}"


class Backend:
    def __init__(self, store: Store, clock: Clock, *, max_reponses: int = MAX_REPONSES) -> None:
        self.store = store
        self.clock = clock
        #: CAF036 threshold for perPhy / perPro (data/store.py MAX_REPONSES by default)
        self.max_reponses = max_reponses
        self.references = References()
        # Restitution fragments, immutable for the life of a store (resultats.PARTAGES): keyed
        # by the record's identity (the record is kept with the value, so the id cannot be
        # reused), the caller's scopes and, for a CompteStructure, the searched persons.
        self._fragments: dict[tuple[object, ...], tuple[object, object]] = {}
        self._fragments_store: Store = store

    # --- entry points --------------------------------------------------------------------------

    def aujourd_hui(self) -> date:
        now = self.clock.now()
        return now.astimezone(PARIS).date() if PARIS else now.date()

    def type_de_recherche(self, demande: Demande) -> SearchType:
        return regles.type_de_recherche(demande)

    def verifier_modalite(self, caller: Caller, type_recherche: SearchType) -> None:
        if MODALITY_OF[type_recherche] not in caller.modalities:
            raise FicobaError("900910")

    def executer(self, caller: Caller, demande: Demande) -> Resultat:
        type_recherche = regles.type_de_recherche(demande)
        self.verifier_modalite(caller, type_recherche)
        regles.verifier_appelant(demande, caller, type_recherche)
        regles.verifier_date_demande(demande.enveloppe.date_demande, self.aujourd_hui())
        match demande:
            case DemandeNumCpte():
                return self._num_cpte(caller, demande)
            case DemandeSpi():
                return self._spi(caller, demande)
            case DemandeSiretSiren():
                return self._siret_siren(caller, demande)
            case DemandePerPhy():
                return self._per_phy(caller, demande)
            case DemandePerPro():
                return self._per_pro(caller, demande)
            case DemandeVerifIban():
                return self._verif_iban(caller, demande, type_recherche)
            case DemandeMultiDet():
                return self._multi_det(caller, demande, type_recherche)
        raise TypeError(demande)  # pragma: no cover

    # --- helpers -------------------------------------------------------------------------------

    def _resultat(self, nombre: int, **kw: object) -> Resultat:
        ref = self.references.suivante(self.clock.now().year)
        return Resultat(reference_demande=ref, nombre_reponses=n3(nombre), **kw)  # type: ignore[arg-type]

    def _sans_resultat(self, code: str, **kw: object) -> Resultat:
        """A "no result" code (HTTP 200): `messageInformatif`, `nombreReponses` "000"."""
        info = MessageInformatif(code, ALL_CODES[code].message, horodatage(self.clock.now()))
        return self._resultat(0, message_informatif=info, **kw)

    # --- numCpte -------------------------------------------------------------------------------

    def _num_cpte(self, caller: Caller, d: DemandeNumCpte) -> Resultat:
        iban = regles.verifier_iban(d.iban, fc=False)
        regles.exiger(d.verification, "verificationCompte")
        if d.verification not in ("0", "1"):
            raise FicobaError("CAF002", "verificationCompte")
        compte = self.store.compte_by_iban(iban)
        if d.verification == "1":
            if compte is None:
                verif = _verif(caller, VerificationCompte("0"))
                return self._sans_resultat(
                    "CAF011", reponses=ReponsesCompte(verification_compte=verif)
                )
            verif = _verif(caller, VerificationCompte("1", compte.date_cloture or None))
            return self._resultat(1, reponses=ReponsesCompte(verification_compte=verif))
        if compte is None:
            return self._sans_resultat("CAF011")
        if not self.store.droits_of_compte(iban):
            return self._sans_resultat("CAF026")
        structure = self._compte(caller, compte, recherchees=None)
        return self._resultat(1, reponses=ReponsesCompte(comptes=[structure]))

    # --- spi -----------------------------------------------------------------------------------

    def _spi(self, caller: Caller, d: DemandeSpi) -> Resultat:
        personne = self.store.personne_physique_by_spi(d.numero_spi) if d.numero_spi else None
        regles.verifier_spi(d.numero_spi, connu=personne is not None)
        if personne is None:
            return self._sans_resultat("CAF007")
        items = self._reponses_pp(caller, [personne])
        if not items:
            return self._sans_resultat("CAF007")
        return self._resultat(len(items), reponses=items)

    # --- siretSiren ----------------------------------------------------------------------------

    def _siret_siren(self, caller: Caller, d: DemandeSiretSiren) -> Resultat:
        regles.verifier_siret_siren(d.identifiant)
        entites = self._par_identifiant(d.identifiant)
        items = self._reponses_pm(caller, entites)
        if not items:
            return self._sans_resultat("CAF009")
        return self._resultat(len(items), reponses=items)

    def _par_identifiant(self, ident: SiretSiren) -> Sequence[model.PersonneMorale]:
        if ident.siret:
            found = self.store.personne_morale_by_siret(ident.siret)
            return (found,) if found else ()
        return self.store.personnes_morales_by_siren(ident.siren)

    # --- perPhy --------------------------------------------------------------------------------

    def _per_phy(self, caller: Caller, d: DemandePerPhy) -> Resultat:
        c = d.criteres
        if not c.etat_civil_fourni and c.etat_civil.vide():
            raise FicobaError("CAF001", "etatCivil")
        regles.verifier_noms(c.etat_civil, prenoms_obligatoires=False, max_prenoms=70)
        regles.dates_naissance(c.etat_civil, self.aujourd_hui(), intervalle=True)
        regles.verifier_lieu_naissance(c.lieu_naissance, obligatoire=False, france_complet=False)
        regles.verifier_date_complete_france(c.etat_civil, c.lieu_naissance)
        regles.verifier_domiciliation(c.domiciliation, france_seulement=True)
        res = self.store.search_personnes_physiques(_criteres_pp(c), limit=self.max_reponses)
        return self._selon_statut(caller, res, self._reponses_pp, "CAF013")

    # --- perPro --------------------------------------------------------------------------------

    def _per_pro(self, caller: Caller, d: DemandePerPro) -> Resultat:
        c = d.criteres
        regles.verifier_designation(c, categorie_obligatoire=False)
        regles.verifier_domiciliation(c.domiciliation, france_seulement=True)
        res = self.store.search_personnes_morales(_criteres_pm(c), limit=self.max_reponses)
        return self._selon_statut(caller, res, self._reponses_pm, "CAF015")

    def _selon_statut(self, caller, res: SearchResult, reponses, code_aucun):  # type: ignore[no-untyped-def]
        """No identity match -> CAF013/CAF015; nobody in the file at the given address ->
        CAF028; the address exists but is not theirs -> CAF029 (data/store.py); too many ->
        CAF036 (400); matches without any account -> CAF013/CAF015."""
        match res.status:
            case SearchStatus.TOO_MANY:
                raise FicobaError("CAF036")
            case SearchStatus.NO_MATCH:
                return self._sans_resultat(code_aucun)
            case SearchStatus.ADDRESS_UNKNOWN:
                return self._sans_resultat("CAF028")
            case SearchStatus.NOT_AT_ADDRESS:
                return self._sans_resultat("CAF029")
        items = reponses(caller, list(res.matches))
        if not items:
            return self._sans_resultat(code_aucun)
        return self._resultat(len(items), reponses=items)

    # --- verifIban -----------------------------------------------------------------------------

    def _verif_iban(self, caller: Caller, d: DemandeVerifIban, t: SearchType) -> Resultat:
        iban = regles.verifier_iban(d.iban, fc=True)
        pp, pm, ident = d.personne_physique, d.personne_morale, d.identifiant
        pp_plein = not (pp.etat_civil.vide() and pp.lieu_naissance.vide())
        pm_plein = not pm.designation.vide()
        # The holder must match with the store's own matching rules (docs/data.md).
        if t is SearchType.VERIF_IBAN_PP:
            regles.coherence(not pp_plein, pm_plein or not ident.vide())
            regles.verifier_pp_titulaire(pp, self.aujourd_hui(), multidet=False)
            res = self.store.search_personnes_physiques(_criteres_pp(pp), limit=_SANS_LIMITE)
            titulaires = {p.id for p in res.matches}
        elif t is SearchType.VERIF_IBAN_PM:
            regles.coherence(not pm_plein, pp_plein or not ident.vide())
            regles.verifier_designation(pm, categorie_obligatoire=True)
            res_pm = self.store.search_personnes_morales(_criteres_pm(pm), limit=_SANS_LIMITE)
            titulaires = {p.id for p in res_pm.matches}
        else:
            regles.coherence(ident.vide(), pp_plein or pm_plein)
            regles.verifier_siret_siren(ident)
            titulaires = {p.id for p in self._par_identifiant(ident)}

        compte = self.store.compte_by_iban(iban)
        if compte is None:
            verif = _verif(caller, VerificationCompte("0"))
            return self._sans_resultat("CAF011", reponses=ReponsesCompte(verification_compte=verif))
        # "ibanExistant" 1 only when the IBAN exists AND belongs to the described holder
        # (holder = a "Titulaire" right, co-holders of joint accounts included).
        for droit in self.store.droits_of_compte(iban):
            if droit.droit_sur_compte == codes.DROIT_TITULAIRE and droit.personne in titulaires:
                verif = _verif(caller, VerificationCompte("1", compte.date_cloture or None))
                return self._resultat(1, reponses=ReponsesCompte(verification_compte=verif))
        verif = _verif(caller, VerificationCompte("0"))
        return self._sans_resultat("CAF021", reponses=ReponsesCompte(verification_compte=verif))

    # --- multiDet ------------------------------------------------------------------------------

    def _multi_det(self, caller: Caller, d: DemandeMultiDet, t: SearchType) -> Resultat:
        regles.selection((d.accord_client, "accordClient"))
        nature = regles.verifier_nature_multidet(d.code_nature)
        # Sandbox reading of CAF037 (docs/contract-choices.md): the optional bank code of the
        # request must be one the requester is linked to.
        if (
            d.code_etablissement
            and caller.codes_etablissement
            and d.code_etablissement not in caller.codes_etablissement
        ):
            raise FicobaError("CAF037")
        pp, pm, ident = d.personne_physique, d.personne_morale, d.identifiant
        if t is SearchType.MULTIDET_PP:
            regles.coherence(pp.vide(), not pm.vide() or not ident.vide())
            regles.verifier_pp_titulaire(pp, self.aujourd_hui(), multidet=True)
            regles.verifier_domiciliation(pp.domiciliation, france_seulement=False)
            res = self.store.search_personnes_physiques(_criteres_pp(pp), limit=_SANS_LIMITE)
            titulaires: Sequence[model.PersonnePhysique | model.PersonneMorale] = res.matches
            code_aucun = "CAF013"
        elif t is SearchType.MULTIDET_PM:
            regles.coherence(pm.vide(), not pp.vide() or not ident.vide())
            regles.verifier_designation(pm, categorie_obligatoire=True)
            regles.verifier_domiciliation(
                pm.domiciliation, france_seulement=False, obligatoire=True
            )
            res_pm = self.store.search_personnes_morales(_criteres_pm(pm), limit=_SANS_LIMITE)
            titulaires = res_pm.matches
            code_aucun = "CAF015"
        else:
            regles.coherence(ident.vide(), not pp.vide() or not pm.vide())
            regles.verifier_siret_siren(ident)
            titulaires = self._par_identifiant(ident)
            code_aucun = "CAF009"
        nrep = S + "nombre_comptes" in caller.scopes
        if not titulaires:
            return self._sans_resultat(code_aucun, n_rep="0" if nrep else None)
        # Nature 201 also finds 202 (§8.3.2 "une recherche sur la présence d'un compte de nature
        # 201 et de nature 202"). Open accounts held as "Titulaire".
        natures = codes.NATURES_EQUIVALENTES.get(nature, (nature,))
        vus: dict[str, model.Compte] = {}
        for personne in titulaires:
            for compte, droit in self._comptes_propres(personne.id):
                if droit.droit_sur_compte != codes.DROIT_TITULAIRE or compte.iban in vus:
                    continue
                if compte.code_nature in natures and not compte.date_cloture:
                    vus[compte.iban] = compte
        if not vus:
            return self._sans_resultat("CAF020", n_rep="0" if nrep else None)
        comptes = None
        if d.accord_client == "1":
            comptes = [self._compte_multidet(caller, c) for c in vus.values()]
        return self._resultat(len(vus), n_rep="1" if nrep else None, comptes=comptes)

    def _compte_multidet(self, caller: Caller, c: model.Compte) -> CompteMultiDet:
        sc = caller.scopes
        etab = S + "etablissement_bancaire" in sc
        ouverture = S + "date_ouverture" in sc
        motif = S + "motif_ouverture" in sc
        return CompteMultiDet(
            iban=c.iban if S + "iban" in sc else None,
            nature=str(c.code_nature),
            date_ouverture=c.date_ouverture if ouverture else None,
            date_fiscale=c.date_fiscale if ouverture else None,
            code_motif_ouverture=c.code_motif_ouverture if motif else None,
            libelle_motif_ouverture=codes.MOTIFS_OUVERTURE.get(c.code_motif_ouverture, "")
            if motif
            else None,
            code_etab=c.numero_etablissement if etab else None,
            guichet=self._guichet(c) if etab else None,
        )

    # --- restitution ---------------------------------------------------------------------------

    def _personne(self, ident: str) -> model.PersonnePhysique | model.PersonneMorale | None:
        return self.store.personne(ident)

    def _comptes_propres(self, ident: str) -> tuple[tuple[model.Compte, model.Droit], ...]:
        if ident.startswith("pm:"):
            return self.store.comptes_of_personne_morale(ident)
        return tuple(
            (c, d) for c, d in self.store.comptes_of_personne_physique(ident) if d.personne == ident
        )

    def _reponses_pp(
        self, caller: Caller, personnes: Sequence[model.PersonnePhysique]
    ) -> list[ReponsePersonne]:
        items = (self._reponse_personne(caller, p) for p in personnes)
        return [item for item in items if item is not None]

    def _reponses_pm(
        self, caller: Caller, entites: Sequence[model.PersonneMorale]
    ) -> list[ReponsePersonne]:
        items = (self._reponse_personne(caller, e) for e in entites)
        return [item for item in items if item is not None]

    def _reponse_personne(
        self, caller: Caller, p: model.PersonnePhysique | model.PersonneMorale
    ) -> ReponsePersonne | None:
        """`_reponse_personne_neuve`'s value, shared by every answer about `p` with the same
        scopes (all it depends on besides the store); None: `p` holds no account."""
        cache = self._fragment_cache()
        key = ("reponse", id(p), caller.scopes)
        hit = cache.get(key)
        if hit is not None and hit[0] is p:
            return hit[1]  # type: ignore[return-value]
        value = self._reponse_personne_neuve(caller, p)
        cache[key] = (p, value)
        return value

    def _reponse_personne_neuve(
        self, caller: Caller, p: model.PersonnePhysique | model.PersonneMorale
    ) -> ReponsePersonne | None:
        identifie = S + "etat_civil_denomination" in caller.scopes
        identite: PersonneRecherchePP | PersonneRecherchePM | None = None
        if isinstance(p, model.PersonnePhysique):
            # An entrepreneur individuel's accounts are his too (protocol §3.5.2: DUBOIS DANIEL's
            # third account is held by the legal person "DUBOIS DANIEL", category 1000).
            comptes = _uniques(c for c, _ in self.store.comptes_of_personne_physique(p))
            if identifie:
                identite = self._personne_recherche_pp(p)
        else:
            comptes = _uniques(c for c, _ in self.store.comptes_of_personne_morale(p))
            if identifie:
                identite = self._personne_recherche_pm(p)
        if not comptes:
            return None
        cherchee = frozenset((p.id,))
        return ReponsePersonne(
            personne_recherche=identite,
            nombre_comptes=n3(len(comptes)),
            comptes=[self._compte(caller, c, recherchees=cherchee) for c in comptes],
        )

    def _guichet(self, c: model.Compte) -> Guichet | None:
        g = self.store.guichet(c.numero_etablissement, c.numero_guichet)
        if g is None:
            return None
        lignes = AdresseGuichet(
            lib_adr1=g.lib_adr1 or None,
            lib_adr2=g.lib_adr2 or None,
            lib_adr3=g.lib_adr3 or None,
            lib_adr4=g.lib_adr4 or None,
        )
        vide = not any((g.lib_adr1, g.lib_adr2, g.lib_adr3, g.lib_adr4))
        return Guichet(g.numero_guichet, g.libelle_guichet, None if vide else lignes)

    def _fragment_cache(self) -> dict[tuple[object, ...], tuple[object, object]]:
        """The fragment cache of the current store (emptied when `store` is replaced or full)."""
        cache = self._fragments
        if self._fragments_store is not self.store or len(cache) >= _FRAGMENTS_MAX:
            cache.clear()
            self._fragments_store = self.store
        return cache

    def _personne_recherche_pp(self, p: model.PersonnePhysique) -> PersonneRecherchePP:
        cache = self._fragment_cache()
        key = ("pp", id(p))
        hit = cache.get(key)
        if hit is not None and hit[0] is p:
            return hit[1]  # type: ignore[return-value]
        value = _personne_recherche_pp(p)
        cache[key] = (p, value)
        return value

    def _personne_recherche_pm(self, p: model.PersonneMorale) -> PersonneRecherchePM:
        cache = self._fragment_cache()
        key = ("pm", id(p))
        hit = cache.get(key)
        if hit is not None and hit[0] is p:
            return hit[1]  # type: ignore[return-value]
        value = _personne_recherche_pm(p)
        cache[key] = (p, value)
        return value

    def _compte(
        self, caller: Caller, c: model.Compte, *, recherchees: frozenset[str] | None
    ) -> CompteStructure:
        """`_compte_neuf`'s value, shared by every call with the same account, scopes and
        searched persons (all it depends on besides the store)."""
        cache = self._fragment_cache()
        key = (id(c), caller.scopes, recherchees)
        hit = cache.get(key)
        if hit is not None and hit[0] is c:
            return hit[1]  # type: ignore[return-value]
        value = self._compte_neuf(caller, c, recherchees=recherchees)
        cache[key] = (c, value)
        return value

    def _compte_neuf(
        self, caller: Caller, c: model.Compte, *, recherchees: frozenset[str] | None
    ) -> CompteStructure:
        sc = caller.scopes
        dates = S + "date" in sc
        carac = None
        if S + "compte" in sc:
            carac = CaracteristiqueCompte(
                iban=c.iban,
                date_ouverture=c.date_ouverture if dates else None,
                date_fiscale=c.date_fiscale if dates else None,
                code_motif_ouverture=c.code_motif_ouverture,
                libelle_motif_ouverture=codes.MOTIFS_OUVERTURE.get(c.code_motif_ouverture, ""),
                date_cloture=c.date_cloture if dates else None,
                nature=Nature(c.code_nature, codes.NATURES.get(c.code_nature, "")),
                type=TypeCompte(c.code_type, codes.TYPES.get(c.code_type, "")),
                format_compte=c.format_compte,
                caracteristique=Caracteristique(
                    c.code_caracteristique, codes.CARACTERISTIQUES.get(c.code_caracteristique, "")
                ),
                succession=c.succession,
                resident=c.resident,
                devise=Devise(c.code_devise),
            )
        gest = None
        if S + "etablissement_bancaire" in sc:
            b = self.store.banque(c.numero_etablissement)
            gest = EtablissementGestionnaire(
                etablissement=Etablissement(
                    b.numero_etablissement, b.libelle_etablissement, b.bic_etablissement
                )
                if b
                else None,
                guichet=self._guichet(c),
            )
        ayants = []
        for droit in self.store.droits_of_compte(c.iban):
            p = self._personne(droit.personne)
            if p is None:
                continue
            ayants.append(_ayant_droit(caller, droit, p, recherchees))
        return CompteStructure(carac, gest, ayants)


# --- pure restitution helpers ------------------------------------------------------------------


def _verif(caller: Caller, v: VerificationCompte) -> VerificationCompte | None:
    return v if S + "restitution_verification" in caller.scopes else None


def _o(v: str) -> str | None:
    """Optional text: restituted only when present (the examples omit empty optional fields)."""
    return v or None


def _ayant_droit(
    caller: Caller,
    droit: model.Droit,
    p: model.PersonnePhysique | model.PersonneMorale,
    recherchees: frozenset[str] | None,
) -> AyantDroit:
    sc = caller.scopes
    ident = S + "etat_civil_denomination" in sc
    dates = S + "date" in sc
    # numCpte restitutes no personneRecherchee flag (CONTRACT §3.1); the other searches do.
    flag = None if recherchees is None else ("1" if p.id in recherchees else "0")
    commun = {
        "personne_recherchee": flag,
        "droit_sur_compte": codes.DROITS.get(droit.droit_sur_compte, droit.droit_sur_compte)
        if dates
        else None,
        "date_debut_droit": droit.date_debut_droit if dates else None,
        "date_fin_droit": droit.date_fin_droit if dates else None,
        "date_maj": droit.date_maj if dates else None,
    }
    adresse = None
    if droit.avec_adresse and p.adresse is not None and S + "adresse" in sc:
        adresse = _adresse(p.adresse)
    if isinstance(p, model.PersonnePhysique):
        if not ident:
            pp = AyantDroitPP(**commun)  # type: ignore[arg-type]
        else:  # one constructor call (not a `replace` of the first): same value, faster
            pp = AyantDroitPP(
                **commun,  # type: ignore[arg-type]
                nom_naissance=p.nom_naissance,
                prenoms=p.prenoms,
                anne_naissance=p.annee_naissance,
                mois_naissance=_o(p.mois_naissance),
                jour_naissance=_o(p.jour_naissance),
                sexe=p.sexe,
                code_pays_naissance=p.code_pays_naissance,
                code_departement_naissance=_o(p.code_departement_naissance),
                code_commune_naissance=_o(p.code_commune_naissance),
                libelle_pays_naissance=p.libelle_pays_naissance,
                libelle_departement_naissance=_o(p.libelle_departement_naissance),
                libelle_commune_naissance=_o(p.libelle_commune_naissance),
            )
        return AyantDroit(personne_physique=pp, adresse=adresse)
    if not ident:
        pm = AyantDroitPM(**commun)  # type: ignore[arg-type]
    else:
        pm = AyantDroitPM(
            **commun,  # type: ignore[arg-type]
            raison_sociale=p.raison_sociale,
            sigle=_o(p.sigle),
            enseigne=_o(p.enseigne),
            categorie_juridique=p.categorie_juridique,
            type_repertoire=_o(p.type_repertoire),
            siret=_o(p.siret),
            numero_copro=_o(p.numero_copro),
            numero_rna=_o(p.numero_rna),
            numero_lei=_o(p.numero_lei),
        )
    return AyantDroit(personne_morale=pm, adresse=adresse)


def _adresse(a: model.Adresse) -> AdresseResidence:
    return AdresseResidence(**{name: _o(getattr(a, name)) for name in _ADRESSE_FIELDS})


#: the fields of AdresseResidence, attributes of model.Adresse too (computed once)
_ADRESSE_FIELDS = tuple(f.name for f in fields(AdresseResidence))


def _personne_recherche_pp(p: model.PersonnePhysique) -> PersonneRecherchePP:
    return PersonneRecherchePP(
        nom_naissance=p.nom_naissance,
        nom_usage=p.nom_usage or None,
        prenom=p.prenoms,
        sexe=p.sexe,
        annee_naissance=p.annee_naissance,
        mois_naissance=_o(p.mois_naissance),
        jour_naissance=_o(p.jour_naissance),
        pays_naissance=CodeLibelle(p.code_pays_naissance, p.libelle_pays_naissance)
        if p.code_pays_naissance
        else None,
        departement_naissance=CodeLibelle(
            p.code_departement_naissance, p.libelle_departement_naissance
        )
        if p.code_departement_naissance
        else None,
        commune_naissance=CodeLibelle(p.code_commune_naissance, p.libelle_commune_naissance)
        if p.code_commune_naissance
        else None,
    )


def _personne_recherche_pm(p: model.PersonneMorale) -> PersonneRecherchePM:
    cat = p.categorie_juridique
    return PersonneRecherchePM(
        raison_sociale=p.raison_sociale,
        sigle=_o(p.sigle),
        enseigne=_o(p.enseigne),
        siret=_o(p.siret),
        categorie_juridique=int(cat) if cat.isdigit() else None,
        siren=_o(p.siren),
    )


_SANS_LIMITE = 1_000_000
#: restitution fragments kept per backend before the cache starts again
_FRAGMENTS_MAX = 16_384


def _uniques(comptes: Iterable[model.Compte]) -> list[model.Compte]:
    return list({c.iban: c for c in comptes}.values())


def _adresse_criteres(dom: Domiciliation) -> CriteresAdresse | None:
    if dom.vide():
        return None
    return CriteresAdresse(
        code_pays=dom.code_pays,
        code_departement=dom.code_departement,
        code_commune=dom.code_commune,
        code_nature_voie=dom.code_nature_voie,
        libelle_voie=dom.libelle_voie,
        numero_voie=dom.numero_voie,
        indice_repetition=dom.indice_repetition,
        code_postal=dom.code_postal,
    )


def _criteres_pp(c: CriteresPP) -> CriteresPersonnePhysique:
    """Raw strings: the store normalises (upper case, no accent, special characters -> spaces)."""
    ec, lieu = c.etat_civil, c.lieu_naissance
    return CriteresPersonnePhysique(
        nom=ec.nom,
        prenoms=ec.prenoms,
        sexe=ec.sexe,
        annee_naissance=ec.annee,
        mois_naissance=ec.mois,
        jour_naissance=ec.jour,
        annee_naissance_debut=ec.annee_debut,
        mois_naissance_debut=ec.mois_debut,
        jour_naissance_debut=ec.jour_debut,
        annee_naissance_fin=ec.annee_fin,
        mois_naissance_fin=ec.mois_fin,
        jour_naissance_fin=ec.jour_fin,
        code_pays_naissance=lieu.code_pays,
        code_departement_naissance=lieu.code_departement,
        code_commune_naissance=lieu.code_commune,
        adresse=_adresse_criteres(c.domiciliation),
    )


def _criteres_pm(c: CriteresPM) -> CriteresPersonneMorale:
    d = c.designation
    return CriteresPersonneMorale(
        raison_sociale=d.raison_sociale,
        sigle=d.sigle,
        enseigne=d.enseigne,
        code_categorie_juridique=d.categorie_juridique,
        adresse=_adresse_criteres(c.domiciliation),
    )
