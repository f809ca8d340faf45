"""The registration dialogue: capture the request, fill the form, save to the register."""
from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.attachments import (
    SKIPPED,
    attach_all,
    attached_line,
    is_attachment,
    photos_of,
    place_of,
    received,
    with_place,
)
from actions.context import (
    INTERRUPTIONS,
    catalogue,
    channel_of,
    latest_entity,
    latest_intent,
    latest_text,
    proposed_kind,
    register,
    working_days,
)
from bot import settings
from bot.privacy import mask_personal_codes
from bot.register import KINDS, TooManyRegistrations
from bot.register.references import KIND_STEMS
from nlu.latvian_text import fold, words
from nlu.routing import ASK_INSTITUTION, INFORMATION_REQUEST

logger = logging.getLogger(__name__)

FORM_SLOTS = (
    "request_text", "kind_predicted", "kind_confirmed", "service_id", "contact_consent", "contact", "submission_id",
)
OTHER_SERVICE = "other"
# A message shorter than this is a wish to register ("Gribu iesniegt sūdzību"), not its content.
MIN_DESCRIPTION_WORDS = 4
_OTHER_WORDS = ("cits", "cit", "nav saraksta", "neviens", "nezinu")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^\+?[\d\s()-]{8,20}$")


def kind_named_in(text: str) -> Optional[str]:
    """The kind a citizen names in words (“tā ir sūdzība”), if any."""
    folded = fold(text)
    return next((kind for word, kind in KIND_STEMS if word in folded), None)


def kind_chosen_in(text: str) -> Optional[str]:
    """The kind a citizen names when asked for it, a question (information request) included."""
    folded = fold(text)
    if "informacij" in folded:
        return INFORMATION_REQUEST
    return kind_named_in(text) or (INFORMATION_REQUEST if "jautajum" in folded else None)


def confirmed(kind: str) -> Dict[Text, Any]:
    """The slots for a kind the citizen confirmed: an information request is a service
    request for the catalogue's information_request service."""
    if kind == INFORMATION_REQUEST:
        return {"kind_confirmed": "service_request", "service_id": INFORMATION_REQUEST}
    return {"kind_confirmed": kind if kind in KINDS else None}


