"""Guideline questions: knowledge base, held-out accuracy and the answers in conversation."""
from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from rasa.core.agent import Agent
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from bot.ops import evaluate
from knowledge_base.guidelines import load_guidelines
from knowledge_base.retriever import GuidelineRetriever
from tests.conftest import MODEL
from tests.e2e.conftest import Stack, buttons


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    yield Agent.load(str(MODEL))


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


def test_held_out_questions_are_answered_with_the_right_facts_and_never_wrongly(agent: Agent) -> None:
    outcomes = evaluate.evaluate_faq(agent)
    correct = [o for o in outcomes if o.outcome == "correct"]
    assert len(outcomes) >= 80
    assert [o for o in outcomes if o.outcome == "wrong"] == []
    assert len(correct) >= 0.9 * len(outcomes), [o for o in outcomes if o.outcome != "correct"]


def test_unsure_match_offers_the_closest_topics() -> None:
    closest = ["what_is_complaint", "complaint_vs_suggestion", "what_is_suggestion"]
    finding = {"answer": None, "closest": closest, "confidence": 0.1, "question_margin": 1.0}
    latest = {"text": "nu un ko tad īsti nozīmē tā sūdzība", "intent": {"name": "faq"}, "entities": [], "guideline": finding}
    tracker = Tracker("s", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    titles = [b["title"] for b in message["buttons"]]
    assert "Neesmu pārliecināts" in message["text"] and "Avots" not in message["text"]
    assert titles == [load_guidelines().get(entry_id).title for entry_id in closest] + ["Neviens no šiem"]


def test_wordless_text_is_never_answered_as_fact(agent: Agent) -> None:
    texts = ["", "   ", "🙂🙂", "???", "/faq"]
    for text, parsed in zip(texts, evaluate.parse_all(agent, texts)):
        assert (parsed.get("guideline") or {}).get("answer") is None, text


def test_close_call_between_two_entries_is_not_answered_as_fact() -> None:
    retriever = GuidelineRetriever(load_guidelines())
    finding = retriever.find("kas ir")
    assert finding.confidence < retriever.margin and finding.answer is None and len(finding.closest) == 3


def test_question_is_answered_with_its_source(stack: Stack) -> None:
    answer = stack.chat().text("Kas ir pakalpojums?")
    assert "darbība vai darbību kopums" in answer and "Avots:" in answer


def test_question_without_diacritics(stack: Stack) -> None:
    answer = stack.chat().text("ar ko sudziba atskiras no ierosinajuma")
    assert "Avots:" in answer and "ierosinājum" in answer


def test_paraphrase_that_is_not_an_own_phrasing_is_answered(stack: Stack) -> None:
    question = "nu pastāsti, ar ko īsti atšķiras sūdzība un ierosinājums"
    assert load_guidelines().by_phrasing(question) is None
    answer = stack.chat().text(question)
    assert "Avots:" in answer and "ierosinājum" in answer and "sūdzīb" in answer


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
