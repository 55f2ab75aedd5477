"""Real French banks (code établissement, name, BIC) the generated accounts are held at.

Codes and BICs are public (Banque de France REGAFI / SWIFT directory); the names are written the
way FICOBA prints them ("BNP PARIBAS", CONTRACT §3.1). Weights roughly follow market shares so
that the big networks hold most accounts.
"""

from __future__ import annotations

#: where comptes chèques postaux (nature 102) are held
LA_BANQUE_POSTALE = "20041"

# (code, libellé, BIC, weight)
BANQUES: tuple[tuple[str, str, str, int], ...] = (
    ("30004", "BNP PARIBAS", "BNPAFRPPXXX", 14),
    ("30003", "SOCIETE GENERALE", "SOGEFRPPXXX", 12),
    ("30002", "CREDIT LYONNAIS", "CRLYFRPPXXX", 8),
    ("20041", "LA BANQUE POSTALE", "PSSTFRPPXXX", 10),
    (
        "18206",
        "CAISSE REGIONALE DE CREDIT AGRICOLE MUTUEL DE PARIS ET D'ILE DE FRANCE",
        "AGRIFRPP882",
        9,
    ),
    ("17515", "CAISSE D'EPARGNE ET DE PREVOYANCE ILE DE FRANCE", "CEPAFRPP751", 8),
    ("11315", "CAISSE D'EPARGNE CEPAC", "CEPAFRPP131", 4),
    ("10278", "CAISSE FEDERALE DE CREDIT MUTUEL", "CMCIFR2AXXX", 7),
    ("30066", "CIC", "CMCIFRPPXXX", 6),
    ("30027", "BANQUE CIC NORD OUEST", "CMCIFRPAXXX", 2),
    ("10107", "BRED BANQUE POPULAIRE", "BREDFRPPXXX", 5),
    ("13507", "BANQUE POPULAIRE DU NORD", "CCBPFRPPLIL", 2),
    ("30056", "HSBC CONTINENTAL EUROPE", "CCFRFRPPXXX", 2),
    ("30076", "CREDIT DU NORD", "NORDFRPPXXX", 3),
    ("40618", "BOURSORAMA", "BOUSFRPPXXX", 5),
    ("16958", "QONTO", "QNTOFRP1XXX", 2),
    ("12619", "CAIXA GERAL DE DEPOSITOS S A", "CGDIFRPPXXX", 1),
)
