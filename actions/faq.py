"""Answers guideline questions from the knowledge base, and only when sure.

Rasa's FallbackClassifier sees intent confidence, not the ResponseSelector's, so this
action decides: one of an entry's own phrasings, or a confident ResponseSelector match, is
answered (with its source); otherwise the closest topics are offered as buttons, and
"none of these" leads to "I don't know" and a person.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import latest_entity
from knowledge_base.guidelines import RETRIEVAL_INTENT, Entry, load_guidelines

# Below this ResponseSelector confidence the bot does not answer as fact (see README, FAQ).
ANSWER_CONFIDENCE = 0.5
OFFERED_TOPICS = 3


def topic_payload(entry_id: str, long: bool = False) -> str:
    detail = ', "faq_detail": "long"' if long else ""
    return f'/inform{{"faq_topic": "{entry_id}"{detail}}}'


def selector_ranking(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The ResponseSelector's ranking for the latest message: [{id, confidence}], best first."""
    selector = (tracker.latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    return [
        {"id": item["intent_response_key"].split("/", 1)[1], "confidence": item["confidence"]}
        for item in selector.get("ranking", [])
        if "/" in item.get("intent_response_key", "")
    ]


class ActionAnswerFaq(Action):
    """Answer a guideline question, or offer the closest topics when unsure."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        knowledge_base = load_guidelines()
        chosen: Optional[Entry] = knowledge_base.get(latest_entity(tracker, "faq_topic") or "")
        if chosen:
            self._answer(dispatcher, chosen, long=latest_entity(tracker, "faq_detail") == "long")
            return []
        known = knowledge_base.by_phrasing(tracker.latest_message.get("text") or "")
        if known:
            self._answer(dispatcher, known)
            return []
        ranking = [r for r in selector_ranking(tracker) if knowledge_base.get(r["id"])]
        if ranking and ranking[0]["confidence"] >= ANSWER_CONFIDENCE:
            self._answer(dispatcher, knowledge_base.get(ranking[0]["id"]))
            return []
        closest = [knowledge_base.get(r["id"]) for r in ranking[:OFFERED_TOPICS]]
        buttons = [{"title": entry.title, "payload": topic_payload(entry.id)} for entry in closest if entry]
        buttons.append({"title": "Neviens no šiem", "payload": "/deny"})
        dispatcher.utter_message(text="Neesmu pārliecināts, ko tieši jautājat. Vai jūs interesē kāda no šīm tēmām?",
                                 buttons=buttons)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, entry: Entry, long: bool = False) -> None:
        buttons = [] if long or not entry.long_answer else [{"title": "Plašāk", "payload": topic_payload(entry.id, True)}]
        dispatcher.utter_message(text=entry.text(long=long), buttons=buttons)
