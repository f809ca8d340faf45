"""Evaluation reports on held-out Latvian sets (tests/data), never used in training.

``python -m bot.evaluate [model]`` prints:
- classification: per-intent precision/recall/F1, macro-F1 of the registration and status
  intents, complaint recall and the misclassified messages;
- guideline questions: how many are answered with the right facts, how many get the
  "closest topics" offer, how many are answered wrongly, and the list of misses.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.log_utils import configure_structlog
from sklearn.metrics import classification_report, f1_score, recall_score

from actions.faq import ANSWER_CONFIDENCE, OFFERED_TOPICS
from bot.settings import ROOT
from knowledge_base.guidelines import RETRIEVAL_INTENT, load_guidelines

CLASSIFICATION_HOLDOUT = ROOT / "tests" / "data" / "classification_holdout.yml"
FAQ_HOLDOUT = ROOT / "tests" / "data" / "faq_holdout.yml"
CORE_INTENTS = ["complaint", "suggestion", "service_request", "check_status"]


def parse_all(agent: Agent, texts: list[str]) -> list[dict]:
    async def parse() -> list[dict]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())


def evaluate_classification(agent: Agent) -> dict:
    """Intent predictions on the held-out classification set and the headline figures."""
    examples = load_data(str(CLASSIFICATION_HOLDOUT)).intent_examples
    truth = [example.get("intent") for example in examples]
    texts = [example.get("text") for example in examples]
    predicted = [result["intent"]["name"] for result in parse_all(agent, texts)]
    return {
        "truth": truth,
        "predicted": predicted,
        "texts": texts,
        "macro_f1_core": f1_score(truth, predicted, labels=CORE_INTENTS, average="macro"),
        "complaint_recall": recall_score(truth, predicted, labels=["complaint"], average="macro"),
    }


@dataclass(frozen=True)
class FaqOutcome:
    question: str
    topic: str
    outcome: str  # correct | wrong | offered | other_intent
    detail: str
    confidence: float


def faq_outcome(item: dict, parsed: dict) -> FaqOutcome:
    """What the bot would do with one held-out question, judged by the facts it must give."""
    knowledge_base = load_guidelines()
    intent = parsed["intent"]["name"]
    selector = (parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    ranking = [r["intent_response_key"].split("/", 1)[1] for r in selector.get("ranking", [])]
    confidence = (selector.get("response") or {}).get("confidence") or 0.0
    top: Optional[str] = ranking[0] if ranking else None
    if intent != RETRIEVAL_INTENT:
        return FaqOutcome(item["question"], item["topic"], "other_intent", intent, confidence)
    known = knowledge_base.by_phrasing(item["question"])
    if known:
        top, confidence = known.id, 1.0
    if confidence < ANSWER_CONFIDENCE:
        offered = item["topic"] in ranking[:OFFERED_TOPICS]
        return FaqOutcome(item["question"], item["topic"], "offered", f"right topic offered: {offered}", confidence)
    answer = knowledge_base.get(top).answer.lower() if top and knowledge_base.get(top) else ""
    has_facts = all(fact.lower() in answer for fact in item["facts"])
    return FaqOutcome(item["question"], item["topic"], "correct" if has_facts else "wrong", str(top), confidence)


def evaluate_faq(agent: Agent) -> list[FaqOutcome]:
    items = yaml.safe_load(FAQ_HOLDOUT.read_text(encoding="utf-8"))["questions"]
    return [faq_outcome(item, parsed) for item, parsed in zip(items, parse_all(agent, [i["question"] for i in items]))]


def own_phrasings_reached(agent: Agent) -> tuple[int, int]:
    """How many knowledge-base phrasings are taken as guideline questions (and so answered)."""
    questions = [question for entry in load_guidelines().entries for question in entry.questions]
    reached = sum(parsed["intent"]["name"] == RETRIEVAL_INTENT for parsed in parse_all(agent, questions))
    return reached, len(questions)


def main() -> None:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "paligs.tar.gz"
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    result = evaluate_classification(agent)
    print("== Classification (tests/data/classification_holdout.yml) ==")
    print(classification_report(result["truth"], result["predicted"], digits=3, zero_division=0))
    print(f"macro-F1 (complaint, suggestion, service_request, check_status): {result['macro_f1_core']:.3f}")
    print(f"complaint recall: {result['complaint_recall']:.3f}")
    misses = [(t, p, x) for t, p, x in zip(result["truth"], result["predicted"], result["texts"]) if t != p]
    print(f"{len(misses)} misclassified of {len(result['truth'])}:")
    for truth, predicted, text in misses:
        print(f"  {truth:>16} -> {predicted:<16} {text}")

    outcomes = evaluate_faq(agent)
    counts = {kind: sum(o.outcome == kind for o in outcomes) for kind in ("correct", "offered", "other_intent", "wrong")}
    print(f"\n== Guideline questions (tests/data/faq_holdout.yml, answer confidence >= {ANSWER_CONFIDENCE}) ==")
    print(f"answered with the right facts: {counts['correct']}/{len(outcomes)} ({counts['correct'] / len(outcomes):.1%})")
    print(f"closest topics offered: {counts['offered']}, taken as another intent: {counts['other_intent']}, "
          f"wrong answer stated as fact: {counts['wrong']}")
    reached, total = own_phrasings_reached(agent)
    print(f"knowledge-base phrasings taken as guideline questions (answered from their entry): {reached}/{total}")
    for o in outcomes:
        if o.outcome != "correct":
            print(f"  {o.outcome:>12} {o.confidence:.2f} {o.topic:<28} {o.detail:<28} {o.question}")


if __name__ == "__main__":
    main()
