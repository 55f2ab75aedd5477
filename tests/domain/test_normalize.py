"""domain/normalize.py: the protocol's text form (CONTRACT §2.2; protocol v11 §5.3.2.1, Annex 10)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ficoba_sandbox.domain.normalize import (
    label_upper,
    normalize_text,
    normalize_words,
    strip_accents,
)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("CORBuSIER", "CORBUSIER"),  # the protocol's example request
        ("CHARLES-éDOUARD", "CHARLES EDOUARD"),
        ("  l'Hôpital  &  Œuvre ", "L HOPITAL OEUVRE"),
        ("N'DIAYE", "N DIAYE"),
        ("Lætitia", "LAETITIA"),
        ("3F  HABITAT", "3F HABITAT"),  # digits kept
        (None, ""),
        ("", ""),
        (" -' ", ""),
    ],
)
def test_normalize_text(raw: str | None, norm: str) -> None:
    assert normalize_text(raw) == norm


@given(st.text())
def test_normal_form_is_upper_ascii_words_and_stable(text: str) -> None:
    norm = normalize_text(text)
    assert re.fullmatch(r"([A-Z0-9]+( [A-Z0-9]+)*)?", norm)
    assert normalize_text(norm) == norm
    assert normalize_words(text) == tuple(norm.split())


def test_strip_accents_keeps_the_case() -> None:
    assert strip_accents("Bouches-du-Rhône") == "Bouches-du-Rhone"
    assert strip_accents("Œuvre") == "OEuvre"
    plain = "already plain"
    assert strip_accents(plain) is plain  # ASCII: returned as is


def test_label_upper_keeps_hyphens_and_apostrophes() -> None:
    assert label_upper("L'Abergement-Clémenciat") == "L'ABERGEMENT-CLEMENCIAT"
    assert label_upper("  Saint   Denis ") == "SAINT DENIS"
