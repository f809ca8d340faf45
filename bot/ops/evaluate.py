"""Evaluation reports on held-out Latvian sets (tests/data), never used in training.

``python -m bot.ops.evaluate [model]`` prints:
- classification: per-intent precision/recall/F1, macro-F1 of the registration and status
  intents, complaint recall and the misclassified messages;
- guideline questions: how many are answered with the right facts, how many get the
  "closest topics" offer, how many are answered wrongly, right/wrong answers at other
  margins, the retriever's cross-validation over the knowledge base, and the list of misses;
- real-style messages: for the set written for Palīgs (``realistic_holdout.yml``) and the
  test half of real residents' letters from public sources (``real_letters.yml``), the share
  of registrable ones that reach a registration, the share the bot proposes with the right
  kind itself, the share where it asks the kind, judged on the pipeline's own decision
  (``nlu.routing``, which the dialogue follows), a confusion table and the most common
  error types with an example each.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.log_utils import configure_structlog
from sklearn.metrics import classification_report, f1_score, recall_score

from bot.settings import ROOT
from knowledge_base.guidelines import FAQ_INTENT, KnowledgeBase, load_guidelines
from knowledge_base.retriever import ANSWER_MARGIN, GuidelineRetriever
from nlu.components import GUIDELINE
from nlu.routing import INFORMATION_REQUEST, REGISTRATION_KINDS, ROUTE, Route

CLASSIFICATION_HOLDOUT = ROOT / "tests" / "data" / "classification_holdout.yml"
FAQ_HOLDOUT = ROOT / "tests" / "data" / "faq_holdout.yml"
REALISTIC_HOLDOUT = ROOT / "tests" / "data" / "realistic_holdout.yml"
REAL_LETTERS = ROOT / "tests" / "data" / "real_letters.yml"
REGISTRABLE = (*REGISTRATION_KINDS, INFORMATION_REQUEST)
NOT_REGISTRABLE = "not_registrable"
# What the bot did with a message, as the confusion table's columns.
OUTCOMES = (*REGISTRABLE, "ask_kind", "faq", "not_understood", "other")
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
    best_is_right: bool  # whether the retriever's best entry has the facts, however sure it is


def faq_outcome(item: dict, parsed: dict) -> FaqOutcome:
    """What the bot would do with one held-out question, judged by the facts it must give."""
    knowledge_base = load_guidelines()
    finding = parsed[GUIDELINE]
    answer = knowledge_base.get(finding["answer"] or "")
    best = answer or knowledge_base.get(finding["closest"][0])
    best_is_right = all(fact.lower() in best.answer.lower() for fact in item["facts"])
    if parsed["intent"]["name"] != FAQ_INTENT:
        outcome, detail = "other_intent", parsed["intent"]["name"]
    elif not answer:
        outcome, detail = "offered", f"right topic offered: {item['topic'] in finding['closest']}"
    else:
        outcome, detail = ("correct" if best_is_right else "wrong"), best.id
    return FaqOutcome(item["question"], item["topic"], outcome, detail, finding["confidence"], best_is_right)


def evaluate_faq(agent: Agent) -> list[FaqOutcome]:
    items = yaml.safe_load(FAQ_HOLDOUT.read_text(encoding="utf-8"))["questions"]
    return [faq_outcome(item, parsed) for item, parsed in zip(items, parse_all(agent, [i["question"] for i in items]))]


def own_phrasings_reached(agent: Agent) -> tuple[int, int]:
    """How many knowledge-base phrasings are taken as guideline questions (and so answered)."""
    questions = [question for entry in load_guidelines().entries for question in entry.questions]
    reached = sum(parsed["intent"]["name"] == FAQ_INTENT for parsed in parse_all(agent, questions))
    return reached, len(questions)


def retriever_cross_validation(folds: int = 5) -> tuple[float, float, float]:
    """Each phrasing ranked by a retriever trained without it: top-1 accuracy, the share
    answered at ANSWER_MARGIN, and the precision of those answers."""
    entries = load_guidelines().entries
    right = answered = answered_right = total = 0
    for fold in range(folds):
        training = [replace(e, questions=tuple(q for i, q in enumerate(e.questions) if i % folds != fold)) for e in entries]
        retriever = GuidelineRetriever(KnowledgeBase(training))
        for entry in entries:
            for question in entry.questions[fold::folds]:
                finding = retriever.find(question)
                total += 1
                right += finding.closest[0].id == entry.id
                answered += finding.answer is not None
                answered_right += finding.answer is not None and finding.answer.id == entry.id
    return right / total, answered / total, answered_right / max(answered, 1)


@dataclass(frozen=True)
class RealisticOutcome:
    """One real-style held-out message and what the bot does with it."""

    text: str
    label: str  # complaint | suggestion | service_request | information_request | not_registrable
    intent: str | None  # for not_registrable: the expected reply (faq, check_status, greet, ...)
    route: Route

    @property
    def outcome(self) -> str:
        if self.route.registers:
            return self.route.kind or "ask_kind"
        if self.route.action == "answer_guideline":
            return "faq"
        return "not_understood" if self.route.action == "not_understood" else "other"

    @property
    def reached(self) -> bool:
        """Reaches a registration: a kind proposed, the kinds offered, or the information request offered."""
        return self.route.registers

    @property
    def right(self) -> bool:
        """Registrable: proposed with the right kind; not registrable: the expected reply, no registration."""
        if self.label == NOT_REGISTRABLE:
            return not self.route.registers and (self.intent is None or self.route.intent == self.intent)
        return self.route.registers and self.route.kind == self.label


def route_of(parsed: dict) -> Route:
    """The pipeline's decision; for a model from before ``nlu.routing`` (to compare), its intent's rule."""
    if ROUTE in parsed:
        return Route.from_dict(parsed[ROUTE])
    intent = parsed["intent"]["name"]
    if intent in REGISTRATION_KINDS:
        return Route("register", intent, intent)
    if intent == FAQ_INTENT:
        return Route("answer_guideline", intent)
    return Route("not_understood" if intent == "nlu_fallback" else "reply", intent)


def evaluate_realistic(agent: Agent, path: Path = REALISTIC_HOLDOUT, split: str | None = None) -> list[RealisticOutcome]:
    """What the bot does with each message of a real-style set (only the given split, if any)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [item for item in data.get("messages") or data.get("letters") or []
             if split is None or item.get("split") == split]
    parsed = parse_all(agent, [item["text"] for item in items])
    return [RealisticOutcome(item["text"], item["label"], item.get("intent"), route_of(p))
            for item, p in zip(items, parsed)]


