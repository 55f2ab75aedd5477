"""Text normalisation of the FICOBA protocol.

CONTRACT §2.2 (protocol v11 §5.3.2.1, §6.3.2.1): "Les informations doivent être transmises en
majuscules, sans accent et sans caractère spécial ou sigle (&é »'(-_{@ ;, etc.). Dans le cas
contraire, l'API fera la conversion et les caractères spéciaux seront remplacés par des espaces."
The example request `"nom": "CORBuSIER", "prenoms": "CHARLES-éDOUARD"` matches the stored
`CORBUSIER` / `CHARLES EDOUARD`.

Annex 10 (état civil) allows the 26 letters, 16 accented letters, the ligatures æ/œ, space, hyphen
and apostrophe. Searches compare the normalised forms, so hyphens and apostrophes become spaces
on both sides ("CHARLES-EDOUARD" == "CHARLES EDOUARD", "N'DIAYE" == "N DIAYE").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Ligatures do not decompose under NFKD into two letters: spell them out (Annex 10 lists æ, œ).
_LIGATURES = str.maketrans({"Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "ß": "SS"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def strip_accents(text: str) -> str:
    """Remove diacritics, keep the case: 'Bouches-du-Rhône' -> 'Bouches-du-Rhone'.

    The protocol prints department labels this way (CONTRACT §3.2 example "Bouches-du-Rhone").
    """
    if text.isascii():  # nothing to strip (NFKD leaves ASCII unchanged): the common case
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def normalize_text(text: str | None) -> str:
    """Protocol form: upper case, no accent, every special character a space, spaces collapsed.

    `None` and blank strings give `""`. Digits are kept (street numbers, company names such as
    "3F"). Cached: the same names come back again and again in searches and generation.
    """
    if not text:
        return ""
    upper = strip_accents(text).upper()
    return _NOT_ALNUM.sub(" ", upper).strip()


def normalize_words(text: str | None) -> tuple[str, ...]:
    """The normalised text split into words: used for first-name and partial-name matching."""
    norm = normalize_text(text)
    return tuple(norm.split()) if norm else ()


def label_upper(text: str) -> str:
    """Commune / country label in the FICOBA style: upper case, no accent, hyphens and apostrophes
    kept ("CRETEIL", "L'ABERGEMENT-CLEMENCIAT"), as the protocol examples print them."""
    return " ".join(strip_accents(text).upper().split())
