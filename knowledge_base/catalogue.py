"""The institution's service catalogue and the search that finds a service in free text.

Each service name and synonym is a *phrase*: the set of its stemmed content words. A phrase is
found *whole* when all its words occur in the text (anywhere, in any order) and *partly* when at
least half of them do. The service with the longest phrase found whole is the one the text
names: “izziņa par deklarēto dzīvesvietu” is a certificate, not a residence declaration.

A text word (stem) of 5+ letters that the catalogue does not know also matches a catalogue word
one letter away (wrong, missing, extra, or two neighbours swapped); it counts half, and a phrase
found only through such slips is offered by `search` but never decides `identify`.

The index built at load time (word → phrases, and the one-deletion neighbourhood of every long
word) means that a lookup only looks at the phrases that share a word with the text.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Optional

import yaml

from nlu.latvian_text import stems

CATALOGUE_FILE = Path(__file__).resolve().parent / "services.yml"
# Words (stems) a phrase can do without: “izziņa par dzīvesvietu” is “izziņa dzīvesvieta”, and
# in a service catalogue the word “pakalpojums” names no service.
STOP_WORDS = frozenset(
    {"ar", "bez", "ir", "lidz", "nav", "no", "pa", "pakalpojum", "par", "pec", "pie", "un", "uz", "vai"}
)
# Working days to answer a registration for no catalogue service (Law on Submissions: one month).
DEFAULT_HANDLING_DAYS = 21
# A phrase matches partly when this share of its words is found in the text.
PARTIAL_MATCH = 0.5
# Stems at least this long also match with one slipped letter; such a word counts half.
MIN_SLIP_LENGTH = 5
SLIP_WEIGHT = 0.5


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    synonyms: tuple[str, ...]
    handling_days: int
    unit: str
    place: bool = False  # where it is matters (a street lamp, a pothole): the bot asks for the place

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


def phrase_words(phrase: str) -> frozenset[str]:
    """The stemmed content words of a phrase (all its words when it has only stop words)."""
    all_words = stems(phrase)
    return frozenset([word for word in all_words if word not in STOP_WORDS] or all_words)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_slip(a: str, b: str) -> bool:
    """The words differ by one letter: wrong, missing, extra, or two neighbours swapped."""
    if len(a) > len(b):
        a, b = b, a
    if a == b or len(b) - len(a) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]  # one letter missing
    if a[i + 1 :] == b[i + 1 :]:
        return True  # one letter wrong
    return a[i + 1 : i + 2] + a[i] == b[i : i + 2] and a[i + 2 :] == b[i + 2 :]  # neighbours swapped


@dataclass
class _Evidence:
    """How well the text names one service."""

    share: float = 0.0  # the largest share of one phrase's words found (slipped ones count half)
    longest: int = 0  # words of the longest phrase found whole, not only through slips
    covered: set[str] = field(default_factory=set)  # words of all those whole phrases
    exact: int = 0  # how many of the covered words are in the text without a slip

    def add(self, phrase: frozenset[str], share: float, whole: bool, slipped: set[str]) -> None:
        self.share = max(self.share, share)
        if whole:
            self.longest = max(self.longest, len(phrase))
            self.covered |= phrase
            self.exact = len(self.covered - slipped)

    @property
    def rank(self) -> tuple[int, int, int, float]:
        """Better evidence ranks higher: the longest whole phrase, then the most words covered,
        then the fewest slips, then the largest share found."""
        return self.longest, len(self.covered), self.exact, self.share


class Catalogue:
    """Services of the institution, searchable by the words citizens use."""

    def __init__(self, services: list[Service], institution: str) -> None:
        self.services = services
        self.institution = institution
        self._by_id = {s.id: s for s in services}
        self._phrases = [(i, phrase_words(p)) for i, s in enumerate(services) for p in s.phrases]
        postings: dict[str, list[int]] = defaultdict(list)
        for p, (_, phrase) in enumerate(self._phrases):
            for word in phrase:
                postings[word].append(p)
        neighbours: dict[str, list[str]] = defaultdict(list)
        for word in postings:
            if len(word) >= MIN_SLIP_LENGTH:
                for key in _deletions(word) | {word}:
                    neighbours[key].append(word)
        self._postings = dict(postings)  # word → the phrases that have it
        self._neighbours = dict(neighbours)  # word or one-letter deletion → the long words it comes from

    def get(self, service_id: str) -> Optional[Service]:
        return self._by_id.get(service_id)

    def handling_days(self, service_id: Optional[str]) -> int:
        """The promised handling time in working days of a registration for this service.

        Complaints, suggestions and requests for no catalogue service: an answer within one
        month (Law on Submissions), ``DEFAULT_HANDLING_DAYS``.
        """
        service = self.get(service_id) if service_id else None
        return service.handling_days if service else DEFAULT_HANDLING_DAYS

    def search(self, text: str, limit: int = 3) -> list[tuple[Service, float]]:
        """Best-matching services for the text, best first, with the share of the best phrase
        found in [0, 1]; equal ones in catalogue order."""
        ranked = sorted(self._evidence(text).items(), key=lambda item: (item[1].rank, -item[0]), reverse=True)
        return [(self.services[i], evidence.share) for i, evidence in ranked[:limit]]

    def identify(self, text: str) -> Optional[Service]:
        """The one service the text clearly names, or None when unsure.

        Only phrases found whole count, ranked as in `search`; a tie between services is unsure."""
        whole = [(e.rank, i) for i, e in self._evidence(text).items() if e.longest]
        if not whole:
            return None
        best = max(rank for rank, _ in whole)
        winners = [i for rank, i in whole if rank == best]
        return self.services[winners[0]] if len(winners) == 1 else None

    def _evidence(self, text: str) -> dict[int, _Evidence]:
        """What the text has of each service that it names at least partly."""
        exact, slipped = self._words_in(text)
        exact_hits = Counter(chain.from_iterable(self._postings[word] for word in exact))
        slip_hits = Counter(chain.from_iterable(self._postings[word] for word in slipped))
        evidence: dict[int, _Evidence] = defaultdict(_Evidence)
        for p in exact_hits.keys() | slip_hits.keys():
            service, phrase = self._phrases[p]
            found, found_slipped = exact_hits.get(p, 0), slip_hits.get(p, 0)
            share = (found + SLIP_WEIGHT * found_slipped) / len(phrase)
            if share >= PARTIAL_MATCH:
                whole = found > 0 and found + found_slipped == len(phrase)
                evidence[service].add(phrase, share, whole, slipped)
        return evidence

    def _words_in(self, text: str) -> tuple[set[str], set[str]]:
        """Catalogue words the text has as they are, and those it has with one slipped letter."""
        text_words = set(stems(text))
        slipped = set()
        for word in text_words - self._postings.keys():
            if len(word) >= MIN_SLIP_LENGTH:
                for key in _deletions(word) | {word}:
                    for near in self._neighbours.get(key, ()):
                        if near not in text_words and one_slip(word, near):
                            slipped.add(near)
        return text_words & self._postings.keys(), slipped


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
            place=bool(item.get("place", False)),
        )
        for item in data["services"]
    ]
    return Catalogue(services, data["institution"])
