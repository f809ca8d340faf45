"""Status check: a citizen sees their own registrations, or one they hold the access code of.

A citizen who was informed of a decision or result and answers naming the reference adds to
that registration: the message joins it as the applicant's message (staff see it on the
card), besides the status; it is not registered anew.
"""
from __future__ import annotations

import asyncio
import re
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import channel_of, latest_text, register
from actions.registration import kind_named_in
from bot.privacy import ACCESS_CODE_LENGTH, keyed_hash
from bot.register import Registration, parse_reference
from bot.register.references import without_references
from nlu.latvian_text import words

_CODE_AFTER_WORD = re.compile(rf"kod\w*\s*[:\-]?\s*([A-Za-z0-9]{{{ACCESS_CODE_LENGTH}}})\b", re.IGNORECASE)
_BARE_CODE = re.compile(rf"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-HJ-NP-Za-hj-np-z2-9]{{{ACCESS_CODE_LENGTH}}}\b")
_REFERENCE_ATTEMPT = re.compile(r"\b[A-Za-z]?\s*-?\s*\d{2,4}\s*-\s*\d+|\b[A-Za-z]-\d+", re.IGNORECASE)
# A reply has something to say besides the reference (a bare status question is shorter).
MIN_REPLY_WORDS = 4
FORMAT_HINT = "Numura formāts: S-2026-000042 (S – sūdzība, I – ierosinājums, P – pakalpojuma pieprasījums)."


def access_code_in(text: str, reference: Optional[str]) -> Optional[str]:
    """An access code typed after “kods”, or a bare 8-character code beside the reference."""
    match = _CODE_AFTER_WORD.search(text)
    if match:
        return match.group(1)
    without_reference = text.replace(reference or "", " ") if reference else text
    match = _BARE_CODE.search(without_reference)
    return match.group(0) if match else None


def describe(registration: Registration) -> str:
    changed = registration.updated_at.strftime("%d.%m.%Y")
    return (
        f"Pieteikums {registration.reference} ({registration.kind_name}): "
        f"statuss – {registration.status_name}. Pēdējās izmaiņas: {changed}."
    )


class ActionCheckStatus(Action):
    """Answer “Kāds ir pieteikuma S-2026-000042 statuss?” without showing others' registrations."""

    def name(self) -> Text:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = latest_text(tracker)
        channel, sender = channel_of(tracker), tracker.sender_id
        reference = parse_reference(text)
        try:
            answer = await asyncio.to_thread(self._answer, text, reference, channel, sender)
        except Exception:
            answer = "Diemžēl statusu šobrīd nevaru pārbaudīt. Lūdzu, mēģiniet vēlreiz pēc brīža."
        dispatcher.utter_message(text=answer)
        return []

    @staticmethod
    def _add_reply(registration: Registration, text: str, channel: str, sender: str) -> bool:
        """Keep the owner's answer to a notification with the registration (once per text)."""
        store = register()
        if len(words(without_references(text))) < MIN_REPLY_WORDS:
            return False
        if not any(notice["state"] == "sent" for notice in store.outbox.of_registration(registration.reference)):
            return False
        key = keyed_hash(registration.sender_hash.encode(), text)  # the owner's: the same text is kept once
        return store.add_applicant_message(registration.reference, text, channel, sender, source_key=key)

    @staticmethod
    def _answer(text: str, reference: Optional[str], channel: str, sender: str) -> str:
        store = register()
        if reference is None:
            if _REFERENCE_ATTEMPT.search(text):
                return f"Šo pieteikuma numuru neatpazinu. {FORMAT_HINT}"
            latest = store.latest_of_sender(channel, sender, kind_named_in(text))
            if latest is None:
                return (
                    "Neatradu jūsu reģistrētus pieteikumus šajā sarunā. Lūdzu, norādiet pieteikuma numuru "
                    "un piekļuves kodu, piemēram: “statuss S-2026-000042 kods ABCD2345”."
                )
            return describe(latest)
        registration = store.find(reference)
        if registration is None:
            return f"Pieteikums {reference} nav atrasts. Lūdzu, pārbaudiet numuru. {FORMAT_HINT}"
        if store.is_owner(registration, channel, sender):
            added = ActionCheckStatus._add_reply(registration, text, channel, sender)
            return describe(registration) + (f"\nJūsu ziņu pievienoju pieteikumam {reference}; darbinieki to redzēs."
                                             if added else "")
        code = access_code_in(text, reference)
        if code and store.access_code_matches(registration, code):
            return describe(registration)
        if code:
            return f"Piekļuves kods pieteikumam {reference} nav pareizs. Pārbaudiet kodu, ko saņēmāt reģistrējot."
        return (
            f"Pieteikums {reference} nav reģistrēts no šīs sarunas. Lai redzētu tā statusu, uzrakstiet numuru "
            f"kopā ar piekļuves kodu, piemēram: “statuss {reference} kods ABCD2345”."
        )
