"""The institution's service catalogue and the search that finds a service in free text."""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from nlu.latvian_text import stems

CATALOGUE_FILE = Path(__file__).resolve().parent / "services.yml"
# A phrase matches when this share of its words is found in the text.
FULL_MATCH = 1.0
PARTIAL_MATCH = 0.5


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    synonyms: tuple[str, ...]
    handling_days: int
    unit: str

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


def _similar(a: str, b: str) -> bool:
    """Stems match exactly, or closely enough to forgive a typo in a longer word."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def _phrase_score(phrase: list[str], text: list[str]) -> float:
    if not phrase:
        return 0.0
    return sum(any(_similar(p, t) for t in text) for p in phrase) / len(phrase)


class Catalogue:
    """Services of the institution, searchable by the words citizens use."""

    def __init__(self, services: list[Service], institution: str) -> None:
        self.services = services
        self.institution = institution
        self._by_id = {s.id: s for s in services}
        self._phrases = [(s, stems(p)) for s in services for p in s.phrases]

    def get(self, service_id: str) -> Optional[Service]:
        return self._by_id.get(service_id)

    def search(self, text: str, limit: int = 3) -> list[tuple[Service, float]]:
        """Best-matching services for the text, best first, with scores in [0, 1]."""
        words = stems(text)
        best: dict[str, float] = {}
        for service, phrase in self._phrases:
            score = _phrase_score(phrase, words)
            if score >= PARTIAL_MATCH and score > best.get(service.id, 0.0):
                best[service.id] = score
        ranked = sorted(best.items(), key=lambda item: -item[1])
        return [(self._by_id[sid], score) for sid, score in ranked[:limit]]

    def identify(self, text: str) -> Optional[Service]:
        """The one service the text clearly names, or None when unsure."""
        found = self.search(text)
        full = [service for service, score in found if score >= FULL_MATCH]
        return full[0] if len(full) == 1 else None


@lru_cache(maxsize=1)
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = [
        Service(
            id=item["id"],
            name=item["name"],
            synonyms=tuple(item.get("synonyms", [])),
            handling_days=int(item["handling_days"]),
            unit=item["unit"],
        )
        for item in data["services"]
    ]
    return Catalogue(services, data["institution"])
