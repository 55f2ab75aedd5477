"""Persona files (`fixtures/personas/*.yaml`, plus user directories): hand-written people,
entities and accounts, loaded before the generated data. Format: fixtures/personas/README.md.

Validation happens at load; any problem raises `PersonaError` naming the file, the place
(`comptes[2].ayantsDroits[0].personne`) and the reason, and stops the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ficoba_sandbox.data.model import (
    Adresse,
    Banque,
    Compte,
    Droit,
    Guichet,
    PersonneMorale,
    PersonnePhysique,
)
from ficoba_sandbox.domain import codes, insee

#: the C (libyaml) safe loader when PyYAML was built with it, else the pure-Python one
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PersonaError(ValueError):
    """A persona file is invalid: `str(err)` is "<file>: <place>: <reason>"."""

    def __init__(self, path: Path | str, place: str, reason: str) -> None:
        super().__init__(f"{path}: {place}: {reason}")
        self.path, self.place, self.reason = str(path), place, reason


_Str = str


class _Base(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=False, coerce_numbers_to_str=True
    )


class AdresseIn(_Base):
    codePaysResidence: _Str = "99100"
    libellePaysResidence: _Str | None = None
    codeDepartementResidence: _Str = ""
    libelleDepartementResidence: _Str | None = None
    codeCommuneResidence: _Str = ""
    libelleCommuneResidence: _Str | None = None
    numeroVoie: _Str = ""
    indiceRepetition: _Str = ""
    codeNatureVoie: _Str = ""
    libelleVoie: _Str = ""
    libelleComplAdr: _Str = ""
    codePostal: _Str = ""
    indicateurCodifAdresse: _Str = ""

    @field_validator("codeNatureVoie")
    @classmethod
    def _voie(cls, v: str) -> str:
        if v and v not in codes.NATURES_VOIE:
            raise ValueError(f"unknown codeNatureVoie {v!r} (protocol Annex 7)")
        return v


class PersonnePhysiqueIn(_Base):
    id: _Str
    nomNaissance: _Str
    nomUsage: _Str = ""
    prenoms: _Str
    sexe: Literal["1", "2", "3", "4"]
    anneeNaissance: _Str = Field(pattern=r"^\d{4}$")
    moisNaissance: _Str = Field("", pattern=r"^(\d{1,2})?$")
    jourNaissance: _Str = Field("", pattern=r"^(\d{1,2})?$")
    codePaysNaissance: _Str = "99100"
    libellePaysNaissance: _Str | None = None
    codeDepartementNaissance: _Str = ""
    libelleDepartementNaissance: _Str | None = None
    codeCommuneNaissance: _Str = ""
    libelleCommuneNaissance: _Str | None = None
    dateDeces: _Str = ""
    numeroSpi: _Str = Field("", pattern=r"^(\d{10}|\d{13})?$")
    adresse: AdresseIn | None = None


class PersonneMoraleIn(_Base):
    id: _Str
    raisonSociale: _Str
    sigle: _Str = ""
    enseigne: _Str = ""
    siren: _Str = Field("", pattern=r"^(\d{9})?$")
    siret: _Str = Field("", pattern=r"^(\d{14})?$")
    categorieJuridique: _Str = Field(pattern=r"^\d{4}$")
    typeRepertoire: _Str = ""
    numeroRna: _Str = ""
    numeroCopro: _Str = ""
    numeroLei: _Str = ""
    adresse: AdresseIn | None = None
    entrepreneur: _Str = ""


class BanqueIn(_Base):
    numeroEtablissement: _Str = Field(pattern=r"^\d{5}$")
    libelleEtablissement: _Str
    bicEtablissement: _Str


class GuichetIn(_Base):
    numeroEtablissement: _Str = Field(pattern=r"^\d{5}$")
    numeroGuichet: _Str = Field(pattern=r"^\d{5}$")
    libelleGuichet: _Str
    libAdr1: _Str = ""
    libAdr2: _Str = ""
    libAdr3: _Str = ""
    libAdr4: _Str = ""


class DroitIn(_Base):
    personne: _Str  # "pp:<id>" or "pm:<id>" of a persona of any loaded file
    droitSurCompte: _Str = "1"
    dateDebutDroit: _Str
    dateFinDroit: _Str = ""
    dateMaj: _Str = ""
    avecAdresse: bool | None = None

    @field_validator("droitSurCompte")
    @classmethod
    def _droit(cls, v: str) -> str:
        labels = {label: code for code, label in codes.DROITS.items()}
        v = labels.get(v, v)
        if v not in codes.DROITS:
            raise ValueError(
                f"unknown droitSurCompte {v!r}: one of {sorted(codes.DROITS)} or their labels"
            )
        return v


class CompteIn(_Base):
    iban: _Str = Field(pattern=r"^F[RC]\d{2}[0-9A-Z]{23}$")
    dateOuverture: _Str
    dateFiscale: _Str = ""
    codeMotifOuverture: Literal["0", "1", "2", "3"] = "0"
    dateCloture: _Str = ""
    codeNature: int
    codeType: Literal[1, 2, 3, 4] = 1
    formatCompte: _Str = "IBAN"
    codeCaracteristique: Literal[1, 2] = 1
    succession: Literal["0", "1"] = "0"
    resident: Literal["0", "1"] = "0"
    codeDevise: _Str = "EUR"
    numeroEtablissement: _Str | None = None  # default: from the IBAN
    numeroGuichet: _Str | None = None
    ayantsDroits: list[DroitIn] = Field(default_factory=list)

    @field_validator("codeNature")
    @classmethod
    def _nature(cls, v: int) -> int:
        if v not in codes.NATURES:
            raise ValueError(f"unknown codeNature {v} (protocol Annex 1)")
        return v


class PersonaFile(_Base):
    description: _Str = ""
    banques: list[BanqueIn] = Field(default_factory=list)
    guichets: list[GuichetIn] = Field(default_factory=list)
    personnesPhysiques: list[PersonnePhysiqueIn] = Field(default_factory=list)
    personnesMorales: list[PersonneMoraleIn] = Field(default_factory=list)
    comptes: list[CompteIn] = Field(default_factory=list)


@dataclass
class Personas:
    banques: list[Banque] = field(default_factory=list)
    guichets: list[Guichet] = field(default_factory=list)
    personnes_physiques: list[PersonnePhysique] = field(default_factory=list)
    personnes_morales: list[PersonneMorale] = field(default_factory=list)
    comptes: list[Compte] = field(default_factory=list)
    droits: list[Droit] = field(default_factory=list)
    sources: list[tuple[str, bytes]] = field(
        default_factory=list
    )  # (name, content) for the cache key


def persona_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise PersonaError(d, "-", "personas directory not found")
        files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")))
    return files


def _place(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


def _adresse(a: AdresseIn | None, path: Path, place: str) -> Adresse | None:
    if a is None:
        return None
    pays = insee.pays(a.codePaysResidence)
    if pays is None:
        raise PersonaError(
            path, place + ".codePaysResidence", f"unknown INSEE country {a.codePaysResidence!r}"
        )
    dep_label = a.libelleDepartementResidence
    com_label = a.libelleCommuneResidence
    if a.codeCommuneResidence:
        found = insee.commune(a.codeDepartementResidence, a.codeCommuneResidence)
        if found is None:
            raise PersonaError(
                path,
                place + ".codeCommuneResidence",
                f"unknown INSEE commune {a.codeDepartementResidence}{a.codeCommuneResidence}",
            )
        com_label = com_label if com_label is not None else insee.libelle_commune_ficoba(found)
    if a.codeDepartementResidence and dep_label is None:
        dep_label = insee.libelle_departement_ficoba(a.codeDepartementResidence) or ""
    return Adresse(
        codePaysResidence=a.codePaysResidence,
        libellePaysResidence=a.libellePaysResidence if a.libellePaysResidence is not None else pays,
        codeDepartementResidence=a.codeDepartementResidence,
        libelleDepartementResidence=dep_label or "",
        codeCommuneResidence=a.codeCommuneResidence,
        libelleCommuneResidence=com_label or "",
        numeroVoie=a.numeroVoie,
        indiceRepetition=a.indiceRepetition,
        codeNatureVoie=a.codeNatureVoie,
        libelleVoie=a.libelleVoie,
        libelleComplAdr=a.libelleComplAdr,
        codePostal=a.codePostal,
        indicateurCodifAdresse=a.indicateurCodifAdresse,
    )


def load_personas(dirs: Sequence[Path]) -> Personas:
    """Load and validate every persona file of `dirs` (sorted by name within a directory)."""
    out = Personas()
    ids: dict[str, Path] = {}
    ibans: dict[str, Path] = {}
    pending: list[tuple[Path, str, str]] = []  # (file, place, person id) checked at the end
    for path in persona_files(dirs):
        content = path.read_bytes()
        out.sources.append((path.name, content))
        try:
            # libyaml when PyYAML has it (its wheels do): 15x faster, a tenth of a cold start
            raw = yaml.load(content, Loader=_LOADER) or {}  # a safe loader, C or Python
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
            raise PersonaError(
                path, place, f"invalid YAML: {getattr(exc, 'problem', exc)}"
            ) from None
        if not isinstance(raw, dict):
            raise PersonaError(path, "-", "the file must hold a mapping at top level")
        try:
            doc = PersonaFile.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise PersonaError(path, _place(err["loc"]), err["msg"]) from None
        stem = path.stem
        for b in doc.banques:
            out.banques.append(
                Banque(b.numeroEtablissement, b.libelleEtablissement, b.bicEtablissement)
            )
        for gu in doc.guichets:
            out.guichets.append(Guichet(**gu.model_dump()))
        for i, p in enumerate(doc.personnesPhysiques):
            place = f"personnesPhysiques[{i}]"
            pid = "pp:" + p.id
            if pid in ids:
                raise PersonaError(
                    path, place + ".id", f"duplicate id {p.id!r} (also in {ids[pid]})"
                )
            ids[pid] = path
            pays = insee.pays(p.codePaysNaissance)
            if pays is None:
                raise PersonaError(
                    path,
                    place + ".codePaysNaissance",
                    f"unknown INSEE country {p.codePaysNaissance!r}",
                )
            dep_label, com_label = p.libelleDepartementNaissance, p.libelleCommuneNaissance
            if p.codeCommuneNaissance:
                found = insee.commune(p.codeDepartementNaissance, p.codeCommuneNaissance)
                # A code outside the INSEE list is accepted only with explicit labels: some
                # protocol examples print such codes (BLANGY NOAH, Paris "100").
                if found is None and com_label is None:
                    raise PersonaError(
                        path,
                        place + ".codeCommuneNaissance",
                        "unknown INSEE commune (give libelleCommuneNaissance to force it)",
                    )
                if com_label is None and found is not None:
                    com_label = insee.libelle_commune_ficoba(found)
            if p.codeDepartementNaissance and dep_label is None:
                dep_label = insee.libelle_departement_ficoba(p.codeDepartementNaissance) or ""
            out.personnes_physiques.append(
                PersonnePhysique(
                    id=pid,
                    nomNaissance=p.nomNaissance,
                    nomUsage=p.nomUsage,
                    prenoms=p.prenoms,
                    sexe=p.sexe,
                    anneeNaissance=p.anneeNaissance,
                    moisNaissance=p.moisNaissance,
                    jourNaissance=p.jourNaissance,
                    codePaysNaissance=p.codePaysNaissance,
                    libellePaysNaissance=p.libellePaysNaissance
                    if p.libellePaysNaissance is not None
                    else pays,
                    codeDepartementNaissance=p.codeDepartementNaissance,
                    libelleDepartementNaissance=dep_label or "",
                    codeCommuneNaissance=p.codeCommuneNaissance,
                    libelleCommuneNaissance=com_label or "",
                    dateDeces=p.dateDeces,
                    numeroSpi=p.numeroSpi,
                    adresse=_adresse(p.adresse, path, place + ".adresse"),
                    persona=stem,
                )
            )
        for i, m in enumerate(doc.personnesMorales):
            place = f"personnesMorales[{i}]"
            pid = "pm:" + m.id
            if pid in ids:
                raise PersonaError(
                    path, place + ".id", f"duplicate id {m.id!r} (also in {ids[pid]})"
                )
            ids[pid] = path
            if m.entrepreneur:
                pending.append((path, place + ".entrepreneur", "pp:" + m.entrepreneur))
            data = m.model_dump(exclude={"id", "adresse", "entrepreneur"})
            out.personnes_morales.append(
                PersonneMorale(
                    id=pid,
                    adresse=_adresse(m.adresse, path, place + ".adresse"),
                    entrepreneur="pp:" + m.entrepreneur if m.entrepreneur else "",
                    persona=stem,
                    **data,
                )
            )
        for i, c in enumerate(doc.comptes):
            place = f"comptes[{i}]"
            if c.iban in ibans:
                raise PersonaError(
                    path, place + ".iban", f"duplicate IBAN (also in {ibans[c.iban]})"
                )
            ibans[c.iban] = path
            out.comptes.append(
                Compte(
                    iban=c.iban,
                    dateOuverture=c.dateOuverture,
                    codeNature=c.codeNature,
                    codeType=c.codeType,
                    numeroEtablissement=c.numeroEtablissement or c.iban[4:9],
                    numeroGuichet=c.numeroGuichet or c.iban[9:14],
                    dateFiscale=c.dateFiscale,
                    codeMotifOuverture=c.codeMotifOuverture,
                    dateCloture=c.dateCloture,
                    formatCompte=c.formatCompte,
                    codeCaracteristique=c.codeCaracteristique,
                    succession=c.succession,
                    resident=c.resident,
                    codeDevise=c.codeDevise,
                    persona=stem,
                )
            )
            for j, d in enumerate(c.ayantsDroits):
                dplace = f"{place}.ayantsDroits[{j}].personne"
                if not d.personne.startswith(("pp:", "pm:")):
                    raise PersonaError(path, dplace, "must be 'pp:<id>' or 'pm:<id>'")
                pending.append((path, dplace, d.personne))
                avec = d.avecAdresse
                if avec is None:
                    avec = d.droitSurCompte != codes.DROIT_PROCURATION
                out.droits.append(
                    Droit(
                        iban=c.iban,
                        personne=d.personne,
                        droitSurCompte=d.droitSurCompte,
                        dateDebutDroit=d.dateDebutDroit,
                        dateFinDroit=d.dateFinDroit,
                        dateMaj=d.dateMaj,
                        avecAdresse=avec,
                    )
                )
    for path, place, pid in pending:
        if pid not in ids:
            raise PersonaError(path, place, f"unknown person {pid!r}")
    return out
