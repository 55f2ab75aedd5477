"""Persona files (`fixtures/personas/*.yaml`, plus user directories): hand-written people,
entities and accounts, loaded before the generated data. Format: fixtures/personas/README.md.

Validation happens at load; any problem raises `PersonaError` naming the file, the place
(`comptes[2].ayantsDroits[0].personne`) and the reason, and stops the start.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
    camel_case,
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
    # The files spell keys as the protocol does (`nomNaissance`, `ayantsDroits`): each field's
    # alias is its camelCase form, and only the alias is accepted (`extra="forbid"` refuses
    # `nom_naissance`), so error places name the key the author wrote.
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=False,
        coerce_numbers_to_str=True,
        alias_generator=camel_case,
    )


class AdresseIn(_Base):
    code_pays_residence: _Str = "99100"
    libelle_pays_residence: _Str | None = None
    code_departement_residence: _Str = ""
    libelle_departement_residence: _Str | None = None
    code_commune_residence: _Str = ""
    libelle_commune_residence: _Str | None = None
    numero_voie: _Str = ""
    indice_repetition: _Str = ""
    code_nature_voie: _Str = ""
    libelle_voie: _Str = ""
    libelle_compl_adr: _Str = ""
    code_postal: _Str = ""
    indicateur_codif_adresse: _Str = ""

    @field_validator("code_nature_voie")
    @classmethod
    def _voie(cls, v: str) -> str:
        if v and v not in codes.NATURES_VOIE:
            raise ValueError(f"unknown codeNatureVoie {v!r} (protocol Annex 7)")
        return v


class PersonnePhysiqueIn(_Base):
    id: _Str
    nom_naissance: _Str
    nom_usage: _Str = ""
    prenoms: _Str
    sexe: Literal["1", "2", "3", "4"]
    annee_naissance: _Str = Field(pattern=r"^\d{4}$")
    mois_naissance: _Str = Field("", pattern=r"^(\d{1,2})?$")
    jour_naissance: _Str = Field("", pattern=r"^(\d{1,2})?$")
    code_pays_naissance: _Str = "99100"
    libelle_pays_naissance: _Str | None = None
    code_departement_naissance: _Str = ""
    libelle_departement_naissance: _Str | None = None
    code_commune_naissance: _Str = ""
    libelle_commune_naissance: _Str | None = None
    date_deces: _Str = ""
    numero_spi: _Str = Field("", pattern=r"^(\d{10}|\d{13})?$")
    adresse: AdresseIn | None = None


class PersonneMoraleIn(_Base):
    id: _Str
    raison_sociale: _Str
    sigle: _Str = ""
    enseigne: _Str = ""
    siren: _Str = Field("", pattern=r"^(\d{9})?$")
    siret: _Str = Field("", pattern=r"^(\d{14})?$")
    categorie_juridique: _Str = Field(pattern=r"^\d{4}$")
    type_repertoire: _Str = ""
    numero_rna: _Str = ""
    numero_copro: _Str = ""
    numero_lei: _Str = ""
    adresse: AdresseIn | None = None
    entrepreneur: _Str = ""


class BanqueIn(_Base):
    numero_etablissement: _Str = Field(pattern=r"^\d{5}$")
    libelle_etablissement: _Str
    bic_etablissement: _Str


class GuichetIn(_Base):
    numero_etablissement: _Str = Field(pattern=r"^\d{5}$")
    numero_guichet: _Str = Field(pattern=r"^\d{5}$")
    libelle_guichet: _Str
    lib_adr1: _Str = ""
    lib_adr2: _Str = ""
    lib_adr3: _Str = ""
    lib_adr4: _Str = ""


class DroitIn(_Base):
    personne: _Str  # "pp:<id>" or "pm:<id>" of a persona of any loaded file
    droit_sur_compte: _Str = "1"
    date_debut_droit: _Str
    date_fin_droit: _Str = ""
    date_maj: _Str = ""
    avec_adresse: bool | None = None

    @field_validator("droit_sur_compte")
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
    date_ouverture: _Str
    date_fiscale: _Str = ""
    code_motif_ouverture: Literal["0", "1", "2", "3"] = "0"
    date_cloture: _Str = ""
    code_nature: int
    code_type: Literal[1, 2, 3, 4] = 1
    format_compte: _Str = "IBAN"
    code_caracteristique: Literal[1, 2] = 1
    succession: Literal["0", "1"] = "0"
    resident: Literal["0", "1"] = "0"
    code_devise: _Str = "EUR"
    numero_etablissement: _Str | None = None  # default: from the IBAN
    numero_guichet: _Str | None = None
    ayants_droits: list[DroitIn] = Field(default_factory=list)

    @field_validator("code_nature")
    @classmethod
    def _nature(cls, v: int) -> int:
        if v not in codes.NATURES:
            raise ValueError(f"unknown codeNature {v} (protocol Annex 1)")
        return v


class PersonaFile(_Base):
    description: _Str = ""
    banques: list[BanqueIn] = Field(default_factory=list)
    guichets: list[GuichetIn] = Field(default_factory=list)
    personnes_physiques: list[PersonnePhysiqueIn] = Field(default_factory=list)
    personnes_morales: list[PersonneMoraleIn] = Field(default_factory=list)
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


def default_personas_dir() -> Path | None:
    """The shipped personas: `$FICOBA_SANDBOX_PERSONAS` if set, else the package's `personas/`.

    In a checkout `src/ficoba_sandbox/personas` is a symlink to `<repo>/fixtures/personas`; a
    built wheel holds real copies, so an installed package (the pytest plugin in an integrator's
    project, the Docker image) has the protocol personas too. None if absent."""
    env = os.environ.get("FICOBA_SANDBOX_PERSONAS")
    if env:
        return Path(env)
    candidate = Path(__file__).resolve().parent.parent / "personas"
    return candidate if candidate.is_dir() else None


def persona_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise PersonaError(d, "-", "personas directory not found")
        files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")))
    return files


def _place(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


def _labels(
    path: Path,
    place: str,
    where: str,
    codes: tuple[str, str, str],
    given: tuple[str | None, str | None, str | None],
    *,
    forceable: bool,
) -> tuple[str, str, str]:
    """The country, département and commune labels of a place (`where`: "Naissance" or
    "Residence", as the wire names its fields): each given label as written, the others from the
    INSEE codes, which must be known. A commune outside the INSEE list is accepted with its label
    given only where `forceable`."""
    pays_code, dep_code, com_code = codes
    pays_label, dep_label, com_label = given
    pays = insee.pays(pays_code)
    if pays is None:
        raise PersonaError(path, f"{place}.codePays{where}", f"unknown INSEE country {pays_code!r}")
    if com_code:
        found = insee.commune(dep_code, com_code)
        if found is None and not (forceable and com_label is not None):
            reason = (
                f"unknown INSEE commune (give libelleCommune{where} to force it)"
                if forceable
                else f"unknown INSEE commune {dep_code}{com_code}"
            )
            raise PersonaError(path, f"{place}.codeCommune{where}", reason)
        if com_label is None and found is not None:
            com_label = insee.libelle_commune_ficoba(found)
    if dep_code and dep_label is None:
        dep_label = insee.libelle_departement_ficoba(dep_code) or ""
    return pays if pays_label is None else pays_label, dep_label or "", com_label or ""


def _adresse(a: AdresseIn | None, path: Path, place: str) -> Adresse | None:
    if a is None:
        return None
    pays, dep, com = _labels(
        path,
        place,
        "Residence",
        (a.code_pays_residence, a.code_departement_residence, a.code_commune_residence),
        (a.libelle_pays_residence, a.libelle_departement_residence, a.libelle_commune_residence),
        forceable=False,
    )
    labels = {
        "libelle_pays_residence": pays,
        "libelle_departement_residence": dep,
        "libelle_commune_residence": com,
    }
    return Adresse(**(a.model_dump() | labels))


def _claim(ids: dict[str, Path], pid: str, path: Path, place: str) -> None:
    """Record that `path` defines the person or entity `pid`; ids are unique over all files."""
    if pid in ids:
        raise PersonaError(path, place + ".id", f"duplicate id {pid[3:]!r} (also in {ids[pid]})")
    ids[pid] = path


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
            out.banques.append(Banque(**b.model_dump()))
        for gu in doc.guichets:
            out.guichets.append(Guichet(**gu.model_dump()))
        for i, p in enumerate(doc.personnes_physiques):
            place = f"personnesPhysiques[{i}]"
            pid = "pp:" + p.id
            _claim(ids, pid, path, place)
            # A birth commune outside the INSEE list is accepted with its label: some protocol
            # examples print such codes (BLANGY NOAH, Paris "100").
            pays, dep, com = _labels(
                path,
                place,
                "Naissance",
                (p.code_pays_naissance, p.code_departement_naissance, p.code_commune_naissance),
                (
                    p.libelle_pays_naissance,
                    p.libelle_departement_naissance,
                    p.libelle_commune_naissance,
                ),
                forceable=True,
            )
            labels = {
                "libelle_pays_naissance": pays,
                "libelle_departement_naissance": dep,
                "libelle_commune_naissance": com,
            }
            out.personnes_physiques.append(
                PersonnePhysique(
                    id=pid,
                    adresse=_adresse(p.adresse, path, place + ".adresse"),
                    persona=stem,
                    **(p.model_dump(exclude={"id", "adresse"}) | labels),
                )
            )
        for i, m in enumerate(doc.personnes_morales):
            place = f"personnesMorales[{i}]"
            pid = "pm:" + m.id
            _claim(ids, pid, path, place)
            if m.entrepreneur:
                pending.append((path, place + ".entrepreneur", "pp:" + m.entrepreneur))
            out.personnes_morales.append(
                PersonneMorale(
                    id=pid,
                    adresse=_adresse(m.adresse, path, place + ".adresse"),
                    entrepreneur="pp:" + m.entrepreneur if m.entrepreneur else "",
                    persona=stem,
                    **m.model_dump(exclude={"id", "adresse", "entrepreneur"}),
                )
            )
        for i, c in enumerate(doc.comptes):
            place = f"comptes[{i}]"
            if c.iban in ibans:
                raise PersonaError(
                    path, place + ".iban", f"duplicate IBAN (also in {ibans[c.iban]})"
                )
            ibans[c.iban] = path
            # bank and branch default to the IBAN's
            out.comptes.append(
                Compte(
                    numero_etablissement=c.numero_etablissement or c.iban[4:9],
                    numero_guichet=c.numero_guichet or c.iban[9:14],
                    persona=stem,
                    **c.model_dump(
                        exclude={"numero_etablissement", "numero_guichet", "ayants_droits"}
                    ),
                )
            )
            for j, d in enumerate(c.ayants_droits):
                dplace = f"{place}.ayantsDroits[{j}].personne"
                if not d.personne.startswith(("pp:", "pm:")):
                    raise PersonaError(path, dplace, "must be 'pp:<id>' or 'pm:<id>'")
                pending.append((path, dplace, d.personne))
                avec = d.avec_adresse
                if avec is None:  # the examples print no address for powers of attorney
                    avec = d.droit_sur_compte != codes.DROIT_PROCURATION
                out.droits.append(
                    Droit(iban=c.iban, avec_adresse=avec, **d.model_dump(exclude={"avec_adresse"}))
                )
    for path, place, pid in pending:
        if pid not in ids:
            raise PersonaError(path, place, f"unknown person {pid!r}")
    return out
