"""Harvest the protocol's example responses into fixtures/personas/protocole.yaml.

    python scripts/personas_from_examples.py [protocol.txt] > fixtures/personas/protocole.yaml

The protocol's text defaults to docs/reference/protocole-technique-ficoba3-v11.txt (its source
is in docs/reference/README.md).

Reads the JSON examples printed in the protocol text (v11), collects every natural person, legal
entity, bank, branch and account they show, with exactly the values printed (labels included),
and writes them in the persona format (fixtures/personas/README.md). Request-only examples
(no response printed) are covered by the hand-written `protocole-complements.yaml`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

DEFAULT = Path(__file__).resolve().parents[1] / "docs/reference/protocole-technique-ficoba3-v11.txt"
DROITS = {
    "Titulaire": "1",
    "Procuration": "2",
    "Mandataire": "6",
    "ETCI EI": "8",
    "Bénéficiaire effectif": "9",
}


def examples(text: str) -> list[dict]:
    lines = [
        ln
        for ln in text.splitlines()
        if not re.match(r"^\s*\d+\s*$", ln) and not ln.startswith("=== PAGE")
    ]
    s = "\n".join(lines)
    out, i, n = [], 0, len(s)
    while i < n:
        if s[i] == "{":
            depth, j, in_str = 0, i, False
            while j < n:
                c = s[j]
                if c == '"':
                    in_str = not in_str
                elif not in_str:
                    depth += (c == "{") - (c == "}")
                    if depth == 0:
                        break
                j += 1
            try:
                obj = json.loads(s[i : j + 1])
            except ValueError:
                i += 1
                continue
            if isinstance(obj, dict) and "caracteristiquesDemande" in obj:
                out.append(obj)
            i = j + 1
            continue
        i += 1
    return out


def slug(*parts: str) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p)


class Harvest:
    def __init__(self) -> None:
        self.pp: dict[tuple, dict] = {}
        self.pm: dict[str, dict] = {}
        self.banques: dict[str, dict] = {}
        self.guichets: dict[tuple, dict] = {}
        self.comptes: dict[str, dict] = {}

    def person_pp(self, p: dict, adresse: dict | None) -> str:
        annee = p.get("anneNaissance") or p.get("anneeNaissance") or ""
        prenoms = p.get("prenoms") or p.get("prenom") or ""
        key = (
            p["nomNaissance"],
            prenoms,
            annee,
            p.get("moisNaissance", ""),
            p.get("jourNaissance", ""),
        )
        rec = self.pp.setdefault(key, {"id": slug(p["nomNaissance"], prenoms)})
        fields = {
            "nomNaissance": p["nomNaissance"],
            "nomUsage": p.get("nomUsage"),
            "prenoms": prenoms,
            "sexe": p.get("sexe"),
            "anneeNaissance": annee,
            "moisNaissance": p.get("moisNaissance"),
            "jourNaissance": p.get("jourNaissance"),
            "codePaysNaissance": p.get("codePaysNaissance")
            or (p.get("paysNaissance") or {}).get("codePays"),
            "libellePaysNaissance": p.get("libellePaysNaissance")
            or (p.get("paysNaissance") or {}).get("libellePays"),
            "codeDepartementNaissance": p.get("codeDepartementNaissance")
            or (p.get("departementNaissance") or {}).get("codeDepartement"),
            "libelleDepartementNaissance": p.get("libelleDepartementNaissance")
            or (p.get("departementNaissance") or {}).get("libelleDepartement"),
            "codeCommuneNaissance": p.get("codeCommuneNaissance")
            or (p.get("communeNaissance") or {}).get("codeCommune"),
            "libelleCommuneNaissance": p.get("libelleCommuneNaissance")
            or (p.get("communeNaissance") or {}).get("libelleCommune"),
            "dateDeces": p.get("dateDeces"),
        }
        for k, v in fields.items():
            if v not in (None, "") and k not in rec:
                rec[k] = v
        if adresse and "adresse" not in rec:
            rec["adresse"] = adresse
        return "pp:" + rec["id"]

    def person_pm(self, p: dict, adresse: dict | None) -> str:
        key = p.get("siret") or p["raisonSociale"]
        rec = self.pm.setdefault(key, {"id": slug(p["raisonSociale"], p.get("siret", ""))})
        for k in (
            "raisonSociale",
            "sigle",
            "enseigne",
            "siren",
            "siret",
            "categorieJuridique",
            "typeRepertoire",
            "numeroRna",
            "numeroCopro",
            "numeroLei",
        ):
            v = p.get(k)
            if v not in (None, "") and k not in rec:
                rec[k] = str(v)
        if "siret" in rec and "siren" not in rec:
            rec["siren"] = rec["siret"][:9]
        if adresse and "adresse" not in rec:
            rec["adresse"] = adresse
        return "pm:" + rec["id"]

    def etab(self, code: str, guichet: dict, etab: dict | None) -> None:
        if etab:
            self.banques.setdefault(code, dict(etab))
        g = {
            "numeroEtablissement": code,
            "numeroGuichet": guichet["numeroGuichet"],
            "libelleGuichet": guichet["libelleGuichet"],
            **(guichet.get("adresse") or {}),
        }
        self.guichets.setdefault((code, guichet["numeroGuichet"]), g)

    def compte(self, c: dict, banque: str, guichet: str) -> dict:
        rec = self.comptes.setdefault(c["iban"], {"iban": c["iban"], "ayantsDroits": []})
        for k in (
            "dateOuverture",
            "dateFiscale",
            "codeMotifOuverture",
            "dateCloture",
            "formatCompte",
            "succession",
            "resident",
        ):
            if k in c and k not in rec:
                rec[k] = c[k]
        if isinstance(c.get("nature"), dict):
            rec.setdefault("codeNature", c["nature"]["codeNature"])
        elif c.get("nature"):
            rec.setdefault("codeNature", int(c["nature"]))
        if "type" in c:
            rec.setdefault("codeType", c["type"]["codeType"])
        if "caracteristique" in c:
            rec.setdefault("codeCaracteristique", c["caracteristique"]["codeCaracteristique"])
        if "devise" in c:
            rec.setdefault("codeDevise", c["devise"]["codeDevise"])
        rec.setdefault("numeroEtablissement", banque)
        rec.setdefault("numeroGuichet", guichet)
        return rec

    def droit(self, compte: dict, personne: str, d: dict, avec_adresse: bool) -> None:
        if any(x["personne"] == personne for x in compte["ayantsDroits"]):
            return
        compte["ayantsDroits"].append(
            {
                "personne": personne,
                "droitSurCompte": d.get("droitSurCompte", "Titulaire"),
                "dateDebutDroit": d.get("dateDebutDroit", ""),
                "dateFinDroit": d.get("dateFinDroit", ""),
                "dateMaj": d.get("dateMaj", ""),
                "avecAdresse": avec_adresse,
            }
        )

    def structure(self, cs: dict) -> None:
        e = cs["etablissementGestionnaire"]
        code = e["etablissement"]["numeroEtablissement"]
        self.etab(code, e["guichet"], e["etablissement"])
        compte = self.compte(cs["caracteristiqueCompte"], code, e["guichet"]["numeroGuichet"])
        for ad in cs.get("ayantsDroits", []):
            adresse = ad.get("adresse")
            if "personnePhysique" in ad:
                pid = self.person_pp(ad["personnePhysique"], adresse)
                self.droit(compte, pid, ad["personnePhysique"], adresse is not None)
            else:
                pid = self.person_pm(ad["personneMorale"], adresse)
                self.droit(compte, pid, ad["personneMorale"], adresse is not None)

    def response(self, ex: dict) -> None:
        crit = ex["caracteristiquesDemande"].get("criteresRecherche", {})
        rep = ex.get("reponses")
        if isinstance(rep, dict):
            for cs in rep.get("comptes", []):
                self.structure(cs)
        elif isinstance(rep, list):
            for r in rep:
                for cs in r.get("comptes", []):
                    self.structure(cs)
                pr = r.get("personneRecherche", {})
                if "nomNaissance" in pr:
                    pid = self.person_pp(pr, None)
                    if crit.get("numeroSPI"):
                        rec = next(v for v in self.pp.values() if "pp:" + v["id"] == pid)
                        rec["numeroSpi"] = crit["numeroSPI"]
                elif "raisonSociale" in pr:
                    self.person_pm(pr, None)
        for c in ex.get("comptes", []):  # multiDet
            self.etab(c["codeEtab"], c["guichet"], None)
            compte = self.compte(c, c["codeEtab"], c["guichet"]["numeroGuichet"])
            holder = None
            if crit.get("recherchePP") == "1":
                ec = crit["criteresRecherchePhy"]["etatCivil"]
                lieu = crit["criteresRecherchePhy"].get("lieuNaissance") or {}
                holder = self.person_pp(
                    {
                        "nomNaissance": ec["nom"],
                        "prenoms": ec["prenoms"],
                        "sexe": ec.get("sexe"),
                        "anneNaissance": ec["anneeNaissance"],
                        "moisNaissance": ec["moisNaissance"],
                        "jourNaissance": ec["jourNaissance"],
                        **lieu,
                    },
                    None,
                )
            elif crit.get("recherchePM") == "1":
                d = crit["criteresRecherchePro"]["designation"]
                holder = self.person_pm(
                    {
                        "raisonSociale": d["raisonSociale"],
                        "categorieJuridique": d.get("codeCategorieJuridique"),
                    },
                    None,
                )
            elif crit.get("rechercheSIRENSIRET") == "1":
                s = crit["criteresSiretSiren"]
                match = [
                    v
                    for v in self.pm.values()
                    if v.get("siret") == s.get("siret") or v.get("siren") == s.get("siren")
                ]
                if match:
                    holder = "pm:" + match[0]["id"]
            if holder:
                self.droit(
                    compte,
                    holder,
                    {"dateDebutDroit": c["dateOuverture"], "dateMaj": c["dateOuverture"]},
                    True,
                )


def main() -> None:
    text = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT).read_text(encoding="utf-8")
    h = Harvest()
    for ex in examples(text):
        h.response(ex)
    # Facts the examples state across several requests: AEROLINK TECH (multiDet PM, 5520, Paris 8e)
    # is the holder the SIRET 34567890123456 multiDet example finds (same IBAN in both answers).
    for pm in h.pm.values():
        if pm["raisonSociale"] == "AEROLINK TECH":
            pm.update(siren="345678901", siret="34567890123456", categorieJuridique="5520")
            pm.setdefault(
                "adresse",
                {
                    "codePaysResidence": "99100",
                    "codeDepartementResidence": "75",
                    "codeCommuneResidence": "108",
                    "codePostal": "75008",
                },
            )
    # Entrepreneurs individuels whose raison sociale is "NOM PRENOM" of a known natural person.
    for pm in h.pm.values():
        if pm.get("categorieJuridique") == "1000":
            for pp in h.pp.values():
                if pm["raisonSociale"] == f"{pp['nomNaissance']} {pp['prenoms']}":
                    pm["entrepreneur"] = pp["id"]
    doc = {
        "description": "Personas of the protocol v11 examples, harvested by scripts/personas_from_examples.py",
        "banques": list(h.banques.values()),
        "guichets": list(h.guichets.values()),
        "personnesPhysiques": list(h.pp.values()),
        "personnesMorales": list(h.pm.values()),
        "comptes": list(h.comptes.values()),
    }
    sys.stdout.write(
        "# Generated by scripts/personas_from_examples.py from the protocol v11 examples.\n"
    )
    sys.stdout.write(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120))


if __name__ == "__main__":
    main()
