"""“jauns pieteikums”: a verified staff member enters, in chat, a registration that arrived in
person, by phone, on paper or by e-mail. A short form: channel, description, kind (the
classifier's suggestion offered first), service, consent and contact, address. Stored by
``bot.staff.entry.enter`` like the staff page's form.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.attachments import is_attachment
from actions.context import catalogue, latest_entity, latest_intent, latest_text, proposed_kind, register
from actions.registration import kind_named_in
from actions.staff import ENTRY_SLOTS, staff_of
from bot.privacy import mask_personal_codes
from bot.register import KINDS
from bot.staff.entry import ENTRY_CHANNELS, Entry, channel_named, enter, entry_key, is_contact, receipt
from nlu.latvian_text import fold, words
from nlu.routing import INFORMATION_REQUEST

NONE = "-"
_NO_WORDS = {"-", "ne", "nav", "bez", "bez adreses", "bez pakalpojuma", "izlaist"}


def _answer(tracker: Tracker, slot: str) -> Optional[str]:
    """The staff member's answer to the question about ``slot``, or None when it is not one."""
    if tracker.get_slot("requested_slot") != slot or latest_intent(tracker) == "cancel" or is_attachment(tracker):
        return None
    return str(latest_entity(tracker, "staff_query") or latest_text(tracker)).strip()


def _none_said(text: str) -> bool:
    return fold(text).strip() in _NO_WORDS or text.strip() == NONE


class ValidateStaffEntryForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_staff_entry_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        slots = ["entry_channel", "entry_text", "entry_kind"]
        if tracker.get_slot("entry_kind") == "service_request":
            slots.append("entry_service")
        slots.append("entry_consent")
        if tracker.get_slot("entry_consent") == "yes":
            slots.append("entry_contact")
        slots.append("entry_address")
        return slots

    async def extract_entry_channel(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_channel")
        if answer is None:
            return {}
        channel = channel_named(answer)
        if channel is None:
            dispatcher.utter_message(text="Izvēlieties kanālu: klātienē, tālrunis, pasts vai e-pasts.")
        return {"entry_channel": channel}

    async def extract_entry_text(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_text")
        if answer is None:
            return {}
        return {"entry_text": mask_personal_codes(answer) if words(answer) else None}

    def validate_entry_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[Text, Any]:
        """The description, and the kind the classifier proposes for it (offered first)."""
        if not value:
            return {"entry_text": None}
        suggested = proposed_kind(tracker) if tracker.get_slot("requested_slot") == "entry_text" else None
        return {"entry_text": value,
                "entry_suggested": "service_request" if suggested == INFORMATION_REQUEST else suggested}

    async def extract_entry_kind(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_kind")
        if answer is None:
            return {}
        chosen = latest_entity(tracker, "kind") if latest_intent(tracker) == "inform" else None
        if latest_intent(tracker) == "affirm":
            chosen = tracker.get_slot("entry_suggested")
        chosen = chosen or kind_named_in(answer)
        chosen = "service_request" if chosen == INFORMATION_REQUEST else chosen
        return {"entry_kind": chosen if chosen in KINDS else None}

    async def extract_entry_service(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_service")
        if answer is None:
            return {}
        chosen = latest_entity(tracker, "service")
        if chosen and catalogue().get(str(chosen)):
            return {"entry_service": chosen}
        if _none_said(answer) or chosen == "other":
            return {"entry_service": NONE}
        service = catalogue().identify(answer)
        if service is None:
            dispatcher.utter_message(text="Šādu pakalpojumu katalogā neatradu. Ierakstiet nosaukumu vai izvēlieties “Bez pakalpojuma”.")
        return {"entry_service": service.id if service else None}

    async def extract_entry_consent(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if _answer(tracker, "entry_consent") is None:
            return {}
        return {"entry_consent": {"affirm": "yes", "deny": "no"}.get(latest_intent(tracker) or "")}

    async def extract_entry_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_contact")
        if answer is None:
            return {}
        if _none_said(answer) or latest_intent(tracker) == "deny":
            return {"entry_contact": NONE, "entry_consent": "no"}
        if not is_contact(answer):
            dispatcher.utter_message(response="utter_invalid_contact")
            return {"entry_contact": None}
        return {"entry_contact": answer}

    async def extract_entry_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        answer = _answer(tracker, "entry_address")
        if answer is None:
            return {}
        if _none_said(answer) or latest_intent(tracker) == "deny" or not words(answer):
            return {"entry_address": NONE}
        return {"entry_address": mask_personal_codes(answer)[:500]}


def _ask(name: str, text: str, buttons: Optional[List[Dict[str, str]]] = None) -> type:
    """An action that asks one question of the form."""

    class Ask(Action):
        def name(self) -> Text:
            return name

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
            dispatcher.utter_message(text=text, buttons=buttons or [])
            return []

    Ask.__name__ = Ask.__qualname__ = "Ask" + "".join(part.title() for part in name.split("_")[2:])
    return Ask


AskEntryChannel = _ask("action_ask_entry_channel", "Jauns pieteikums. Kā tas saņemts?",
                       [{"title": name.capitalize(), "payload": name.capitalize()} for name in ENTRY_CHANNELS.values()])
AskEntryText = _ask("action_ask_entry_text", "Ierakstiet pieteikuma aprakstu (iedzīvotāja teiktais vai rakstītais).")
AskEntryConsent = _ask("action_ask_entry_consent",
                       "Vai iedzīvotājs piekrīt, ka ar viņu sazināmies par šo pieteikumu (e-pasts vai tālrunis)?",
                       [{"title": "Jā, ir piekrišana", "payload": "/affirm"}, {"title": "Nē", "payload": "/deny"}])
AskEntryContact = _ask("action_ask_entry_contact", "Ierakstiet iedzīvotāja e-pastu vai tālruni.")
AskEntryAddress = _ask("action_ask_entry_address", "Adrese vai vieta, ja tā ir svarīga:",
                       [{"title": "Bez adreses", "payload": NONE}])


class AskEntryKind(Action):
    def name(self) -> Text:
        return "action_ask_entry_kind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        suggested = tracker.get_slot("entry_suggested")
        order = sorted(KINDS, key=lambda kind: kind != suggested)
        buttons = [{"title": KINDS[kind][1].capitalize() + (" (ieteikts)" if kind == suggested else ""),
                    "payload": f'/inform{{"kind": "{kind}"}}'} for kind in order]
        hint = f" Klasifikators iesaka: {KINDS[suggested][1]}." if suggested in KINDS else ""
        dispatcher.utter_message(text=f"Kāds ir pieteikuma veids?{hint}", buttons=buttons)
        return []


class AskEntryService(Action):
    def name(self) -> Text:
        return "action_ask_entry_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        found = catalogue().search(tracker.get_slot("entry_text") or "")
        buttons = [{"title": service.name, "payload": f'/inform{{"service": "{service.id}"}}'} for service, _ in found]
        buttons.append({"title": "Bez pakalpojuma", "payload": NONE})
        dispatcher.utter_message(text="Kurš pakalpojums? Izvēlieties vai ierakstiet nosaukumu.", buttons=buttons)
        return []


class ActionStaffEnter(Action):
    """Store the entered registration and give the reference and access code for the citizen."""

    def name(self) -> Text:
        return "action_staff_enter"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reset = [SlotSet(slot, None) for slot in ENTRY_SLOTS]
        member = await asyncio.to_thread(staff_of, tracker)
        if member is None:
            dispatcher.utter_message(response="utter_default")
            return reset
        if latest_intent(tracker) == "cancel":
            dispatcher.utter_message(text="Labi, pieteikumu nereģistrēju.")
            return reset

        def given(slot: str) -> Optional[str]:
            value = tracker.get_slot(slot)
            return None if value in (None, NONE) else str(value)

        entry = Entry(channel=given("entry_channel") or "", kind=given("entry_kind") or "",
                      text=given("entry_text") or "", kind_suggested=given("entry_suggested"),
                      service_id=given("entry_service"), consent=tracker.get_slot("entry_consent") == "yes",
                      contact=given("entry_contact"), address=given("entry_address"))
        problem = entry.problem(catalogue())
        if problem:
            dispatcher.utter_message(text=f"Pieteikums nav reģistrēts: {problem}")
            return reset
        try:
            # The dialogue's last answer identifies the attempt: a retried call stores the entry once.
            last = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
            key = entry_key(member.identity, f"{tracker.sender_id}:{last.get('timestamp')}")
            registration, code = await asyncio.to_thread(enter, register(), member.identity, entry, key)
        except Exception:
            dispatcher.utter_message(response="utter_service_unavailable")
            return reset
        dispatcher.utter_message(text=receipt(registration, code))
        return reset
