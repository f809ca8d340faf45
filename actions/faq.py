"""Answers guideline questions from the knowledge base, and only when sure.

The NLU pipeline's ``GuidelineQuestionClassifier`` has found the entry (``guideline`` in the
parse data): one of an entry's own phrasings, or a clear best match, is answered with its
source; otherwise the closest topics are offered as buttons, and "none of these" leads to
"I don't know" and a person.
"""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import latest_entity
from knowledge_base.guidelines import Entry, load_guidelines


def topic_payload(entry_id: str, long: bool = False) -> str:
    detail = ', "faq_detail": "long"' if long else ""
    return f'/inform{{"faq_topic": "{entry_id}"{detail}}}'


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
        finding = tracker.latest_message.get("guideline") or {}
        answer = knowledge_base.get(finding.get("answer") or "")
        if answer:
            self._answer(dispatcher, answer)
            return []
        closest = [knowledge_base.get(entry_id) for entry_id in finding.get("closest", [])]
        buttons = [{"title": entry.title, "payload": topic_payload(entry.id)} for entry in closest if entry]
        buttons.append({"title": "Neviens no šiem", "payload": "/deny"})
        dispatcher.utter_message(text="Neesmu pārliecināts, ko tieši jautājat. Vai jūs interesē kāda no šīm tēmām?",
                                 buttons=buttons)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, entry: Entry, long: bool = False) -> None:
        buttons = [] if long or not entry.long_answer else [{"title": "Plašāk", "payload": topic_payload(entry.id, True)}]
        dispatcher.utter_message(text=entry.text(long=long), buttons=buttons)
