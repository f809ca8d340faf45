"""The guideline knowledge base: questions and answers with sources, from the seed documents.

``knowledge_base/guidelines.yml`` is the one source of truth. ``python -m
knowledge_base.guidelines`` generates the ``faq`` intent's training data (``nlu/faq.yml``)
from it; which entry answers a question is decided by ``knowledge_base.retriever``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from nlu.latvian_text import words

HERE = Path(__file__).resolve().parent
GUIDELINES_FILE = HERE / "guidelines.yml"
TRAINING_FILE = HERE.parent / "nlu" / "faq.yml"
FAQ_INTENT = "faq"
# The intent classifier learns "guideline question" from a few phrasings of each entry, spread
# over its list; all of them would outweigh the registration intents. The retriever learns
# from every phrasing.
INTENT_EXAMPLES_PER_ENTRY = 9
SEEDS = {
    "000_03ff0ea343a2588b.txt": "PU2-1 uzdevuma kartīte",
    "001_cadfb7f0fc9318b4.txt": "apmācību materiāls P1.1",
    "002_9aba2dfde9645752.txt": "PU2-18 uzdevuma kartīte",
    "003_210fa639445b0861.txt": "koncepcijas slaidi (2012)",
    "004_f8b2d922f76aa1f4.txt": "PU2-14 uzdevuma kartīte",
}


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    long_answer: Optional[str]
    source_file: str
    source_section: str

    @property
    def source(self) -> str:
        document = SEEDS.get(self.source_file, self.source_file)
        return f"Avots: {document} ({self.source_file}), {self.source_section}."

    def text(self, long: bool = False) -> str:
        """The answer as the bot says it, always naming its source."""
        body = f"{self.answer}\n\n{self.long_answer}" if long and self.long_answer else self.answer
        return f"{body}\n{self.source}"


class KnowledgeBase:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_id = {e.id: e for e in entries}
        self._by_phrasing = {_phrasing_key(q): e for e in entries for q in e.questions}

    def get(self, entry_id: str) -> Optional[Entry]:
        return self._by_id.get(entry_id)

    def by_phrasing(self, text: str) -> Optional[Entry]:
        """The entry one of whose phrasings the text is (ignoring case, diacritics, punctuation)."""
        return self._by_phrasing.get(_phrasing_key(text))


def _phrasing_key(text: str) -> str:
    return " ".join(words(text))


@lru_cache(maxsize=1)
def load_guidelines(path: Path = GUIDELINES_FILE) -> KnowledgeBase:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return KnowledgeBase(
        [
            Entry(
                id=item["id"],
                title=item["title"],
                questions=tuple(item["questions"]),
                answer=" ".join(item["answer"].split()),
                long_answer=" ".join(item["long_answer"].split()) if item.get("long_answer") else None,
                source_file=item["source"]["file"],
                source_section=item["source"]["section"],
            )
            for item in data["entries"]
        ]
    )


def intent_examples(entry: Entry) -> tuple[str, ...]:
    """INTENT_EXAMPLES_PER_ENTRY phrasings spread evenly over the entry's list."""
    step = max(1, len(entry.questions) // INTENT_EXAMPLES_PER_ENTRY)
    return entry.questions[::step][:INTENT_EXAMPLES_PER_ENTRY]


def training_data(knowledge_base: KnowledgeBase) -> dict:
    """Rasa NLU training data for the ``faq`` intent: a few phrasings of every entry."""
    examples = "".join(f"- {question}\n" for entry in knowledge_base.entries for question in intent_examples(entry))
    return {"version": "3.1", "nlu": [{"intent": FAQ_INTENT, "examples": examples}]}


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as YAML block literals, as Rasa's own files do."""


_LiteralDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None),
)


def write_training_data(path: Path = TRAINING_FILE) -> None:
    header = "# Generated from knowledge_base/guidelines.yml by `python -m knowledge_base.guidelines`.\n"
    body = yaml.dump(training_data(load_guidelines()), Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(header + body, encoding="utf-8")


if __name__ == "__main__":
    write_training_data()
