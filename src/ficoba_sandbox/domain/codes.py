"""The code lists of the FICOBA protocol (CONTRACT §5; protocol v11 Annexes 1-7, §2.5.3).

Each list is a plain `dict[code, label]`, in the order the protocol prints it. Labels are copied
from the protocol text; where the examples and the annexes disagree the examples win
(CONTRACT §9 #15: `libelleType` "Simple" / "Joint" rather than "Compte simple").
"""

from __future__ import annotations


def _parse(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.strip().splitlines():
        code, _, label = line.strip().partition(" ")
        out[code] = label.strip()
    return out


# Annex 1 (protocol p. 105), 25 natures. Annex order: 104 and 217 were appended last in v11.
NATURES: dict[int, str] = {
    101: "Compte courant bancaire",
    102: "Compte chèque postal",
    103: "Compte de paiement",
    104: "Compte de monnaie électronique",
    201: "Compte d'épargne livret A",
    202: "Compte d'épargne livret bleu",
    203: "Compte d'épargne livret B",
    204: "Compte d'épargne livret jeune",
    205: "Livret de développement durable solidaire",
    206: "Livret d'épargne populaire",
    207: "Livret d'épargne entreprise",
    208: "Livret d'épargne des travailleurs manuels",
    209: "Plan d'épargne logement",
    210: "Compte d'épargne logement",
    211: "Plan d'épargne populaire",
    212: "Plan d'épargne en actions",
    213: "Plan d'épargne retraite",
    214: "PEA-PME",
    215: "Plan d'épargne d'entreprise",
    216: "Compte sur Livret",
    217: "Plan d'épargne avenir climat",
    300: "Compte a terme",
    401: "Comptes-titres",
    500: "Coffre-fort",
    900: "Autre compte",
}

# Regulated savings checked by multiDet (CONTRACT §3.7): asking for 201 also searches 202
# (Livret A + Livret bleu share one ceiling).
NATURES_REGLEMENTEES: frozenset[int] = frozenset({201, 202, 204, 205, 206, 207, 208, 209, 210})
NATURES_EQUIVALENTES: dict[int, tuple[int, ...]] = {201: (201, 202), 202: (201, 202)}

# Annex 2. Labels as the examples print them (CONTRACT §9 #15); Annex 2 labels kept beside.
TYPES: dict[int, str] = {1: "Simple", 2: "Joint", 3: "Collectif", 4: "Indivis"}
TYPES_ANNEXE: dict[int, str] = {
    1: "Compte simple",
    2: "Compte joint",
    3: "Compte collectif",
    4: "Compte indivis avec ou sans solidarite",
}

# Annex 3.
CARACTERISTIQUES: dict[int, str] = {1: "Compte unique", 2: "Compte principal"}

# Annex 5: non-resident and estate flags.
OUI_NON: dict[str, str] = {"0": "Non", "1": "Oui"}

# §2.5.3.2 / §8.5.3.2: codeMotifOuverture 0-3.
MOTIFS_OUVERTURE: dict[str, str] = {
    "0": "Ouverture par le titulaire",
    "1": "Ouverture par transfert d'un autre établissement",
    "2": "Ouverture suite à succession",
    "3": "Ouverture par transfert d'un compte issu d'une succession",
}

# Sexe (§3.5.3.2): 1 Masculin, 2 Féminin, 3 Inconnu, 4 Non défini.
SEXES: dict[str, str] = {"1": "Masculin", "2": "Féminin", "3": "Inconnu", "4": "Non défini"}

# droitSurCompte (CONTRACT §4.4.3): documented codes 1/2/6/8/9; the examples return labels
# ("Titulaire", "Procuration"), the other three labels are our choice [G].
DROIT_TITULAIRE = "1"
DROIT_PROCURATION = "2"
DROIT_MANDATAIRE = "6"
DROIT_ETCI_EI = "8"
DROIT_BENEFICIAIRE_EFFECTIF = "9"
DROITS: dict[str, str] = {
    DROIT_TITULAIRE: "Titulaire",
    DROIT_PROCURATION: "Procuration",
    DROIT_MANDATAIRE: "Mandataire",
    DROIT_ETCI_EI: "ETCI EI",
    DROIT_BENEFICIAIRE_EFFECTIF: "Bénéficiaire effectif",
}

# typeRepertoire (CONTRACT §4.4.3, internal enum of S3 1b881ff1).
TYPES_REPERTOIRE: tuple[str, ...] = (
    "SIRENE",
    "SOCIETEFORMATION",
    "SOCIETEETRANGERE",
    "ASSOSANSSIRET",
    "COPROSANSSIRET",
    "PMNONREPERTORIEE",
)

# formatCompte (§2.5.3.2): "IBAN" in every example; internal enum also NUMEROCLIENT.
FORMATS_COMPTE: tuple[str, ...] = ("IBAN", "NUMEROCLIENT")

# indicateurCodifAdresse (S2 only; internal enum).
INDICATEURS_CODIF_ADRESSE: tuple[str, ...] = (
    "ADRESSECODIFIEE",
    "ECHECCODIFCOMMUNE",
    "ECHECCODIFVOIE",
    "ADRESSEETRANGERE",
    "ADRESSEMILITAIRE",
    "ECHECINDISPOTOPAD",
    "ADRESSEFICTIVE",
)

# Annex 6 points to the INSEE nomenclature (https://www.insee.fr/fr/information/2028129).
# A real subset of its level-III codes: those the protocol examples use (1000, 5499, 5520, 5599,
# 5710, 6540, 9220) and the common ones a bank file holds.
CATEGORIES_JURIDIQUES: dict[str, str] = {
    "1000": "Entrepreneur individuel",
    "2110": "Indivision entre personnes physiques",
    "2210": "Société créée de fait entre personnes physiques",
    "2310": "Société en participation entre personnes physiques",
    "2900": "Autre groupement de droit privé non doté de la personnalité morale",
    "3120": "Société commerciale étrangère immatriculée au RCS",
    "3220": "Société étrangère non immatriculée au RCS",
    "4110": "Établissement public national à caractère industriel ou commercial doté d'un comptable public",
    "4140": "Établissement public local à caractère industriel ou commercial",
    "5191": "Société de caution mutuelle",
    "5202": "Société en nom collectif",
    "5306": "Société en commandite simple",
    "5308": "Société en commandite par actions",
    "5410": "SARL nationale",
    "5458": "SARL coopérative ouvrière de production (SCOP)",
    "5485": "Société d'exercice libéral à responsabilité limitée",
    "5498": "SARL unipersonnelle",
    "5499": "Société à responsabilité limitée (sans autre indication)",
    "5505": "SA à participation ouvrière à conseil d'administration",
    "5515": "SA d'économie mixte à conseil d'administration",
    "5520": "Fonds à forme sociétale à conseil d'administration",
    "5546": "SA de HLM à conseil d'administration",
    "5599": "SA à conseil d'administration (s.a.i.)",
    "5699": "SA à directoire (s.a.i.)",
    "5710": "SAS, société par actions simplifiée",
    "5720": "Société par actions simplifiée à associé unique ou société par actions simplifiée unipersonnelle",
    "5785": "Société d'exercice libéral par action simplifiée",
    "5800": "Société européenne",
    "6100": "Caisse d'Épargne et de Prévoyance",
    "6220": "Groupement d'intérêt économique (GIE)",
    "6316": "Coopérative d'utilisation de matériel agricole en commun (CUMA)",
    "6317": "Société coopérative agricole",
    "6521": "Société civile de placement collectif immobilier (SCPI)",
    "6533": "Groupement agricole d'exploitation en commun (GAEC)",
    "6534": "Groupement foncier agricole",
    "6540": "Société civile immobilière",
    "6541": "Société civile immobilière de construction-vente",
    "6565": "SCP de notaires",
    "6571": "SCP de médecins",
    "6585": "Autre société civile professionnelle",
    "6589": "Société civile de moyens",
    "6597": "Société civile d'exploitation agricole",
    "6598": "Exploitation agricole à responsabilité limitée",
    "6599": "Autre société civile",
    "7210": "Commune et commune nouvelle",
    "7220": "Département",
    "7230": "Région",
    "7346": "Communauté de communes",
    "7348": "Communauté d'agglomération",
    "8410": "Syndicat de salariés",
    "8420": "Syndicat patronal",
    "8450": "Ordre professionnel ou assimilé",
    "9110": "Syndicat de copropriété",
    "9150": "Association syndicale libre",
    "9210": "Association non déclarée",
    "9220": "Association déclarée",
    "9230": "Association déclarée, reconnue d'utilité publique",
    "9260": "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)",
    "9300": "Fondation",
    "9900": "Autre personne morale de droit privé",
}
CATEGORIE_ENTREPRENEUR_INDIVIDUEL = "1000"

# Annex 4 (protocol pp. 108-113), copied line by line; `AUT` = Autre.
DEVISES: dict[str, str] = _parse(
    """
ADP Peseta d'Andorre
AED Dirham des emirats arabes unis
AFA Afghani
ALL Lek
AMD Dram armenien
ANG Florin des Antilles
AON Nouveau kwanza
ARS Peso argentin
ATS Schilling
AUD Dollar australien
AUT Autre
AWG Florin d'Aruba
AZM Manat azerbaïdjanais
BBD Dollar de Barbade
BDT Taka
BEF Franc Belge
BGL Lev
BHD Dinar de Bahreïn
BIF Franc du Burundi
BMD Dollar des Bermudes
BND Dollar de Brunei
BOB Boliviano
BOV Mvdol
BRL Real bresilien
BSD Dollar des Bahamas
BTN Ngultrum
BWP Pula
BYB Rouble belarusse
BZD Dollar de Belize
CAD Dollar canadien
CHF Franc suisse
CLF Unite d'investissement
CLP Peso chilien
CNY Yuan Ren-Min-Bi
COP Peso colombien
CRC Colon de Costa Rica
CUP Peso cubain
CVE Escudo du cap-vert
CYP Livre cypriote
CZK Couronne tcheque
DEM Deutsche Mark
DJF Franc de Djibouti
DKK Couronne danoise
DOP Peso dominicain
DZD Dinar algerien
ECS Sucre
EEK Couronne estonnienne
EGP Livre egyptienne
ESP Peseta espagnole
ETB Birr ethiopien
FIM Mark finlandais
FJD Dollar de Fidji
FKP Livre de Falkland
GBP Livre sterling
GHC Cedi
GIP Livre de Gibraltar
GMD Dalasie
GNF Franc guineen
GRD Drachme
GTQ Quetzal
GWP Peso de Guinee-Bissau
GYD Dollar de Guyane
HKD Dollar de Hong-Kong
HNL Lempira
HRK Kuna croate
HTG Gourde
HUF Forint
IDR Rupiah
IEP Livre irlandaise
ILS Shekel
INR Roupie indienne
IQD Dinar iraquien
IRR Rial iranien
ISK Couronne islandaise
ITL Lire italienne
JMD Dollar jamaïcain
JOD Dinar jordanien
JPY Yen
KES Shilling du Kenya
KGS Som
KHR Riel
KMF Franc des Comores
KPW Won de la Coree du Nord
KRW Won
KWD Dinar koweïtien
KYD Dollar des Caïmanes
KZT Tenge
LAK Kip
LBP Livre libanaise
LKR Roupie de Sri Lanka
LTL Litas lituanien
LUF Franc luxembourgeois
LVL Lats letton
LYD Dinar libyen
MAD Dirham marocain
MDL Leu de Moldova
MGF Franc malgache
MKD Dinar
MMK Kyat
MNT Tugrik
MOP Pataca
MRO Ouguija
MTL Lire maltaise
MUR Roupie de Maurice
MVR Roupie des Maldives
MWK Kwacha
MXN Nouveau peso mexicain
MYR Ringgit de Malaisie
MZM Metical
NAD Dollar namibien
NGN Naira
NIO Cordoba Oro
NLG Florin neerlandais
NOK Couronne norvegienne
NPR Roupie du Nepal
NZD Dollar neo-zelandais
OMR Rial Omani
PAB Balboa
PEN Nuevo Sol
PGK Kina
PHP Peso philippin
PKR Roupie du Pakistan
PLN Zloty
PLZ Zloty
PTE Escudo portugais
PYG Guarani
QAR Riyal du Qatar
ROL Leu
RUR Rouble russe
RWF Franc du Rwanda
SAR Riyal saoudien
SBD Dollar de Salomon
SEK Couronne suedoise
SGD Dollar de Singapour
SHP Livre de Sainte-Helene
SIT Tolar
SKK Couronne slovaque
SLL Leone
SOS Shilling de Somalie
SRG Florin de Suriname
STD Dobra
SVC Colon du El Salvador
SYP Livre syrienne
THB Baht
TJR Rouble tadjik
TMM Manat
TND Dinar tunisien
TOP Pa'anga
TPE Escudo de Timor
TRL Lire turque
TTD Dollar de la Trinite et de Tobago
TWD Nouveau Dollar de Taïwan
UAK Karbovanet
UGX Shilling ougandais
USD Dollar des Etats-Unis
UYU Peso uruguayen
UZS Sum d'Ouzbekistan
VEB Bolivar
VND Dong
VUV Vatu
WST Tala
XAF Franc CFA - BEAC
XCD Dollar des Caraïbes orientales
XOF Franc CFA - BCEAO
XPF Franc CFP
YER Rial du Yemen
YUN Dinar de Yougoslavie
ZAR Rand
ZMK Kwacha
ZRN Nouveau zaïre
ZWD Dollar du Zimbabwe
"""
)

# The text extraction of Annex 4 has no EUR (nor FRF), yet every example account is in EUR
# (CONTRACT §4.4.1 "EUR … ZWD"): added here explicitly.
DEVISES.setdefault("EUR", "Euro")
DEVISES.setdefault("FRF", "Franc français")

# Annex 7 (protocol pp. 116-120), natures de voie with their labels.
NATURES_VOIE: dict[str, str] = _parse(
    """
ABE Abbaye
ACH Ancien chemin
AGL Agglomération
AIRE Aires
ALL Allée
ARC Arcade
ART Ancienne route
AUT Autoroute
AV Avenue
BAST Bastion
BCH Bas chemin
BCLE Boucle
BD Boulevard
BEGI Beguinage
BER Berge
BRE Barrière
BRG Bourg
BSTD Bastide
BUT Butte
CAR Carrefour
CARE Carrière
CARR Carré
CAU Carreau
CAV Cavée
CGNE Campagne
CHE Chemin
CHEM Cheminement
CHI Charmille
CHL Chalet
CHP Chapelle
CHS Chaussée
CHT Château
CHV Chemin vinical
CITE Cite
CLOI Cloître
COLI Colline
COR Corniche
COTE Coteau
COTT Cottage
CPG Camping
CRS Cours
CST Castel
CTR Contour
CTRE Centre
DARS Darse
DEG Degré
DIG Digue
DOM Domaine
DSC Descente
ECL Ecluse
EGL Eglise
EN Enceinte
ENC Enclos
ENV Enclave
ESC Escalier
ESP Esplanade
ESPA Espace
ETNG Etang
FG Faubourg
FON Fontaine
FORM Forum
FOS Fosse
FOYR Foyer
FRM Ferme
GAL Galerie
GARN Garenne
GBD Grand boulevard
GDEN Grand ensemble
GPE Groupe
GPT Groupement
GR Grand rue
GRI Grille
GRIM Grimpette
HAM Hameau
HCH Haut chemin
HIP Hippodrome
HLE Halle
IMM Immeuble
IMP Impasse
JARD Jardin
JTE Jetée
LD Lieu-dit
LEVE Levée
LOT Lotissement
MAN Manoir
MAR Marche
MET Métro
MF Maison forestière
MLN Moulin
MTE Montée
MUS Musée
NTE Nouvelle route
PAE Petite avenue
PAL Palais
PARC Parcs
PAS Passage
PASS Passe
PAT Patio
PAV Pavillon
PCH Porche
PERI Périphérique
PIM Petite impasse
PKG Parking
PL Place
PLAG Plage
PLCI Placis
PLE Passerelle
PLN Plaine
PLT Plateau
PN Passage à niveau
PNT Pointe
PONT Ponts
PORQ Portique
POT Poterne
POUR Pourtour
PROM Promenade
PRQ Presqu'île
PRT Petite route
PRV Parvis
PSTY Péristyle
PTA Petite allée
PTE Porte
PTR Petite rue
QUA Quartier
QUAI Quai
RAC Raccourci
RAID Raidillon
REM Rempart
RES Résidence
RLE Ruelle
ROC Rocade
ROQT Roquet
RPE Rampe
RPT Rond-point
RTD Rotonde
RTE Route
RUE Rue
SEN Sentier
SQ Square
STA Station
STDE Stade
TPL Terre plein
TRA Traverse
TRN Terrain
TRT Tertre
TSSE Terrasse
VAL Vallée
VCHE Vieux chemin
VEN Venelle
VGE Village
VLA Villa
VOI Voie
VTE Vieille route
ZA Zone artisanale
ZAC Zone d aménagement concerté
ZAD Zone d aménagement différé
ZI Zone industrielle
ZUP Zone à urbaniser en priorité
"""
)
