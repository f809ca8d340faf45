"""Latvian text normalisation shared by the NLU pipeline and the catalogue search.

Latvian is highly inflected and citizens often type without diacritics, so matching
works on *folded* (lower-case, diacritic-free) and *stemmed* word forms.
"""
from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans("āčēģīķļņōŗšūž", "acegiklnorsuz")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s+|$)")

# Inflectional endings after folding, longest first; a stem keeps at least 3 letters.
_ENDINGS = sorted(
    [
        "ajiem", "ajam", "ajai", "ajos", "ajas", "akais",
        "iem", "ijas", "iju", "ija", "ijai",
        "am", "em", "im", "um", "os", "as", "es", "is", "us", "ai", "ei", "ui", "ie",
        "a", "e", "i", "u", "s", "o",
    ],
    key=len,
    reverse=True,
)


def fold(text: str) -> str:
    """Lower-case the text and drop Latvian (and any other) diacritics."""
    text = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Strip one inflectional ending from a folded word (a light Latvian stemmer)."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def words(text: str) -> list[str]:
    """Folded words of the text."""
    return _WORD.findall(fold(text))


def stems(text: str) -> list[str]:
    """Folded, stemmed words of the text."""
    return [stem(w) for w in words(text)]


def sentences(text: str) -> list[str]:
    """The text's sentences: split after ., !, ? or … followed by a space, those with a word."""
    return [part.strip() for part in _SENTENCE_END.split(text) if _WORD.search(part)]