def realistic_figures(outcomes: list[RealisticOutcome]) -> dict:
    """Reach, right-kind and asked shares of the registrable messages; not-registrable ones registered."""
    registrable = [o for o in outcomes if o.label != NOT_REGISTRABLE]
    others = [o for o in outcomes if o.label == NOT_REGISTRABLE]
    return {
        "registrable": len(registrable),
        "reached": sum(o.reached for o in registrable) / max(len(registrable), 1),
        "right_kind": sum(o.right for o in registrable) / max(len(registrable), 1),
        "asked": sum(o.outcome == "ask_kind" for o in registrable) / max(len(registrable), 1),
        "not_registrable": len(others),
        "wrongly_registered": [o for o in others if o.reached],
        "other_right": sum(o.right for o in others),
    }


def error_types(outcomes: list[RealisticOutcome], most: int = 5) -> list[tuple[str, int, str]]:
    """The most common kinds of miss ("label -> what the bot did"), with a count and an example each."""
    misses: dict[str, list[RealisticOutcome]] = {}
    for o in outcomes:
        if not o.right:
            misses.setdefault(f"{o.label} -> {o.outcome}", []).append(o)
    ranked = sorted(misses.items(), key=lambda item: -len(item[1]))[:most]
    return [(kind, len(found), found[0].text) for kind, found in ranked]


def print_realistic(outcomes: list[RealisticOutcome], title: str, with_misses: bool = True) -> None:
    figures = realistic_figures(outcomes)
    print(f"\n== {title}, {len(outcomes)} messages ==")
    print(f"registrable reaching a registration: {figures['reached']:.1%} of {figures['registrable']}")
    print(f"registrable proposed with the right kind by the bot: {figures['right_kind']:.1%}")
    print(f"registrable where the bot asked the kind: {figures['asked']:.1%}")
    print(f"not registrable: {figures['other_right']}/{figures['not_registrable']} got the expected reply, "
          f"{len(figures['wrongly_registered'])} offered a registration")
    labels = [*REGISTRABLE, NOT_REGISTRABLE]
    print(f"{'label / bot did':>20} " + " ".join(f"{o[:11]:>11}" for o in OUTCOMES))
    for label in labels:
        row = [sum(o.label == label and o.outcome == column for o in outcomes) for column in OUTCOMES]
        print(f"{label:>20} " + " ".join(f"{n:>11}" for n in row))
    print("most common errors (label -> what the bot did: count, an example):")
    for kind, count, example in error_types(outcomes):
        print(f"  {kind}: {count}, e.g. {example[:140]!r}")
    if with_misses:
        print("misses (label -> what the bot did, intent):")
        for o in outcomes:
            if not o.right:
                print(f"  {o.label:>19} -> {o.outcome:<19} {o.route.intent or '':<16} {o.text[:150]}")


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
    print(f"\n== Guideline questions (tests/data/faq_holdout.yml, answer margin >= {ANSWER_MARGIN}) ==")
    print(f"answered with the right facts: {counts['correct']}/{len(outcomes)} ({counts['correct'] / len(outcomes):.1%})")
    print(f"closest topics offered: {counts['offered']}, taken as another intent: {counts['other_intent']}, "
          f"wrong answer stated as fact: {counts['wrong']}")
    print("answer margin: answered right / wrong (of the questions taken as guideline questions)")
    taken = [o for o in outcomes if o.outcome != "other_intent"]
    for margin in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4):
        answered = [o for o in taken if o.confidence >= margin]
        right = sum(o.best_is_right for o in answered)
        print(f"  {margin:.2f}: {right} / {len(answered) - right}")
    accuracy, coverage, precision = retriever_cross_validation()
    print(f"retriever 5-fold cross-validation over the knowledge base's phrasings: top-1 {accuracy:.1%}; "
          f"at margin {ANSWER_MARGIN}: {coverage:.1%} answered, {precision:.1%} of them right")
    reached, total = own_phrasings_reached(agent)
    print(f"knowledge-base phrasings taken as guideline questions (answered from their entry): {reached}/{total}")
    for o in outcomes:
        if o.outcome != "correct":
            print(f"  {o.outcome:>12} {o.confidence:.2f} {o.topic:<28} {o.detail:<28} {o.question}")

    print_realistic(evaluate_realistic(agent), "Real-style messages written for Palīgs (tests/data/realistic_holdout.yml)")
    if REAL_LETTERS.exists():  # the development half is for finding error types; only the test half is reported
        print_realistic(evaluate_realistic(agent, REAL_LETTERS, split="test"),
                        "Real residents' letters, test half (tests/data/real_letters.yml)", with_misses=False)


if __name__ == "__main__":
    main()
