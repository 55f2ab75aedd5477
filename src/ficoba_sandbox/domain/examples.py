"""The protocol's request examples, one or two per resource (protocol v11 §2.3.1, §3.5.2, §4.5.2,
§5.3.1, §6.3.1, §7.3, §8.3), as printed there.

Shown in the OpenAPI document (Swagger UI's examples), named by scenario packs (`example:
numCpte/compte`), sent by the tests: each one must be answered as the protocol answers it
(`tests/api/test_protocol_examples.py`). Contract data, like the code lists of `codes.py`.
"""

from __future__ import annotations

from typing import Any

_ENV = {
    "dateDemande": "2024-02-08",
    "motif": "020",
    "siretDemandeur": "13000453400017",
    "sirenDemandeur": "",
}

REQUEST_EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "numCpte": {
        "compte": {
            **_ENV,
            "justification": "test performance",
            "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "0"},
        },
        "existence": {
            **_ENV,
            "justification": "test",
            "criteresRecherche": {"iban": "FR7630004009550000135601429", "verificationCompte": "1"},
        },
    },
    "spi": {
        "spi": {
            "dateDemande": "2022-03-26",
            "motif": "005",
            "siretDemandeur": "11210489100013",
            "sirenDemandeur": "",
            "justification": "référence recherche par spi",
            "criteresRecherche": {"numeroSPI": "1489335901"},
        }
    },
    "siretSiren": {
        "siret": {
            "dateDemande": "2024-05-16",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "Contrôle IBAN SARL LES FLOTS BLEUS REF XXX225",
            "criteresRecherche": {"siret": "94682768462289", "siren": ""},
        }
    },
    "perPro": {
        "designation": {
            "dateDemande": "2024-04-23",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "recherche pm adresse",
            "criteresRecherche": {
                "designation": {
                    "raisonSociale": "SNPE",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "5710",
                },
                "domiciliation": {
                    "codePays": "99100",
                    "codeDepartement": "75",
                    "codeCommune": "104",
                    "codeNatureVoie": None,
                    "libelleVoie": None,
                    "numeroVoie": None,
                    "indiceRepetition": None,
                    "codePostal": "75189",
                },
            },
        }
    },
    "perPhy": {
        "intervalle": {
            "dateDemande": "2024-07-10",
            "motif": "003",
            "siretDemandeur": "13000495500121",
            "sirenDemandeur": "",
            "justification": "Test Recherche Personne Physique avec adresse",
            "criteresRecherche": {
                "etatCivil": {
                    "anneeNaissance": "",
                    "moisNaissance": "",
                    "jourNaissance": "",
                    "anneeNaissanceDebut": "1911",
                    "moisNaissanceDebut": "01",
                    "jourNaissanceDebut": "01",
                    "anneeNaissanceFin": "1911",
                    "moisNaissanceFin": "11",
                    "jourNaissanceFin": "11",
                    "nom": "CORBuSIER",
                    "prenoms": "CHARLES-éDOUARD",
                    "sexe": "",
                },
                "lieuNaissance": {
                    "codePaysNaissance": "99100",
                    "codeDepartementNaissance": "78",
                    "codeCommuneNaissance": "498",
                },
                "domiciliation": {
                    "codePays": "",
                    "codeDepartement": "",
                    "codeCommune": "",
                    "codeNatureVoie": "",
                    "libelleVoie": "",
                    "numeroVoie": "",
                    "indiceRepetition": "",
                    "codePostal": "",
                },
            },
        }
    },
    "verifIban": {
        "personnePhysique": {
            "dateDemande": "2024-02-08",
            "motif": "100",
            "siretDemandeur": "81325471100020",
            "sirenDemandeur": "",
            "justification": "Test - Vérifier titulaire IBAN",
            "criteresRecherche": {
                "iban": "FR7611689007003478364737625",
                "recherchePP": "1",
                "recherchePM": "0",
                "rechercheSirenSiret": "0",
                "etatCivil": {
                    "nom": "CORBUSIER",
                    "prenoms": "CHARLES-EDOUARD",
                    "sexe": "",
                    "anneeNaissance": "1911",
                    "moisNaissance": "11",
                    "jourNaissance": "11",
                },
                "lieuNaissance": {
                    "codePaysNaissance": "99100",
                    "codeDepartementNaissance": "78",
                    "codeCommuneNaissance": "498",
                },
                "designation": {
                    "raisonSociale": "",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "",
                },
                "siret": "",
                "siren": "",
            },
        },
        "siret": {
            "dateDemande": "2023-10-11",
            "motif": "0100",
            "siretDemandeur": "81325471100020",
            "sirenDemandeur": "",
            "justification": "référence vérification titulaire iban",
            "criteresRecherche": {
                "iban": "FC1030004008711812050237399",
                "recherchePP": "0",
                "recherchePM": "0",
                "rechercheSirenSiret": "1",
                "designation": {
                    "raisonSociale": "",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "",
                },
                "siret": "78562072500032",
                "siren": "",
            },
        },
    },
    "multiDet": {
        "personnePhysique": {
            "dateDemande": "2022-03-26",
            "motif": "0021",
            "siretDemandeur": "66204244900014",
            "sirenDemandeur": "",
            "justification": "test multi detention",
            "criteresRecherche": {
                "accordClient": "1",
                "codeNatureCompte": "201",
                "recherchePP": "1",
                "recherchePM": "0",
                "rechercheSIRENSIRET": "0",
                "criteresRecherchePro": {
                    "designation": {
                        "raisonSociale": None,
                        "sigle": None,
                        "enseigne": None,
                        "codeCategorieJuridique": None,
                    },
                    "domiciliation": {},
                },
                "criteresRecherchePhy": {
                    "etatCivil": {
                        "anneeNaissance": "1995",
                        "moisNaissance": "10",
                        "jourNaissance": "9",
                        "nom": "MAHAMADOU GARBA",
                        "prenoms": "MALKA",
                        "sexe": "2",
                    },
                    "lieuNaissance": {
                        "codePaysNaissance": "99344",
                        "codeDepartementNaissance": "",
                        "codeCommuneNaissance": "",
                    },
                    "domiciliation": {
                        "codePays": "",
                        "codeDepartement": "",
                        "codeCommune": "",
                        "codeNatureVoie": "",
                        "libelleVoie": "",
                        "numeroVoie": "",
                        "codePostal": "",
                    },
                },
                "criteresSiretSiren": {},
            },
        },
        "siren": {
            "dateDemande": "2022-03-26",
            "motif": "021",
            "siretDemandeur": "66204244900014",
            "sirenDemandeur": "",
            "justification": "test multi detention",
            "criteresRecherche": {
                "accordClient": "1",
                "codeNatureCompte": "201",
                "recherchePP": "0",
                "recherchePM": "0",
                "rechercheSIRENSIRET": "1",
                "criteresSiretSiren": {"siret": "", "siren": "345678901"},
            },
        },
    },
}
