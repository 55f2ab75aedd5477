"""Every request-dependent code of CONTRACT §6.3 on the resources it applies to, both prefixes:
HTTP status, `erreur.code`, message wording; "no result" codes in `messageInformatif` with 200."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

import pytest

from ficoba_sandbox.domain.errors import ALL_CODES
from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES
from ficoba_sandbox.domain.identifiers import build_fr_iban

from .helpers import NOW, PREFIXES, headers

UNKNOWN_IBAN = build_fr_iban("30004", "00955", "00000000000")
HORODATAGE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

NUM = REQUEST_EXAMPLES["numCpte"]["compte"]
SPI = REQUEST_EXAMPLES["spi"]["spi"]
SIR = REQUEST_EXAMPLES["siretSiren"]["siret"]
PRO = REQUEST_EXAMPLES["perPro"]["designation"]
PHY = REQUEST_EXAMPLES["perPhy"]["intervalle"]
VPP = REQUEST_EXAMPLES["verifIban"]["personnePhysique"]
VSI = REQUEST_EXAMPLES["verifIban"]["siret"]
MPP = REQUEST_EXAMPLES["multiDet"]["personnePhysique"]
MSI = REQUEST_EXAMPLES["multiDet"]["siren"]


def patch(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`patch(body, "criteresRecherche.etatCivil.nom", "X")`; value `DEL` removes the key."""
    out = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[p]
    if value is DEL:
        node.pop(last, None)
    else:
        node[last] = value
    return out


DEL = object()
C = "criteresRecherche"
EC = f"{C}.etatCivil"
PHY_EXACT = patch(
    patch(
        patch(
            patch(
                patch(
                    patch(
                        patch(PHY, f"{EC}.anneeNaissanceDebut", ""), f"{EC}.anneeNaissanceFin", ""
                    ),
                    f"{EC}.moisNaissanceDebut",
                    "",
                ),
                f"{EC}.moisNaissanceFin",
                "",
            ),
            f"{EC}.jourNaissanceDebut",
            "",
        ),
        f"{EC}.jourNaissanceFin",
        "",
    ),
    f"{EC}.anneeNaissance",
    "1911",
)
MPM = {
    **copy.deepcopy(MSI),
    C: {
        "accordClient": "1",
        "codeNatureCompte": "201",
        "recherchePP": "0",
        "recherchePM": "1",
        "rechercheSIRENSIRET": "0",
        "criteresRecherchePro": {
            "designation": {"raisonSociale": "AEROLINK TECH", "codeCategorieJuridique": "5520"},
            "domiciliation": {"codePays": "99100", "codeDepartement": "75", "codeCommune": "108"},
        },
    },
}

