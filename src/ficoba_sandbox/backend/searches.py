"""The FICOBA backend: the search type of a request, the caller's rights, then `run`: the
search-type rules and the search -> `Resultat` (restituted by `restitution.py`) or `FicobaError`.

Order of checks (CONTRACT §6.4; the API's pipeline calls them in this order, docs/architecture.md):
[API: JSON, envelope presence/format] -> search type (selectors) -> modality right (900910) ->
CAF030 -> CAF003 -> CAF031 -> dateDemande (CAF024/CAF033) -> search-type rules -> search ->
restitution filtered by the caller's data scopes (CONTRACT §7.1).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ficoba_sandbox.backend import rules
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
from ficoba_sandbox.backend.restitution import Restitution, S, three_digits
from ficoba_sandbox.backend.results import (
    MessageInformatif,
    ReponsesCompte,
    Resultat,
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
from ficoba_sandbox.domain.clock import Clock, horodatage, paris
from ficoba_sandbox.domain.errors import ALL_CODES, FicobaError


@dataclass(frozen=True, slots=True)
class Moment:
    """The instant of one search: its time and the day in Paris (FICOBA's dates are French)."""

    now: datetime
    today: date

    @classmethod
    def of(cls, now: datetime) -> Moment:
        return cls(now, now.astimezone(paris()).date())


class References:
    """`referenceDemande` = `FCB_<year>_<9 digits>` (18 characters, every protocol example),
    unique for the life of the server."""

    def __init__(self, first: int = 1) -> None:
        self._counter = itertools.count(first)
        self._lock = threading.Lock()

    def next(self, year: int) -> str:
        with self._lock:
            n = next(self._counter)
        return f"FCB_{year}_{n % 1_000_000_000:09d}"


class Backend:
    def __init__(self, store: Store, clock: Clock, *, max_reponses: int = MAX_REPONSES) -> None:
        self.store = store
        self.clock = clock
        #: CAF036 threshold for perPhy / perPro (data/store.py MAX_REPONSES by default)
        self.max_reponses = max_reponses
        self.references = References()
        self.restitution = Restitution(store)

    # --- entry points --------------------------------------------------------------------------

    def today(self) -> date:
        """The day in Paris by the backend's clock (what the admin plane shows)."""
        return Moment.of(self.clock.now()).today

    def search_type(self, demande: Demande) -> SearchType:
        """CAF018 / CAF025 on the selectors, else the search type (rules.search_type)."""
        return rules.search_type(demande)

    def check_rights(self, caller: Caller, demande: Demande, search_type: SearchType) -> None:
        """The modality of the search type (900910), then the requester (CAF030) and the motif
        (CAF003, CAF031), in this order (CONTRACT §6.4)."""
        if MODALITY_OF[search_type] not in caller.modalities:
            raise FicobaError("900910")
        rules.check_requester(demande, caller, search_type)

    def run(
        self, caller: Caller, demande: Demande, search_type: SearchType, now: datetime
    ) -> Resultat:
        """`dateDemande` (CAF024, CAF033), the rules of the search type, the search, and the
        restitution filtered by the caller's data scopes; after `check_rights`. `now`: the
        call's one instant (the day it checks dates against, the `horodatage` and the year of
        `referenceDemande`)."""
        at = Moment.of(now)
        rules.check_date_demande(demande.enveloppe.date_demande, at.today)
        match demande:
            case DemandeNumCpte():
                return self._num_cpte(at, caller, demande)
            case DemandeSpi():
                return self._spi(at, caller, demande)
            case DemandeSiretSiren():
                return self._siret_siren(at, caller, demande)
            case DemandePerPhy():
                return self._per_phy(at, caller, demande)
            case DemandePerPro():
                return self._per_pro(at, caller, demande)
            case DemandeVerifIban():
                return self._verif_iban(at, caller, demande, search_type)
            case DemandeMultiDet():
                return self._multi_det(at, caller, demande, search_type)
        raise TypeError(demande)  # pragma: no cover

    # --- helpers -------------------------------------------------------------------------------

    def _result(self, at: Moment, count: int, **kw: object) -> Resultat:
        reference = self.references.next(at.now.year)
        return Resultat(reference_demande=reference, nombre_reponses=three_digits(count), **kw)  # type: ignore[arg-type]

    def _no_result(self, at: Moment, code: str, **kw: object) -> Resultat:
        """A "no result" code (HTTP 200): `messageInformatif`, `nombreReponses` "000"."""
        info = MessageInformatif(code, ALL_CODES[code].message, horodatage(at.now))
        return self._result(at, 0, message_informatif=info, **kw)

    # --- numCpte -------------------------------------------------------------------------------

    def _num_cpte(self, at: Moment, caller: Caller, d: DemandeNumCpte) -> Resultat:
        iban = rules.check_iban(d.iban, fc=False)
        rules.require(d.verification, "verificationCompte")
        if d.verification not in ("0", "1"):
            raise FicobaError("CAF002", "verificationCompte")
        compte = self.store.compte_by_iban(iban)
        if d.verification == "1":
            if compte is None:
                verification = Restitution.verification(caller, VerificationCompte("0"))
                return self._no_result(
                    at, "CAF011", reponses=ReponsesCompte(verification_compte=verification)
                )
            verification = Restitution.verification(
                caller, VerificationCompte("1", compte.date_cloture or None)
            )
            return self._result(at, 1, reponses=ReponsesCompte(verification_compte=verification))
        if compte is None:
            return self._no_result(at, "CAF011")
        if not self.store.droits_of_compte(iban):
            return self._no_result(at, "CAF026")
        structure = self.restitution.account(caller, compte, searched=None)
        return self._result(at, 1, reponses=ReponsesCompte(comptes=[structure]))

    # --- spi -----------------------------------------------------------------------------------

    def _spi(self, at: Moment, caller: Caller, d: DemandeSpi) -> Resultat:
        person = self.store.personne_physique_by_spi(d.numero_spi) if d.numero_spi else None
        rules.check_spi(d.numero_spi, known=person is not None)
        if person is None:
            return self._no_result(at, "CAF007")
        items = self.restitution.persons(caller, [person])
        if not items:
            return self._no_result(at, "CAF007")
        return self._result(at, len(items), reponses=items)

    # --- siretSiren ----------------------------------------------------------------------------

    def _siret_siren(self, at: Moment, caller: Caller, d: DemandeSiretSiren) -> Resultat:
        rules.check_siret_siren(d.identifiant)
        entities = self._by_identifier(d.identifiant)
        items = self.restitution.persons(caller, entities)
        if not items:
            return self._no_result(at, "CAF009")
        return self._result(at, len(items), reponses=items)

    def _by_identifier(self, ident: SiretSiren) -> Sequence[model.PersonneMorale]:
        if ident.siret:
            found = self.store.personne_morale_by_siret(ident.siret)
            return (found,) if found else ()
        return self.store.personnes_morales_by_siren(ident.siren)

    # --- perPhy --------------------------------------------------------------------------------

    def _per_phy(self, at: Moment, caller: Caller, d: DemandePerPhy) -> Resultat:
        c = d.criteres
        if not c.etat_civil_fourni and c.etat_civil.vide():
            raise FicobaError("CAF001", "etatCivil")
        rules.check_names(c.etat_civil, prenoms_required=False, max_prenoms=70)
        rules.birth_date_window(c.etat_civil, at.today, interval=True)
        rules.check_lieu_naissance(c.lieu_naissance, required=False, full_in_france=False)
        rules.check_full_birth_date_in_france(c.etat_civil, c.lieu_naissance)
        rules.check_domiciliation(c.domiciliation, france_only=True)
        res = self.store.search_personnes_physiques(_criteres_pp(c), limit=self.max_reponses)
        return self._by_status(at, caller, res, "CAF013")

    # --- perPro --------------------------------------------------------------------------------

    def _per_pro(self, at: Moment, caller: Caller, d: DemandePerPro) -> Resultat:
        c = d.criteres
        rules.check_designation(c, category_required=False)
        rules.check_domiciliation(c.domiciliation, france_only=True)
        res = self.store.search_personnes_morales(_criteres_pm(c), limit=self.max_reponses)
        return self._by_status(at, caller, res, "CAF015")

    def _by_status(
        self, at: Moment, caller: Caller, res: SearchResult[Any], no_result_code: str
    ) -> Resultat:
        """No identity match -> CAF013/CAF015; nobody in the file at the given address ->
        CAF028; the address exists but is not theirs -> CAF029 (data/store.py); too many ->
        CAF036 (400); matches without any account -> CAF013/CAF015."""
        match res.status:
            case SearchStatus.TOO_MANY:
                raise FicobaError("CAF036")
            case SearchStatus.NO_MATCH:
                return self._no_result(at, no_result_code)
            case SearchStatus.ADDRESS_UNKNOWN:
                return self._no_result(at, "CAF028")
            case SearchStatus.NOT_AT_ADDRESS:
                return self._no_result(at, "CAF029")
        items = self.restitution.persons(caller, list(res.matches))
        if not items:
            return self._no_result(at, no_result_code)
        return self._result(at, len(items), reponses=items)

    # --- verifIban -----------------------------------------------------------------------------

    def _verif_iban(
        self, at: Moment, caller: Caller, d: DemandeVerifIban, t: SearchType
    ) -> Resultat:
        iban = rules.check_iban(d.iban, fc=True)
        pp, pm, ident = d.personne_physique, d.personne_morale, d.identifiant
        pp_given = not (pp.etat_civil.vide() and pp.lieu_naissance.vide())
        pm_given = not pm.designation.vide()
        # The holder must match with the store's own matching rules (docs/data.md).
        if t is SearchType.VERIF_IBAN_PP:
            rules.check_coherence(not pp_given, pm_given or not ident.vide())
            rules.check_holder_pp(pp, at.today, multidet=False)
            res = self.store.search_personnes_physiques(_criteres_pp(pp), limit=_NO_LIMIT)
            holders = {p.id for p in res.matches}
        elif t is SearchType.VERIF_IBAN_PM:
            rules.check_coherence(not pm_given, pp_given or not ident.vide())
            rules.check_designation(pm, category_required=True)
            res_pm = self.store.search_personnes_morales(_criteres_pm(pm), limit=_NO_LIMIT)
            holders = {p.id for p in res_pm.matches}
        else:
            rules.check_coherence(ident.vide(), pp_given or pm_given)
            rules.check_siret_siren(ident)
            holders = {p.id for p in self._by_identifier(ident)}

        compte = self.store.compte_by_iban(iban)
        if compte is None:
            verification = Restitution.verification(caller, VerificationCompte("0"))
            return self._no_result(
                at, "CAF011", reponses=ReponsesCompte(verification_compte=verification)
            )
        # "ibanExistant" 1 only when the IBAN exists AND belongs to the described holder
        # (holder = a "Titulaire" right, co-holders of joint accounts included).
        for droit in self.store.droits_of_compte(iban):
            if droit.droit_sur_compte == codes.DROIT_TITULAIRE and droit.personne in holders:
                verification = Restitution.verification(
                    caller, VerificationCompte("1", compte.date_cloture or None)
                )
                return self._result(
                    at, 1, reponses=ReponsesCompte(verification_compte=verification)
                )
        verification = Restitution.verification(caller, VerificationCompte("0"))
        return self._no_result(
            at, "CAF021", reponses=ReponsesCompte(verification_compte=verification)
        )

    # --- multiDet ------------------------------------------------------------------------------

    def _multi_det(self, at: Moment, caller: Caller, d: DemandeMultiDet, t: SearchType) -> Resultat:
        rules.check_flags((d.accord_client, "accordClient"))
        nature = rules.check_nature_multidet(d.code_nature)
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
            rules.check_coherence(pp.vide(), not pm.vide() or not ident.vide())
            rules.check_holder_pp(pp, at.today, multidet=True)
            rules.check_domiciliation(pp.domiciliation, france_only=False)
            res = self.store.search_personnes_physiques(_criteres_pp(pp), limit=_NO_LIMIT)
            holders: Sequence[model.PersonnePhysique | model.PersonneMorale] = res.matches
            no_result_code = "CAF013"
        elif t is SearchType.MULTIDET_PM:
            rules.check_coherence(pm.vide(), not pp.vide() or not ident.vide())
            rules.check_designation(pm, category_required=True)
            rules.check_domiciliation(pm.domiciliation, france_only=False, required=True)
            res_pm = self.store.search_personnes_morales(_criteres_pm(pm), limit=_NO_LIMIT)
            holders = res_pm.matches
            no_result_code = "CAF015"
        else:
            rules.check_coherence(ident.vide(), not pp.vide() or not pm.vide())
            rules.check_siret_siren(ident)
            holders = self._by_identifier(ident)
            no_result_code = "CAF009"
        nrep = S + "nombre_comptes" in caller.scopes
        if not holders:
            return self._no_result(at, no_result_code, n_rep="0" if nrep else None)
        # Nature 201 also finds 202 (§8.3.2 "une recherche sur la présence d'un compte de nature
        # 201 et de nature 202"). Open accounts held as "Titulaire".
        natures = codes.NATURES_EQUIVALENTES.get(nature, (nature,))
        found: dict[str, model.Compte] = {}
        for person in holders:
            for compte, droit in self._own_accounts(person.id):
                if droit.droit_sur_compte != codes.DROIT_TITULAIRE or compte.iban in found:
                    continue
                if compte.code_nature in natures and not compte.date_cloture:
                    found[compte.iban] = compte
        if not found:
            return self._no_result(at, "CAF020", n_rep="0" if nrep else None)
        comptes = None
        if d.accord_client == "1":
            comptes = [self.restitution.multidet_account(caller, c) for c in found.values()]
        return self._result(at, len(found), n_rep="1" if nrep else None, comptes=comptes)

    def _own_accounts(self, ident: str) -> tuple[tuple[model.Compte, model.Droit], ...]:
        """The accounts of a person with the person's own right on each (not those of the
        entreprise individuelle a natural person also answers for)."""
        if ident.startswith("pm:"):
            return self.store.comptes_of_personne_morale(ident)
        return tuple(
            (c, d) for c, d in self.store.comptes_of_personne_physique(ident) if d.personne == ident
        )


_NO_LIMIT = 1_000_000


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
