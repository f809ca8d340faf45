"""Kinds of registrations and their reference numbers ``<K>-<YYYY>-<NNNNNN>``."""
from __future__ import annotations

import re
from typing import Optional

# kind -> (reference letter, Latvian name)
KINDS: dict[str, tuple[str, str]] = {
    "complaint": ("S", "sūdzība"),
    "suggestion": ("I", "ierosinājums"),
    "service_request": ("P", "pakalpojuma pieprasījums"),
}
KIND_BY_LETTER = {letter: kind for kind, (letter, _) in KINDS.items()}
# How a kind is named in words, as stems of folded text (no diacritics, lower case).
KIND_STEMS = (("sudzib", "complaint"), ("ierosin", "suggestion"), ("priekslikum", "suggestion"),
              ("pieprasij", "service_request"), ("pakalpojum", "service_request"))
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])([SIPsip])\s*[-–]?\s*(\d{4})\s*[-–]?\s*(\d{1,6})(?!\d)")


def parse_reference(text: str) -> Optional[str]:
    """The first reference number in the text, normalised (``s 2026 42`` -> ``S-2026-000042``)."""
    match = _REFERENCE.search(text)
    if not match:
        return None
    letter, year, number = match.groups()
    return f"{letter.upper()}-{year}-{int(number):06d}"


def text_after_reference(text: str) -> str:
    """What follows the first reference number, without a leading colon or dash."""
    match = _REFERENCE.search(text)
    return text[match.end():].lstrip(" :–-\t\n") if match else ""


def without_references(text: str) -> str:
    """The text with every reference number taken out."""
    return _REFERENCE.sub(" ", text)


def format_reference(kind: str, year: int, number: int) -> str:
    return f"{KINDS[kind][0]}-{year}-{number:06d}"