# (id, resource, body, expected code, expected detail for CAF001/CAF002 or None)
ERRORS: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    # envelope, every resource
    *[
        (f"{res}-dateDemande-absente", res, patch(b, "dateDemande", DEL), "CAF001", "dateDemande")
        for res, b in (("numCpte", NUM), ("spi", SPI), ("perPhy", PHY), ("multiDet", MSI))
    ],
    (
        "dateDemande-format",
        "numCpte",
        patch(NUM, "dateDemande", "08/02/2024"),
        "CAF002",
        "dateDemande",
    ),
    ("dateDemande-type", "numCpte", patch(NUM, "dateDemande", 20240208), "CAF002", "dateDemande"),
    ("motif-absent", "spi", patch(SPI, "motif", ""), "CAF001", "motif"),
    ("motif-format", "spi", patch(SPI, "motif", "12A"), "CAF002", "motif"),
    (
        "demandeur-absent",
        "siretSiren",
        patch(SIR, "siretDemandeur", None),
        "CAF001",
        "siretDemandeur",
    ),
    (
        "siret-demandeur-format",
        "perPro",
        patch(PRO, "siretDemandeur", "123"),
        "CAF002",
        "siretDemandeur",
    ),
    (
        "justification-absente",
        "perPhy",
        patch(PHY, "justification", DEL),
        "CAF001",
        "justification",
    ),
    (
        "justification-trop-longue",
        "verifIban",
        patch(VPP, "justification", "x" * 251),
        "CAF002",
        "justification",
    ),
    ("criteres-absents", "multiDet", patch(MSI, C, DEL), "CAF001", "criteresRecherche"),
    ("criteres-pas-objet", "numCpte", patch(NUM, C, "x"), "CAF002", "criteresRecherche"),
    # requester and motif
    ("CAF030", "numCpte", patch(NUM, "siretDemandeur", "99999999999999"), "CAF030", None),
    ("CAF030-siren", "numCpte", patch(NUM, "sirenDemandeur", "999999999"), "CAF030", None),
    ("CAF003", "numCpte", patch(NUM, "motif", "9999"), "CAF003", None),
    # dateDemande window
    (
        "CAF024-dateDemande",
        "spi",
        patch(SPI, "dateDemande", (NOW + timedelta(days=2)).date().isoformat()),
        "CAF024",
        None,
    ),
    (
        "CAF033",
        "spi",
        patch(SPI, "dateDemande", NOW.date().replace(year=NOW.year - 10, day=1).isoformat()),
        "CAF033",
        None,
    ),
    # numCpte
    ("iban-absent", "numCpte", patch(NUM, f"{C}.iban", ""), "CAF001", "iban"),
    (
        "iban-cle",
        "numCpte",
        patch(NUM, f"{C}.iban", "FR7630004009550000135601428"),
        "CAF002",
        "iban",
    ),
    ("iban-pays", "numCpte", patch(NUM, f"{C}.iban", "DE89370400440532013000"), "CAF002", "iban"),
    (
        "verification-format",
        "numCpte",
        patch(NUM, f"{C}.verificationCompte", "2"),
        "CAF002",
        "verificationCompte",
    ),
    # spi
    ("CAF004", "spi", patch(SPI, f"{C}.numeroSPI", "123456789012"), "CAF004", None),
    ("CAF005", "spi", patch(SPI, f"{C}.numeroSPI", "4234567890123"), "CAF005", None),
    ("spi-absent", "spi", patch(SPI, f"{C}.numeroSPI", ""), "CAF001", "numeroSPI"),
    # siretSiren
    ("CAF010", "siretSiren", patch(SIR, f"{C}.siren", "946827684"), "CAF010", None),
    ("siret-format", "siretSiren", patch(SIR, f"{C}.siret", "9468276846228"), "CAF002", "siret"),
    ("siretsiren-absent", "siretSiren", patch(SIR, f"{C}.siret", ""), "CAF001", "siret"),
    # perPro
    ("designation-absente", "perPro", patch(PRO, f"{C}.designation", DEL), "CAF001", "designation"),
    (
        "raisonSociale-absente",
        "perPro",
        patch(PRO, f"{C}.designation.raisonSociale", ""),
        "CAF001",
        "raisonSociale",
    ),
    (
        "CAF027",
        "perPro",
        patch(
            patch(
                patch(
                    patch(PRO, f"{C}.domiciliation.codePays", "99109"),
                    f"{C}.domiciliation.codeDepartement",
                    "",
                ),
                f"{C}.domiciliation.codeCommune",
                "",
            ),
            f"{C}.domiciliation.codePostal",
            "",
        ),
        "CAF027",
        None,
    ),
    ("CAF016", "perPro", patch(PRO, f"{C}.domiciliation.codePays", "99109"), "CAF016", None),
    ("CAF040", "perPro", patch(PRO, f"{C}.domiciliation.codePays", "99999"), "CAF040", None),
    ("CAF041", "perPro", patch(PRO, f"{C}.domiciliation.codeCommune", "999"), "CAF041", None),
    (
        "natureVoie",
        "perPro",
        patch(PRO, f"{C}.domiciliation.codeNatureVoie", "XYZW"),
        "CAF002",
        "codeNatureVoie",
    ),
    # perPhy
    ("etatCivil-absent", "perPhy", patch(PHY, f"{C}.etatCivil", DEL), "CAF001", "etatCivil"),
    ("nom-absent", "perPhy", patch(PHY, f"{EC}.nom", ""), "CAF001", "nom"),
    ("CAF012", "perPhy", patch(PHY, f"{EC}.anneeNaissance", "1911"), "CAF012", None),
    ("CAF032", "perPhy", patch(PHY, f"{EC}.anneeNaissanceFin", "1913"), "CAF032", None),
    ("CAF024", "perPhy", patch(PHY_EXACT, f"{EC}.anneeNaissance", "2030"), "CAF024", None),
    ("CAF035", "perPhy", PHY_EXACT, "CAF035", None),
    (
        "mois-format",
        "perPhy",
        patch(PHY, f"{EC}.moisNaissanceDebut", "13"),
        "CAF002",
        "moisNaissanceDebut",
    ),
    (
        "annee-absente",
        "perPhy",
        patch(PHY, f"{EC}.anneeNaissanceFin", ""),
        "CAF001",
        "anneeNaissanceFin",
    ),
    (
        "CAF038",
        "perPhy",
        patch(PHY, f"{C}.lieuNaissance.codePaysNaissance", "99998"),
        "CAF038",
        None,
    ),
    (
        "CAF039",
        "perPhy",
        patch(PHY, f"{C}.lieuNaissance.codeCommuneNaissance", "999"),
        "CAF039",
        None,
    ),
    (
        "CAF016-perPhy",
        "perPhy",
        patch(PHY, f"{C}.domiciliation", {"codePays": "99109", "codePostal": "10115"}),
        "CAF016",
        None,
    ),
    (
        "CAF027-perPhy",
        "perPhy",
        patch(PHY, f"{C}.domiciliation", {"codePays": "99109"}),
        "CAF027",
        None,
    ),
    (
        "CAF040-perPhy",
        "perPhy",
        patch(PHY, f"{C}.domiciliation", {"codePays": "12345"}),
        "CAF040",
        None,
    ),
    (
        "CAF041-perPhy",
        "perPhy",
        patch(
            PHY,
            f"{C}.domiciliation",
            {"codePays": "99100", "codeDepartement": "75", "codeCommune": "999"},
        ),
        "CAF041",
        None,
    ),
    # verifIban
    ("CAF025", "verifIban", patch(VPP, f"{C}.recherchePM", "1"), "CAF025", None),
    ("CAF018-verif", "verifIban", patch(VPP, f"{C}.recherchePP", "0"), "CAF018", None),
    ("CAF019-verif", "verifIban", patch(VPP, f"{C}.siret", "78562072500032"), "CAF019", None),
    ("selecteur-absent", "verifIban", patch(VPP, f"{C}.recherchePP", DEL), "CAF001", "recherchePP"),
    ("selecteur-format", "verifIban", patch(VPP, f"{C}.recherchePM", "2"), "CAF002", "recherchePM"),
    ("verif-prenoms", "verifIban", patch(VPP, f"{EC}.prenoms", ""), "CAF001", "prenoms"),
    ("verif-CAF035", "verifIban", patch(VPP, f"{EC}.jourNaissance", ""), "CAF035", None),
    ("verif-CAF010", "verifIban", patch(VSI, f"{C}.siren", "785620725"), "CAF010", None),
    (
        "verif-iban-FC",
        "verifIban",
        patch(VSI, f"{C}.iban", "XX1030004008711812050237399"),
        "CAF002",
        "iban",
    ),
    # multiDet
    ("CAF018-multi", "multiDet", patch(MSI, f"{C}.recherchePP", "1"), "CAF018", None),
    ("CAF019-multi", "multiDet", patch(MSI, f"{C}.criteresSiretSiren", {}), "CAF019", None),
    ("CAF017", "multiDet", patch(MSI, f"{C}.codeNatureCompte", "101"), "CAF017", None),
    ("CAF034", "multiDet", patch(MSI, f"{C}.codeNatureCompte", "299"), "CAF034", None),
    ("accordClient", "multiDet", patch(MSI, f"{C}.accordClient", "x"), "CAF002", "accordClient"),
    (
        "multi-CAF010",
        "multiDet",
        patch(MSI, f"{C}.criteresSiretSiren.siret", "34567890123456"),
        "CAF010",
        None,
    ),
    (
        "multi-pm-categorie",
        "multiDet",
        patch(MPM, f"{C}.criteresRecherchePro.designation.codeCategorieJuridique", ""),
        "CAF001",
        "codeCategorieJuridique",
    ),
    (
        "multi-pm-commune",
        "multiDet",
        patch(MPM, f"{C}.criteresRecherchePro.domiciliation.codeCommune", ""),
        "CAF001",
        "codeCommune",
    ),
    (
        "multi-pp-CAF038",
        "multiDet",
        patch(MPP, f"{C}.criteresRecherchePhy.lieuNaissance.codePaysNaissance", "99998"),
        "CAF038",
        None,
    ),
    ("CAF037", "multiDet", patch(MSI, f"{C}.codeEtablissement", "10278"), "CAF037", None),
]


