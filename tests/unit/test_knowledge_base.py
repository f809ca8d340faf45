"""Guideline questions: knowledge base, held-out accuracy and the answers in conversation."""
from __future__ import annotations

from typing import Iterator

import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

from knowledge_base.guidelines import SEEDS, TRAINING_FILE, load_guidelines, training_data
from tests.conftest import MODEL, ROOT


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    yield Agent.load(str(MODEL))


def test_knowledge_base_entries_are_complete() -> None:
    entries = load_guidelines().entries
    assert len(entries) >= 45
    for entry in entries:
        assert entry.source_file in SEEDS and entry.source_section.strip(), entry.id
        assert len(entry.questions) >= 5 and entry.answer, entry.id
        assert "Avots:" in entry.text()


def test_training_data_is_generated_from_the_knowledge_base() -> None:
    import yaml

    generated = yaml.safe_load(TRAINING_FILE.read_text(encoding="utf-8"))
    assert generated == training_data(load_guidelines())


def test_no_phrasing_is_also_an_example_of_another_intent() -> None:
    """An own phrasing is always taken as a guideline question, so none may mean a registration."""
    knowledge_base = load_guidelines()
    clashes = [
        (example.get("intent"), example.get("text"))
        for path in sorted((ROOT / "nlu").glob("*.yml")) if path != TRAINING_FILE
        for example in load_data(str(path)).intent_examples
        if knowledge_base.by_phrasing(example.get("text"))
    ]
    assert clashes == []
