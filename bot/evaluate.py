"""Classification report on the held-out Latvian set (tests/data), never used in training.

``python -m bot.evaluate [model]`` prints per-intent precision/recall/F1, macro-F1 of the
registration intents, complaint recall and the misclassified messages.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score, recall_score

from bot.settings import ROOT

HOLDOUT = ROOT / "tests" / "data" / "classification_holdout.yml"
CORE_INTENTS = ["complaint", "suggestion", "service_request", "check_status"]


async def predict(model: Path, texts: list[str]) -> list[str]:
    agent = Agent.load(str(model))
    results = [await agent.parse_message(text) for text in texts]
    return [result["intent"]["name"] for result in results]


def evaluate(model: Path) -> dict:
    """Predictions on the held-out set and the figures the README reports."""
    examples = load_data(str(HOLDOUT)).intent_examples
    truth = [example.get("intent") for example in examples]
    texts = [example.get("text") for example in examples]
    predicted = asyncio.run(predict(model, texts))
    return {
        "truth": truth,
        "predicted": predicted,
        "texts": texts,
        "macro_f1_core": f1_score(truth, predicted, labels=CORE_INTENTS, average="macro"),
        "complaint_recall": recall_score(truth, predicted, labels=["complaint"], average="macro"),
    }


def main() -> None:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "paligs.tar.gz"
    result = evaluate(model)
    print(classification_report(result["truth"], result["predicted"], digits=3, zero_division=0))
    print(f"macro-F1 (complaint, suggestion, service_request, check_status): {result['macro_f1_core']:.3f}")
    print(f"complaint recall: {result['complaint_recall']:.3f}")
    misses = [(t, p, x) for t, p, x in zip(result["truth"], result["predicted"], result["texts"]) if t != p]
    print(f"\n{len(misses)} misclassified of {len(result['truth'])}:")
    for truth, predicted, text in misses:
        print(f"  {truth:>16} -> {predicted:<16} {text}")


if __name__ == "__main__":
    main()