def _message(code: str, detail: str | None) -> str:
    base = ALL_CODES[code].message
    return f"{base} {detail}" if detail else base


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("resource", "body", "code", "detail"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_error_codes(api, prefix, resource, body, code, detail) -> None:
    extra = {"X-Test-Caller": "banque"} if code == "CAF037" else {}
    r = api.post(f"{prefix}/comptes/{resource}", json=body, headers=headers(**extra))
    assert r.status_code == ALL_CODES[code].http_status, r.text
    assert set(r.json()) == {"erreur"}
    err = r.json()["erreur"]
    assert err["code"] == code, r.text
    if detail is not None or code not in ("CAF001", "CAF002"):
        assert err["message"] == _message(code, detail)
    assert HORODATAGE.match(err["horodatage"])


# (id, resource, body, code, extra expectations)
NO_RESULT: list[tuple[str, str, dict[str, Any], str]] = [
    ("CAF011-compte", "numCpte", patch(NUM, f"{C}.iban", UNKNOWN_IBAN), "CAF011"),
    ("CAF007", "spi", patch(SPI, f"{C}.numeroSPI", "0123456789012"), "CAF007"),
    ("CAF009", "siretSiren", patch(SIR, f"{C}.siret", "11111111111111"), "CAF009"),
    ("CAF013", "perPhy", patch(PHY, f"{EC}.nom", "INCONNUDUFICHIER"), "CAF013"),
    (
        "CAF015",
        "perPro",
        patch(PRO, f"{C}.designation.raisonSociale", "RAISON INEXISTANTE"),
        "CAF015",
    ),
    (
        "CAF028",
        "perPro",
        patch(
            PRO,
            f"{C}.domiciliation",
            {"codePays": "99100", "codeDepartement": "976", "codeCommune": "01"},
        ),
        "CAF028",
    ),
    (
        "CAF029",
        "perPro",
        patch(
            PRO,
            f"{C}.domiciliation",
            {"codePays": "99100", "codeDepartement": "75", "codeCommune": "116"},
        ),
        "CAF029",
    ),
    ("CAF011-verif", "verifIban", patch(VPP, f"{C}.iban", UNKNOWN_IBAN), "CAF011"),
    ("CAF021-verif", "verifIban", patch(VPP, f"{EC}.nom", "DUPONT"), "CAF021"),
    ("CAF020", "multiDet", patch(MSI, f"{C}.codeNatureCompte", "206"), "CAF020"),
    (
        "CAF009-multi",
        "multiDet",
        patch(MSI, f"{C}.criteresSiretSiren.siren", "111111118"),
        "CAF009",
    ),
    (
        "CAF013-multi",
        "multiDet",
        patch(MPP, f"{C}.criteresRecherchePhy.etatCivil.nom", "PERSONNE"),
        "CAF013",
    ),
    (
        "CAF015-multi",
        "multiDet",
        patch(MPM, f"{C}.criteresRecherchePro.designation.raisonSociale", "NIMPORTE"),
        "CAF015",
    ),
]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("resource", "body", "code"), [e[1:] for e in NO_RESULT], ids=[e[0] for e in NO_RESULT]
)
def test_no_result_codes(api, prefix, resource, body, code) -> None:
    r = api.post(f"{prefix}/comptes/{resource}", json=body, headers=headers())
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["nombreReponses"] == "000"
    info = data["messageInformatif"]
    assert info["code"] == code
    assert info["message"] == ALL_CODES[code].message
    assert HORODATAGE.match(info["horodatage"])
    assert data["caracteristiquesDemande"]["criteresRecherche"] == body[C]
    if resource == "verifIban":
        assert data["reponses"] == {"verificationCompte": {"ibanExistant": "0"}}
    elif resource == "multiDet":
        assert data["nRep"] == "0" and "comptes" not in data
    else:
        assert "reponses" not in data


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("resource", ["perPhy", "perPro"])
def test_too_many_answers_caf036(api, backend_app, monkeypatch, prefix, resource) -> None:
    # threshold 0: any match is "too many" (the store's default is MAX_REPONSES)
    monkeypatch.setattr(backend_app.sandbox.backend, "max_reponses", 0)
    if resource == "perPhy":
        body = PHY
    else:
        body = patch(
            patch(PRO, f"{C}.domiciliation", {}), f"{C}.designation.raisonSociale", "STELLANT"
        )
        body = patch(body, f"{C}.designation.codeCategorieJuridique", "")
    r = api.post(f"{prefix}/comptes/{resource}", json=body, headers=headers())
    assert r.status_code == 400, r.text
    assert r.json()["erreur"]["code"] == "CAF036"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_lone_surrogate_through_the_whole_stack(api, prefix) -> None:
    """CAF002 over HTTP, and the journal stores the request without closing on it: the next
    call is served normally (docs/pitfalls.md: lone surrogates break UTF-8 encoding downstream)."""
    raw = '{"dateDemande":"2024-02-08","motif":"0020","siretDemandeur":"13000453400017",'
    raw += '"justification":"\\ud800","criteresRecherche":{"iban":"x","verificationCompte":"0"}}'
    r = api.post(f"{prefix}/comptes/numCpte", content=raw.encode(), headers=headers())
    assert r.status_code == 400, r.text
    assert r.json()["erreur"]["code"] == "CAF002"
    ok = api.get(f"{prefix}/etatSante", headers=headers())
    assert ok.status_code == 200, ok.text
