"""Restitution: what an answer holds of the file's records, filtered by the caller's data scopes
(CONTRACT §7.1, §4).

The large parts of answers (an account with its rights holders, a person's block, a person's
identity) depend only on the record, the caller's scopes and, for an account, the persons
searched: they are built once per store and shared by every answer that holds them
(`results.SHARED`; api/rendering.py encodes them once too), in a bounded memo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from ficoba_sandbox.backend.results import (
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
    Nature,
    PersonneRecherchePM,
    PersonneRecherchePP,
    ReponsePersonne,
    TypeCompte,
    VerificationCompte,
)
from ficoba_sandbox.data import model
from ficoba_sandbox.data.store import Store
from ficoba_sandbox.domain import codes
from ficoba_sandbox.domain.access import Caller

#: the prefix of every DataPass data scope (CONTRACT §7.1)
S = "dgfip_ficoba_"
#: shared fragments kept before the memo starts again
FRAGMENTS_MAX = 16_384

T = TypeVar("T")
Person = model.PersonnePhysique | model.PersonneMorale


def three_digits(n: int) -> str:
    """`nombreReponses`, `nombreComptes`: three digits (CONTRACT §4), at most 999."""
    return f"{min(n, 999):03d}"


class Restitution:
    """The restituted parts of the store's records, for a caller's scopes, memoised."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # keyed by the record's identity (the record is kept with the value, so the id cannot
        # be reused), the caller's scopes and, for an account, the searched persons
        self._fragments: dict[tuple[object, ...], tuple[object, Any]] = {}
        self._fragments_store = store

    def _shared(self, key: tuple[object, ...], record: object, build: Callable[[], T]) -> T:
        """`build()`, or the value built for `key` before (while `record` is the same object)."""
        cache = self._fragments
        if self._fragments_store is not self.store or len(cache) >= FRAGMENTS_MAX:
            cache.clear()  # a new store, or full: start again
            self._fragments_store = self.store
        hit = cache.get(key)
        if hit is not None and hit[0] is record:
            return hit[1]  # type: ignore[no-any-return]
        value = build()
        cache[key] = (record, value)
        return value

    # -- the parts of answers ---------------------------------------------------------------

    @staticmethod
    def verification(caller: Caller, v: VerificationCompte) -> VerificationCompte | None:
        return v if S + "restitution_verification" in caller.scopes else None

    def persons(self, caller: Caller, persons: Sequence[Person]) -> list[ReponsePersonne]:
        """The blocks of the persons that hold an account (spi, siretSiren, perPhy, perPro)."""
        blocks = (self.person(caller, p) for p in persons)
        return [block for block in blocks if block is not None]

    def person(self, caller: Caller, p: Person) -> ReponsePersonne | None:
        """A person's block, shared by every answer about `p` with the same scopes; None: `p`
        holds no account."""
        return self._shared(("reponse", id(p), caller.scopes), p, lambda: self._person(caller, p))

    def account(
        self, caller: Caller, c: model.Compte, *, searched: frozenset[str] | None
    ) -> CompteStructure:
        """An account with its rights holders, shared by every answer with the same account,
        scopes and searched persons (None: numCpte, which flags none)."""
        key = (id(c), caller.scopes, searched)
        return self._shared(key, c, lambda: self._account(caller, c, searched))

    def multidet_account(self, caller: Caller, c: model.Compte) -> CompteMultiDet:
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

    def identity_pp(self, p: model.PersonnePhysique) -> PersonneRecherchePP:
        return self._shared(("pp", id(p)), p, lambda: personne_recherche_pp(p))

    def identity_pm(self, p: model.PersonneMorale) -> PersonneRecherchePM:
        return self._shared(("pm", id(p)), p, lambda: personne_recherche_pm(p))

    # -- built afresh -----------------------------------------------------------------------

    def _person(self, caller: Caller, p: Person) -> ReponsePersonne | None:
        identified = S + "etat_civil_denomination" in caller.scopes
        identite: PersonneRecherchePP | PersonneRecherchePM | None = None
        if isinstance(p, model.PersonnePhysique):
            # An entrepreneur individuel's accounts are his too (protocol §3.5.2: DUBOIS DANIEL's
            # third account is held by the legal person "DUBOIS DANIEL", category 1000).
            comptes = _distinct(c for c, _ in self.store.comptes_of_personne_physique(p))
            if identified:
                identite = self.identity_pp(p)
        else:
            comptes = _distinct(c for c, _ in self.store.comptes_of_personne_morale(p))
            if identified:
                identite = self.identity_pm(p)
        if not comptes:
            return None
        searched = frozenset((p.id,))
        return ReponsePersonne(
            personne_recherche=identite,
            nombre_comptes=three_digits(len(comptes)),
            comptes=[self.account(caller, c, searched=searched) for c in comptes],
        )

    def _guichet(self, c: model.Compte) -> Guichet | None:
        g = self.store.guichet(c.numero_etablissement, c.numero_guichet)
        if g is None:
            return None
        lines = AdresseGuichet(
            lib_adr1=g.lib_adr1 or None,
            lib_adr2=g.lib_adr2 or None,
            lib_adr3=g.lib_adr3 or None,
            lib_adr4=g.lib_adr4 or None,
        )
        empty = not any((g.lib_adr1, g.lib_adr2, g.lib_adr3, g.lib_adr4))
        return Guichet(g.numero_guichet, g.libelle_guichet, None if empty else lines)

    def _account(
        self, caller: Caller, c: model.Compte, searched: frozenset[str] | None
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
            p = self.store.personne(droit.personne)
            if p is None:
                continue
            ayants.append(_ayant_droit(caller, droit, p, searched))
        return CompteStructure(carac, gest, ayants)


# -- pure helpers -------------------------------------------------------------------------------


def _o(v: str) -> str | None:
    """Optional text: restituted only when present (the examples omit empty optional fields)."""
    return v or None


def _ayant_droit(
    caller: Caller,
    droit: model.Droit,
    p: model.PersonnePhysique | model.PersonneMorale,
    searched: frozenset[str] | None,
) -> AyantDroit:
    sc = caller.scopes
    ident = S + "etat_civil_denomination" in sc
    dates = S + "date" in sc
    # numCpte restitutes no personneRecherchee flag (CONTRACT §3.1); the other searches do.
    flag = None if searched is None else ("1" if p.id in searched else "0")
    common = {
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
            pp = AyantDroitPP(**common)
        else:  # one constructor call (not a `replace` of the first): same value, faster
            pp = AyantDroitPP(
                **common,
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
        pm = AyantDroitPM(**common)
    else:
        pm = AyantDroitPM(
            **common,
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


def personne_recherche_pp(p: model.PersonnePhysique) -> PersonneRecherchePP:
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


def personne_recherche_pm(p: model.PersonneMorale) -> PersonneRecherchePM:
    cat = p.categorie_juridique
    return PersonneRecherchePM(
        raison_sociale=p.raison_sociale,
        sigle=_o(p.sigle),
        enseigne=_o(p.enseigne),
        siret=_o(p.siret),
        categorie_juridique=int(cat) if cat.isdigit() else None,
        siren=_o(p.siren),
    )


def _distinct(comptes: Iterable[model.Compte]) -> list[model.Compte]:
    return list({c.iban: c for c in comptes}.values())
