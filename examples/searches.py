"""Request criteria, one per search type, on the sandbox's protocol personas (always in the
dataset). Shared by the two example clients. Each answers HTTP 200 with data for a client entitled
to the search type; `NO_RESULT` answers 200 with a "no result" code; `INVALID` is refused (CAF004).
"""

from __future__ import annotations

from typing import Any

SEARCHES: dict[str, list[Any]] = {  # search type -> [resource, criteresRecherche]
    "compte": [
        "/comptes/numCpte",
        {"iban": "FR7630004009550000135601429", "verificationCompte": "0"},
    ],
    "spi": ["/comptes/spi", {"numeroSPI": "1489335901"}],
    "siren_siret": ["/comptes/siretSiren", {"siret": "94682768462289", "siren": ""}],
    "personne_physique": [
        "/comptes/perPhy",
        {
            "etatCivil": {
                "anneeNaissance": "1995",
                "moisNaissance": "08",
                "jourNaissance": "07",
                "anneeNaissanceDebut": "",
                "moisNaissanceDebut": "",
                "jourNaissanceDebut": "",
                "anneeNaissanceFin": "",
                "moisNaissanceFin": "",
                "jourNaissanceFin": "",
                "nom": "JABALI",
                "prenoms": "HAKIM",
                "sexe": "1",
            },
            "lieuNaissance": {
                "codePaysNaissance": "",
                "codeDepartementNaissance": "",
                "codeCommuneNaissance": "",
            },
            "domiciliation": {"codePays": "", "codeDepartement": "", "codeCommune": ""},
        },
    ],
    "personne_morale": [
        "/comptes/perPro",
        {
            "designation": {
                "raisonSociale": "MARSHALL LINE",
                "sigle": None,
                "enseigne": None,
                "codeCategorieJuridique": "1000",
            },
            "domiciliation": {
                "codePays": "99100",
                "codeDepartement": "75",
                "codeCommune": "101",
                "codeNatureVoie": "",
                "libelleVoie": "",
                "codePostal": "",
            },
        },
    ],
    "verif_iban_personne_physique": [
        "/comptes/verifIban",
        {
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
    ],
    "verif_iban_personne_morale": [
        "/comptes/verifIban",
        {
            "iban": "FR7612619000247463376343426",
            "recherchePP": "0",
            "recherchePM": "1",
            "rechercheSirenSiret": "0",
            "designation": {
                "raisonSociale": "MARSHALL LINE",
                "sigle": "",
                "enseigne": "",
                "codeCategorieJuridique": "1000",
            },
            "siret": "",
            "siren": "",
        },
    ],
    "verif_iban_siret": [
        "/comptes/verifIban",
        {
            "iban": "FR7612619000243483748343475",
            "recherchePP": "0",
            "recherchePM": "0",
            "rechercheSirenSiret": "1",
            "siret": "94682768462289",
            "siren": "",
        },
    ],
    "multi_detention_personne_physique": [
        "/comptes/multiDet",
        {
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
    ],
    "multi_detention_personne_morale": [
        "/comptes/multiDet",
        {
            "accordClient": "0",
            "codeNatureCompte": "201",
            "recherchePP": "0",
            "recherchePM": "1",
            "rechercheSIRENSIRET": "0",
            "criteresRecherchePro": {
                "designation": {
                    "raisonSociale": "AEROLINK TECH",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "5520",
                },
                "domiciliation": {
                    "codePays": "99100",
                    "codeDepartement": "75",
                    "codeCommune": "108",
                    "codeNatureVoie": "",
                    "libelleVoie": "",
                    "numeroVoie": "",
                    "indiceRepetition": "",
                    "codePostal": "",
                },
            },
            "criteresRecherchePhy": {"etatCivil": {}, "lieuNaissance": {}, "domiciliation": {}},
            "criteresSiretSiren": {},
        },
    ],
    "multi_detention_siret": [
        "/comptes/multiDet",
        {
            "accordClient": "1",
            "codeNatureCompte": "201",
            "recherchePP": "0",
            "recherchePM": "0",
            "rechercheSIRENSIRET": "1",
            "criteresRecherchePro": {
                "designation": {
                    "raisonSociale": "",
                    "sigle": "",
                    "enseigne": "",
                    "codeCategorieJuridique": "",
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
            "criteresRecherchePhy": {
                "etatCivil": {
                    "nom": "",
                    "prenoms": "",
                    "sexe": "",
                    "anneeNaissance": "",
                    "moisNaissance": "",
                    "jourNaissance": "",
                },
                "lieuNaissance": {
                    "codePaysNaissance": "",
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
                    "indiceRepetition": "",
                    "codePostal": "",
                },
            },
            "criteresSiretSiren": {"siret": "34567890123456", "siren": ""},
        },
    ],
}

#: an SPI with a valid format that nobody holds
NO_RESULT = ("spi", "/comptes/spi", {"numeroSPI": "0000000000001"})
#: a malformed SPI: refused by validation
INVALID = ("spi", "/comptes/spi", {"numeroSPI": "12AB"})
