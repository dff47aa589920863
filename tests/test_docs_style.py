"""One spelling across what a reader sees: American English (the pages chose it first).

("hyperparameter", the field's usual spelling, is checked the same way.)

The pages, the notebook, the README, and the docstrings the API reference
shows are searched for the British forms of words this subject uses, so a
new page cannot mix "initialisation" and "initialization".
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRITISH = re.compile(
    r"\b[a-z]*(?:initiali|optimi|normali|minimi|maximi|vectori|regulari|generali|summari|recogni|organi"
    r"|visuali|parameteri|randomi|standardi|speciali|stabili|memori|seriali|utili|reali|categori)"
    r"s(?:e|es|ed|ing|ation|ations|er|ers)\b"
    r"|\b(?:analys(?:e|ed|es|ing)|behaviours?|colours?|favour\w*|neighbour\w*"
    r"|labell(?:ed|ing)|modell(?:ed|ing)|travell\w*|centred?|centres|metres?|grey|whilst|amongst"
    r"|learnt|spelt|catalogue|programmes?|towards|afterwards|hyper-parameters?)\b",
    re.IGNORECASE,
)


def reader_facing() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
             *sorted((ROOT / "docs" / "notebooks").glob("*.py")), *sorted((ROOT / "dlfs").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def british_words(text: str) -> list[str]:
    return [m[0] for m in BRITISH.finditer(text)]


def test_the_pattern_finds_british_forms_and_spares_american_ones() -> None:
    assert british_words("initialisation, it optimises, the colour, a labelled axis, centre, towards") == [
        "initialisation", "optimises", "colour", "labelled", "centre", "towards"]
    assert british_words("initialization, optimistic, optimizes, color, labeled, center, realistic") == []


def test_one_spelling_on_every_page_and_docstring() -> None:
    found = {str(f.relative_to(ROOT)): words for f in reader_facing()
             if (words := british_words(f.read_text(encoding="utf-8")))}
    assert len(reader_facing()) > 30
    assert not found, f"British spellings (the book uses American): {found}"