class ActionCaptureRequest(Action):
    """Start a registration: remember the message, the proposed kind (none: the form asks
    which kind it is) and any service it names."""

    def name(self) -> Text:
        return "action_capture_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = mask_personal_codes(latest_text(tracker))
        events: List[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
        events.append(SlotSet("registration_saved", None))
        events.append(SlotSet("last_reference", None))  # a place or photo from now on belongs to this one
        events.append(SlotSet("submission_id", uuid.uuid4().hex))  # saving this form twice stores it once
        events.append(SlotSet("kind_predicted", proposed_kind(tracker)))
        if len(words(text)) >= MIN_DESCRIPTION_WORDS:
            events.append(SlotSet("request_text", text))
            service = catalogue().identify(text)
            if service:
                events.append(SlotSet("service_id", service.id))
        return events


def predicted_register_kind(kind: Optional[str]) -> Optional[str]:
    """The predicted kind as the register keeps it (an information request is a service request)."""
    return "service_request" if kind == INFORMATION_REQUEST else kind


class ValidateRegistrationForm(FormValidationAction):
    """Asks only for what is needed and understands typed as well as clicked answers."""

    def name(self) -> Text:
        return "validate_registration_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        slots = ["request_text", "kind_confirmed"]
        if tracker.get_slot("kind_confirmed") == "service_request":
            slots.append("service_id")
            service = catalogue().get(tracker.get_slot("service_id") or "")
            if service and service.place:
                slots.append("place")
        slots.append("contact_consent")
        if tracker.get_slot("contact_consent"):
            slots.append("contact")
        return slots

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """A location or photo sent at any step is taken along (the form then asks its question again)."""
        if not is_attachment(tracker):
            return await super().run(dispatcher, tracker, domain)
        slots = received(tracker, dispatcher)
        if not slots:  # refused: a slot set to what it was keeps the form going without changing anything
            slots = {"place": tracker.get_slot("place")}
        events: List[EventType] = [SlotSet(slot, value) for slot, value in slots.items()]
        tracker.add_slots(events)
        return events + await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _answers(tracker: Tracker, slot: str) -> bool:
        """The latest message answers the question about this slot (not an interruption)."""
        return (
            tracker.get_slot("requested_slot") == slot
            and latest_intent(tracker) not in INTERRUPTIONS
            and latest_entity(tracker, "faq_topic") is None
            and not is_attachment(tracker)
        )

    async def extract_request_text(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not self._answers(tracker, "request_text"):
            return {}
        return {"request_text": latest_text(tracker)}

    def validate_request_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = mask_personal_codes(str(value or "")).strip()
        if not words(text):
            return {"request_text": None}
        result: Dict[Text, Any] = {"request_text": text}
        kind = proposed_kind(tracker)
        if tracker.get_slot("requested_slot") == "request_text" and kind:
            result["kind_predicted"] = kind
        service = catalogue().identify(text)
        if service and not tracker.get_slot("service_id"):
            result["service_id"] = service.id
        return result

    async def extract_kind_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        intent = latest_intent(tracker)
        if not self._answers(tracker, "kind_confirmed") or intent == ASK_INSTITUTION:
            return {}  # "Tas ir jautājums" (/ask_institution): a rule offers the request for information
        if intent == "inform" and latest_entity(tracker, "kind"):
            return {"kind_confirmed": latest_entity(tracker, "kind")}
        proposed = tracker.get_slot("kind_predicted") if intent == "affirm" else None
        return {"kind_confirmed": kind_chosen_in(latest_text(tracker)) or proposed or "unknown"}

    def validate_kind_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return confirmed(str(value))

    async def extract_service_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "service_id" or latest_intent(tracker) == "cancel" \
                or is_attachment(tracker):
            return {}
        chosen = latest_entity(tracker, "service")
        if chosen and latest_intent(tracker) == "inform":
            return {"service_id": chosen}
        text = latest_text(tracker)
        service = catalogue().identify(text)
        if service:  # a service name is the answer, even when it reads like a question
            return {"service_id": service.id}
        if not self._answers(tracker, "service_id"):
            return {}
        if any(word in _OTHER_WORDS for word in words(text)):
            return {"service_id": OTHER_SERVICE}
        return {"service_id": f"?{text}"}

    def validate_service_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value == OTHER_SERVICE or catalogue().get(str(value)):
            return {"service_id": value}
        dispatcher.utter_message(text="Šādu pakalpojumu mūsu katalogā neatradu.")
        return {"service_id": None}

    async def extract_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A place typed when asked is kept as the address; "Bez adreses" (or "nē") skips it."""
        if not self._answers(tracker, "place"):
            return {}
        text = latest_text(tracker)
        if latest_intent(tracker) == "deny" or fold(text) in {"ne", "nav", "nezinu", "izlaist", "bez adreses"}:
            return {"place": SKIPPED}
        if latest_intent(tracker) == "affirm" or not words(text):
            dispatcher.utter_message(text="Lūdzu, uzrakstiet adresi vai nosūtiet atrašanās vietu.")
            return {"place": None}
        return {"place": with_place(tracker, address=mask_personal_codes(text)[:500])}

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if is_attachment(tracker):
            return {"contact": None}
        text = str(value or "").strip()
        if latest_intent(tracker) == "deny" or fold(text) in {"ne", "nevelos", "nav"}:
            return {"contact": None, "contact_consent": False}
        if _EMAIL.match(text) or (_PHONE.match(text) and sum(c.isdigit() for c in text) >= 8):
            return {"contact": text}
        dispatcher.utter_message(response="utter_invalid_contact")
        return {"contact": None}


class ActionOfferInformationRequest(Action):
    """A question to the institution while the kind is asked ("Tas ir jautājums"): the form
    asks again, now offering the request for information (or a person)."""

    def name(self) -> Text:
        return "action_offer_information_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("requested_slot") != "kind_confirmed":
            return []
        return [SlotSet("kind_predicted", INFORMATION_REQUEST)]


class ActionAskServiceId(Action):
    """Ask which service is meant, offering the closest catalogue entries as buttons."""

    def name(self) -> Text:
        return "action_ask_service_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        found = catalogue().search(tracker.get_slot("request_text") or "")
        buttons = [
            {"title": service.name, "payload": f'/inform{{"service": "{service.id}"}}'}
            for service, _ in found
        ]
        buttons.append({"title": "Cits pakalpojums", "payload": f'/inform{{"service": "{OTHER_SERVICE}"}}'})
        dispatcher.utter_message(
            text="Kuru pakalpojumu vēlaties pieteikt? Izvēlieties no saraksta vai ierakstiet pakalpojuma nosaukumu.",
            buttons=buttons,
        )
        return []


def delivery_address(tracker: Tracker) -> dict[str, str]:
    """Where to tell the applicant of decisions: their Telegram chat, and e-mail given with consent.

    The web conversation needs no address: its news is found by the conversation's own identity.
    """
    addresses = {}
    chat_id = (tracker.latest_message.get("metadata") or {}).get("chat_id")
    if channel_of(tracker) == "telegram" and chat_id is not None:
        addresses["telegram"] = str(chat_id)
    contact = tracker.get_slot("contact") if tracker.get_slot("contact_consent") else None
    if contact and _EMAIL.match(contact):
        addresses["email"] = contact
    return addresses


def too_many_registrations(cap: int) -> str:
    return (f"No šī savienojuma pēdējā stundā jau reģistrēti {cap} pieteikumi – vairāk nepieņemu, tāpēc šis "
            "pieteikums NAV reģistrēts. Lūdzu, mēģiniet vēlreiz pēc stundas vai sazinieties ar pašvaldību.")


class ActionRegister(Action):
    """Save the registration in the central register and tell the reference and access code."""

    def name(self) -> Text:
        return "action_register"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        kind = tracker.get_slot("kind_confirmed")
        service_id = tracker.get_slot("service_id") if kind == "service_request" else None
        service = catalogue().get(service_id) if service_id else None
        reset = [SlotSet(slot, None) for slot in FORM_SLOTS]
        # Set by the ingress door for anonymous doors (socket.io, REST without a token), never by the client.
        client = (tracker.latest_message.get("metadata") or {}).get("client")
        cap = settings.load().registrations_per_address_per_hour
        place, photos = place_of(tracker), photos_of(tracker)
        try:
            registration, access_code = await asyncio.to_thread(
                register().create,
                kind=kind,
                kind_predicted=predicted_register_kind(tracker.get_slot("kind_predicted")),  # None: asked
                text=tracker.get_slot("request_text") or "",
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                service_id=service.id if service else None,
                contact=tracker.get_slot("contact") if tracker.get_slot("contact_consent") else None,
                submission_key=tracker.get_slot("submission_id"),
                delivery=delivery_address(tracker),
                client=client if isinstance(client, str) else None,
                client_cap=cap,
            )
            if place or photos:
                await asyncio.to_thread(attach_all, registration.reference, place, photos)
        except TooManyRegistrations:
            dispatcher.utter_message(text=too_many_registrations(cap))
            return [SlotSet("registration_saved", True), *reset]  # True: the answer is given, no "try again"
        except Exception:  # any failure of the store: tell the citizen nothing was saved
            logger.exception("Saving a %s registration failed", kind)
            return [SlotSet("registration_saved", False), *reset]
        lines = [
            f"Paldies! Jūsu {registration.kind_name} ir reģistrēta."
            if kind == "complaint"
            else f"Paldies! Jūsu {registration.kind_name} ir reģistrēts.",
            f"Numurs: {registration.reference}",
            f"Piekļuves kods: {access_code} (saglabājiet to – ar numuru un kodu statusu var uzzināt no jebkuras ierīces).",
        ]
        if service:
            lines.append(
                f"Pakalpojums: {service.name} ({service.unit}). Solītais izpildes termiņš – {working_days(service.handling_days)}."
            )
        elif kind == "service_request":
            lines.append("Pakalpojumu precizēs darbinieks, un izpildes termiņu jums paziņosim.")
        attached = attached_line(place, photos)
        if attached:
            lines.append(attached)
        lines.append(f"Statusu varat pārbaudīt, uzrakstot “statuss {registration.reference}”.")
        lines.append("Ja vēlaties, tagad varat nosūtīt arī foto vai atrašanās vietu – pievienošu tos šim pieteikumam.")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("registration_saved", True), *reset, SlotSet("place", None), SlotSet("photos", None),
                SlotSet("last_reference", registration.reference)]
