"""Guideline questions: knowledge base, held-out accuracy and the answers in conversation."""
from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from rasa.core.agent import Agent
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from bot import evaluate
from knowledge_base.guidelines import SEEDS, TRAINING_FILE, load_guidelines, training_data
from tests.conftest import MODEL, Stack, buttons

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


def test_every_entry_is_reachable_by_each_of_its_phrasings(agent: Agent) -> None:
    entries = load_guidelines().entries
    questions = [(entry, question) for entry in entries for question in entry.questions]
    misses = []
    for (entry, question), parsed in zip(questions, evaluate.parse_all(agent, [q for _, q in questions])):
        tracker = Tracker("s", {}, parsed, [], False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
        if parsed["intent"]["name"] != "faq" or dispatcher.messages[0]["text"] != entry.text():
            misses.append((entry.id, question))
    assert misses == []


def test_held_out_questions_never_get_a_wrong_answer_stated_as_fact(agent: Agent) -> None:
    outcomes = evaluate.evaluate_faq(agent)
    assert len(outcomes) >= 80
    assert [o for o in outcomes if o.outcome == "wrong"] == []
    assert any(o.outcome == "correct" for o in outcomes)


def test_unsure_match_offers_the_closest_topics() -> None:
    ranking = [
        {"intent_response_key": "faq/what_is_complaint", "confidence": 0.31},
        {"intent_response_key": "faq/what_is_suggestion", "confidence": 0.29},
        {"intent_response_key": "faq/complaint_vs_suggestion", "confidence": 0.2},
        {"intent_response_key": "faq/what_is_service", "confidence": 0.1},
    ]
    latest = {"text": "?", "intent": {"name": "faq"}, "entities": [],
              "response_selector": {"faq": {"ranking": ranking, "response": {"confidence": 0.31}}}}
    tracker = Tracker("s", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    titles = [b["title"] for b in message["buttons"]]
    assert "Neesmu pārliecināts" in message["text"] and "Avots" not in message["text"]
    assert len(titles) == 4 and titles[-1] == "Neviens no šiem"
    assert titles[0] == load_guidelines().get("what_is_complaint").title


def test_question_is_answered_with_its_source(stack: Stack) -> None:
    answer = stack.chat().text("Kas ir pakalpojums?")
    assert "darbība vai darbību kopums" in answer and "Avots:" in answer


def test_question_without_diacritics(stack: Stack) -> None:
    answer = stack.chat().text("ar ko sudziba atskiras no ierosinajuma")
    assert "Avots:" in answer and "ierosinājum" in answer


def test_a_question_about_complaints_does_not_start_a_registration(stack: Stack) -> None:
    chat = stack.chat()
    assert "Avots:" in chat.text("Kas ir sūdzība?")
    assert "aprakstiet" in chat.text("Gribu iesniegt sūdzību")


def test_long_answer_on_request(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say('/inform{"faq_topic": "roles_overview"}')
    more = next(b for m in replies for b in m.get("buttons", []) if b["title"] == "Plašāk")
    longer = chat.text(more["payload"])
    assert len(longer) > len(replies[0]["text"]) and "Avots:" in longer


def test_none_of_the_offered_topics_leads_to_a_person(stack: Stack) -> None:
    chat = stack.chat()
    offer = chat.say("/faq")
    assert "Neviens no šiem" in [b["title"] for b in buttons(offer)]
    answer = chat.text("/deny")
    assert "nezinu" in answer and "67 000 000" in answer
