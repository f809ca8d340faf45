"""Places and photos a citizen sends: attached to the registration being made, to the one just
made, or kept until the citizen says what they are about.

Channels send them as payloads that skip NLU: a location as ``/inform{"place": "lat,lon"}``
and a photo, already checked and stored by the channel or the portal, as
``/inform{"photo": <token>}`` (a signed token bound to this conversation, ``bot/register/media.py``).
A place typed as text when the bot asks for it is kept as the address.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import latest_entity, register
from bot.register import Registration
from bot.register.media import BAD_PLACE, MediaStore, StoredMedia, open_configured_media, parse_place, valid_coordinates

SKIPPED = "-"  # the place slot when the citizen chose not to give one
PHOTO_REFUSED = "Šo foto nevarēju pievienot (tas ir novecojis vai nav no šīs sarunas). Lūdzu, nosūtiet to vēlreiz."
ASK_ABOUT = "Par ko tas ir? Lūdzu, īsi aprakstiet problēmu vai vēlmi – tad to reģistrēšu un pievienošu pieteikumam."


@lru_cache(maxsize=1)
def media_store() -> MediaStore:
    return open_configured_media()


def is_attachment(tracker: Tracker) -> bool:
    """The latest message is a location or a photo (not an answer to the bot's question)."""
    return latest_entity(tracker, "place") is not None or latest_entity(tracker, "photo") is not None


def place_of(tracker: Tracker) -> Dict[str, Any]:
    """The place gathered so far in this conversation ({} when none or skipped)."""
    return place_in(tracker.get_slot("place"))


def place_in(value: Optional[str]) -> Dict[str, Any]:
    if not value or value == SKIPPED:
        return {}
    try:
        return dict(json.loads(value))
    except (ValueError, TypeError):
        return {}


def photos_of(tracker: Tracker) -> List[StoredMedia]:
    return photos_in(tracker.get_slot("photos"))


def photos_in(value: Optional[str]) -> List[StoredMedia]:
    try:
        return [StoredMedia(**item) for item in json.loads(value or "[]")]
    except (ValueError, TypeError):
        return []


def with_place(tracker: Tracker, **place: Any) -> str:
    return json.dumps({**place_of(tracker), **place}, ensure_ascii=False)


def photo_words(count: int) -> str:
    return "1 foto" if count == 1 else f"{count} foto"


def received(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[Dict[Text, Any]]:
    """The slot values for the location or photo in the latest message, having said so to the
    citizen; ``{}`` when it is refused (the citizen is told why); None when there is none."""
    place = latest_entity(tracker, "place")
    if place is not None:
        coordinates = parse_place(place)
        if coordinates is None or not valid_coordinates(*coordinates):
            dispatcher.utter_message(text=BAD_PLACE)
            return {}
        dispatcher.utter_message(text="Paldies, atrašanās vietu saņēmu.")
        return {"place": with_place(tracker, latitude=coordinates[0], longitude=coordinates[1])}
    token = latest_entity(tracker, "photo")
    if token is None:
        return None
    photo = media_store().from_token(str(token), tracker.sender_id)
    if photo is None:
        dispatcher.utter_message(text=PHOTO_REFUSED)
        return {}
    photos = [p for p in photos_of(tracker) if p.sha256 != photo.sha256] + [photo]
    slots: Dict[Text, Any] = {"photos": json.dumps([asdict(p) for p in photos])}
    found = ""
    if photo.latitude is not None and "latitude" not in place_of(tracker):
        slots["place"] = with_place(tracker, latitude=photo.latitude, longitude=photo.longitude)
        found = " Tajā ir arī atrašanās vieta – to pievienoju."
    dispatcher.utter_message(text=f"Paldies, foto saņēmu ({photo.width}×{photo.height}).{found}")
    return slots


def attach_all(reference: str, place: Dict[str, Any], photos: List[StoredMedia]) -> Registration:
    """Write a place and photos to a stored registration (GPS of a photo if no location was sent)."""
    the_register = register()
    for photo in photos:
        the_register.add_media(reference, photo)
        if "latitude" not in place and photo.latitude is not None:
            place = {**place, "latitude": photo.latitude, "longitude": photo.longitude}
    registration = the_register.find(reference)
    assert registration is not None
    if place:
        registration = the_register.set_place(reference, place.get("latitude"), place.get("longitude"),
                                              place.get("address"))
    return registration


def attached_line(place: Dict[str, Any], photos: List[StoredMedia]) -> Optional[str]:
    parts = (["atrašanās vieta"] if "latitude" in place else []) + (["adrese"] if place.get("address") else [])
    if photos:
        parts.append(photo_words(len(photos)))
    return f"Pievienots: {', '.join(parts)}." if parts else None


class ActionAttach(Action):
    """A location or photo outside a registration form."""

    def name(self) -> Text:
        return "action_attach"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        quiet = CollectingDispatcher()
        slots = received(tracker, quiet)
        if not slots:  # refused (the citizen is told why) or nothing there
            dispatcher.messages.extend(quiet.messages)
            return []
        reference = tracker.get_slot("last_reference")
        just_made = await asyncio.to_thread(register().find, reference) if reference else None
        if just_made is None:  # sent alone: keep it and ask what it is about
            dispatcher.messages.extend(quiet.messages)
            dispatcher.utter_message(text=ASK_ABOUT)
            return [SlotSet(slot, value) for slot, value in slots.items()]
        place = place_in(slots.get("place"))
        photos = photos_in(slots.get("photos"))[-1:]  # the one just sent
        await asyncio.to_thread(attach_all, just_made.reference, place, photos)
        what = "Foto pievienots" if photos else "Atrašanās vieta pievienota"
        dispatcher.utter_message(text=f"{what} pieteikumam {just_made.reference}.")
        return [SlotSet("place", None), SlotSet("photos", None)]


class ActionAskPlace(Action):
    """Asked once, for services where the place matters (catalogue ``place: true``)."""

    def name(self) -> Text:
        return "action_ask_place"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(
            text="Kur tas ir? Lūdzu, nosūtiet atrašanās vietu vai uzrakstiet adresi (piemēram, “Ozolu iela 7, "
                 "Priedaine”). Telegram lietotnē atrašanās vietu var nosūtīt ar 📎 → “Atrašanās vieta”.",
            buttons=[{"title": "Bez adreses", "payload": "/deny"}],
        )
        return []
