"""The staff dialogue: open, list, count and move registrations, notes for the applicant and
the weekly report, for verified staff only.

The ingress door turns a verified staff member's command into a staff payload (``inform``
with the ``staff_query`` entity);
these actions check the identity again against the staff directory (deny by default) and
answer anyone else exactly as a citizen would be answered: "nesapratu".
"""
from __future__ import annotations

import asyncio
import base64
import json
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.attachments import media_store
from actions.context import catalogue, channel_of, latest_entity, latest_intent, latest_text, register, staff_directory
from bot.register import KINDS, STATUSES, MoveRefused, Registration, StatusChanged
from bot.register.lifecycle import NOTE_REQUIRED, allowed_moves, is_backward
from bot.register.media import osm_link
from bot.register.outbox import ROUTE_NAMES, STATE_NAMES
from bot.register.queries import Filters, Summary, deadline, is_overdue, matching, summary
from bot.staff.commands import STATUS_WORDS, StaffCommand, parse, staff_payload
from bot.staff.directory import StaffMember, verified_staff
from bot.staff.entry import ENTRY_CHANNELS
from bot.staff.report import WEEKS, chart_png, weekly_counts

PAGE_SIZE = 10
MOVE_SLOTS = ("staff_move", "staff_note", "staff_confirmed")
NO_NOTE = "-"
HELP = (
    "Darbinieka komandas:\n"
    "• “S-2026-000042” – pieteikuma kartīte ar vēsturi;\n"
    "• “atvērtās sūdzības”, “jaunie pieteikumi šonedēļ”, “kavētie pakalpojumu pieprasījumi”, "
    "“izvērtēšanā esošie ierosinājumi” – saraksti (“vēl” – nākamie 10);\n"
    "• “cik sūdzību šomēnes?”, “kopsavilkums” – skaiti;\n"
    "• “mainīt S-2026-000042 statusu uz izvērtēšanā” – statusa maiņa ar piezīmi;\n"
    "• “piezīme iedzīvotājam S-2026-000042: …” – ziņa iesniedzējam viņa kanālā;\n"
    "• “pārskats” – pieteikumi pa nedēļām (grafiks);\n"
    "• “jauns pieteikums” – reģistrēt pieteikumu, kas saņemts klātienē, pa tālruni, pastu vai e-pastu."
)
ENTRY_SLOTS = ("entry_channel", "entry_text", "entry_suggested", "entry_kind", "entry_service", "entry_consent",
               "entry_contact", "entry_address")


def handling_days(service_id: Optional[str]) -> int:
    return catalogue().handling_days(service_id)


def staff_of(tracker: Tracker) -> Optional[StaffMember]:
    """The verified staff member writing, looked up in the directory again (never trusted from the message)."""
    return verified_staff(staff_directory(), channel_of(tracker), tracker.sender_id)


def command_payload(query: str) -> str:
    return staff_payload(query)


def place_lines(registration: Registration, photos: int) -> list[str]:
    """Where (coordinates, address, a map link), an Open311 picture link and how many photos, when it has them."""
    lines = []
    if registration.latitude is not None and registration.longitude is not None:
        lines.append(f"Vieta: {registration.latitude:.6f}, {registration.longitude:.6f} – karte: "
                     f"{osm_link(registration.latitude, registration.longitude)}")
    if registration.address or registration.address_id:
        lines.append("Adrese: " + "; ".join(filter(None, [registration.address, registration.address_id])))
    if registration.media_url:
        lines.append(f"Attēls: {registration.media_url}")
    if photos:
        lines.append(f"Foto: {photos} (zemāk)")
    return lines


def card(registration: Registration, history: list[dict], today: date, notices: list[dict],
         files: Sequence[dict] = (), messages: Sequence[dict] = (), photos: int = 0) -> str:
    """Everything staff need to work one registration, what the applicant added later and
    what they have been told."""
    service = catalogue().get(registration.service_id) if registration.service_id else None
    due = deadline(registration, handling_days)
    overdue = " – KAVĒTS" if is_overdue(registration, handling_days, today) else ""
    if registration.kind_predicted is None:
        predicted = " (veidu bots jautāja)"
    elif registration.kind != registration.kind_predicted:
        predicted = f" (bots ieteica: {KINDS[registration.kind_predicted][1]})"
    else:
        predicted = ""
    lines = [
        f"{registration.reference} – {registration.kind_name}{predicted}",
        f"Statuss: {registration.status_name}",
        f"Pakalpojums: {service.name if service else '—'}; termiņš: {due:%d.%m.%Y}{overdue}",
        f"Kanāls: {ENTRY_CHANNELS.get(registration.channel, registration.channel)}; "
        f"reģistrēts: {registration.created_at:%d.%m.%Y %H:%M}",
    ]
    if registration.kind_unsure:
        lines.append("Veids jāpārbauda: bots par to nebija pārliecināts.")
    if registration.subject:
        lines.append(f"Vēstules temats: {registration.subject}")
    lines.append(f"Teksts: {registration.text}")
    if files:
        lines.append("Pielikumi:")
    for file in files:
        kept = f" – {file['note']}" if file["note"] else ""
        lines.append(f"• {file['filename']} ({file['content_type']}, {file['size'] / 1024:.0f} KB){kept}")
    if registration.contact:
        lines.append(f"Kontakts (ar piekrišanu): {registration.contact}")
    lines += place_lines(registration, photos)
    lines.append("Vēsture:")
    for row in history:
        if row["from_status"] == row["to_status"]:
            change = "piezīme iedzīvotājam" if row["note"] else "personas dati dzēsti"
        else:
            change = (f"{STATUSES[row['from_status']]} → " if row["from_status"] else "") + STATUSES[row["to_status"]]
        note = f" – “{row['note']}”" if row["note"] else ""
        lines.append(f"• {row['changed_at']:%d.%m.%Y %H:%M} {row['changed_by']}: {change}{note}")
    if messages:
        lines.append("Iedzīvotāja papildu ziņas:")
    for message in messages:
        subject = f" “{message['subject']}”" if message["subject"] else ""
        lines.append(f"• {message['received_at']:%d.%m.%Y %H:%M} {message['channel']}{subject}: {message['text']}")
    if notices:
        lines.append("Paziņojumi iedzīvotājam:")
    for notice in notices:
        failed = f" pēc {notice['attempts']} mēģinājumiem ({notice['last_error']})" if notice["state"] == "failed" else ""
        lines.append(f"• {notice['created_at']:%d.%m.%Y %H:%M} {ROUTE_NAMES[notice['route']]}: "
                     f"{STATE_NAMES[notice['state']]}{failed}")
    return "\n".join(lines)


def move_buttons(registration: Registration) -> List[Dict[str, str]]:
    return [
        {"title": f"→ {STATUSES[status]}", "payload": command_payload(f"mainīt {registration.reference} uz {STATUS_WORDS[status]}")}
        for status in allowed_moves(registration.status)
    ]


class ActionStaffCommand(Action):
    """Carry out one staff command."""

    def name(self) -> Text:
        return "action_staff_command"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        member = await asyncio.to_thread(staff_of, tracker)
        query = latest_entity(tracker, "staff_query") or latest_text(tracker)
        command = parse(query)
        if member is None or command is None:
            dispatcher.utter_message(response="utter_default")
            return []
        today = date.today()
        if command.action == "help":
            dispatcher.utter_message(text=HELP)
            return []
        if command.action in ("list", "more"):
            return await self._list(dispatcher, tracker, command, today)
        if command.action == "report":
            return await self._report(dispatcher, today)
        if command.action == "new":
            return [*(SlotSet(slot, None) for slot in ENTRY_SLOTS), FollowupAction("staff_entry_form")]
        if command.action == "count":
            found = await asyncio.to_thread(summary, register().engine, command.filters, handling_days, today)
            dispatcher.utter_message(text=describe_summary(found))
            return []
        registration = await asyncio.to_thread(register().find, command.reference or "")
        if registration is None:
            dispatcher.utter_message(text=f"Pieteikums {command.reference} nav atrasts. Pārbaudiet numuru.")
            return []
        if command.action == "note":
            return await self._note(dispatcher, member, registration, command.note or "")
        if command.action == "open" or command.to_status is None:
            history = await asyncio.to_thread(register().history, registration.reference)
            notices = await asyncio.to_thread(register().outbox.of_registration, registration.reference)
            files = await asyncio.to_thread(register().attachments.of_registration, registration.reference)
            messages = await asyncio.to_thread(register().applicant_messages, registration.reference)
            photos = await asyncio.to_thread(register().media_of, registration.reference)
            dispatcher.utter_message(text=card(registration, history, today, notices, files, messages, len(photos)),
                                     buttons=move_buttons(registration))
            for photo in photos:  # signed, expiring portal URLs; Telegram uploads the file itself
                dispatcher.utter_message(image=media_store().url(photo["sha256"]))
            return []
        if command.to_status not in allowed_moves(registration.status):
            dispatcher.utter_message(text=f"No statusa “{registration.status_name}” uz “{STATUSES[command.to_status]}” "
                                          "pāriet nevar.", buttons=move_buttons(registration))
            return []
        move = {"reference": registration.reference, "to": command.to_status, "expected": registration.status}
        return [SlotSet("staff_move", json.dumps(move)), SlotSet("staff_note", None), SlotSet("staff_confirmed", None),
                FollowupAction("staff_move_form")]

    @staticmethod
    async def _report(dispatcher: CollectingDispatcher, today: date) -> List[EventType]:
        """The weekly chart as a ``data:`` URL: Telegram uploads its bytes, the staff page shows it."""
        found = await asyncio.to_thread(matching, register().engine, Filters(), handling_days, today)
        report = weekly_counts(found, handling_days, today)
        png = await asyncio.to_thread(chart_png, report)
        in_period = sum(sum(counts) for counts in report.counts.values())
        noun = "pieteikums" if in_period % 10 == 1 and in_period % 100 != 11 else "pieteikumi"
        channels = ", ".join(f"{channel} {count}" for channel, count in report.by_channel.items())
        dispatcher.utter_message(
            text=f"Pēdējās {WEEKS} nedēļās: {in_period} {noun}" + (f" (pa kanāliem: {channels})" if channels else "")
                 + f". Atvērti: {report.open}, kavēti: {report.overdue}.",
            image="data:image/png;base64," + base64.b64encode(png).decode(),
        )
        return []

    @staticmethod
    async def _note(dispatcher: CollectingDispatcher, member: StaffMember, registration: Registration,
                    note: str) -> List[EventType]:
        if not note:
            dispatcher.utter_message(text=f"Uzrakstiet piezīmi aiz numura, piemēram: “piezīme iedzīvotājam "
                                          f"{registration.reference}: Darbi sāksies pirmdien”.")
            return []
        routes = await asyncio.to_thread(register().add_applicant_note, registration.reference, note, member.identity)
        if routes:
            dispatcher.utter_message(text=f"Piezīme saglabāta {registration.reference} vēsturē un tiks nosūtīta "
                                          "iedzīvotājam.")
        else:
            dispatcher.utter_message(text=f"Piezīme saglabāta {registration.reference} vēsturē, bet iedzīvotājam nav "
                                          "kanāla, kur to nosūtīt (reģistrēts bez saziņas iespējas vai jau slēgts).")
        return []

    @staticmethod
    async def _list(dispatcher: CollectingDispatcher, tracker: Tracker, command: StaffCommand, today: date) -> List[EventType]:
        if command.action == "more":
            state = json.loads(tracker.get_slot("staff_list") or "null")
            if state is None:
                dispatcher.utter_message(text="Vispirms palūdziet sarakstu, piemēram, “atvērtās sūdzības”.")
                return []
            filters, offset = Filters.from_dict(state["filters"]), state["offset"]
        else:
            filters, offset = command.filters, 0
        found = await asyncio.to_thread(matching, register().engine, filters, handling_days, today)
        page = found[offset:offset + PAGE_SIZE]
        if not page:
            dispatcher.utter_message(text="Šādu pieteikumu nav." if offset == 0 else "Vairāk pieteikumu nav.")
            return [SlotSet("staff_list", None)]
        lines = [f"Atrasti {len(found)}; rādu {offset + 1}–{offset + len(page)} (jaunākie vispirms):"]
        for r in page:
            late = " – KAVĒTS" if is_overdue(r, handling_days, today) else ""
            lines.append(f"• {r.reference} {r.kind_name}, {r.status_name}, {r.created_at:%d.%m.%Y}{late}: {r.text[:60]}")
        buttons = [{"title": r.reference, "payload": command_payload(r.reference)} for r in page]
        more = offset + len(page) < len(found)
        if more:
            buttons.append({"title": "Vēl", "payload": command_payload("vēl")})
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        state = {"filters": filters.as_dict(), "offset": offset + len(page)}
        return [SlotSet("staff_list", json.dumps(state) if more else None)]


def describe_summary(found: Summary) -> str:
    if found.total == 0:
        return "Šajā periodā pieteikumu nav."
    lines = [f"Kopā: {found.total}; kavēti: {found.overdue}."]
    for kind, (_, kind_name) in KINDS.items():
        counts = [(s, found.by_kind_status[(kind, s)]) for s in STATUSES if found.by_kind_status[(kind, s)]]
        if counts:
            total = sum(n for _, n in counts)
            lines.append(f"• {kind_name}: {total} (" + ", ".join(f"{STATUSES[s]} {n}" for s, n in counts) + ")")
    proposed = found.total - found.asked
    share = found.corrected / proposed if proposed else 0.0
    lines.append(f"Iedzīvotāji labojuši bota ieteikto veidu: {found.corrected} no {proposed} ({share:.0%}); "
                 f"veidu bots jautāja: {found.asked}.")
    return "\n".join(lines)


class ValidateStaffMoveForm(FormValidationAction):
    """A note (required for decided, resolved, closed and steps back) and a confirmation."""

    def name(self) -> Text:
        return "validate_staff_move_form"

    async def extract_staff_note(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "staff_note":
            return {}
        return {"staff_note": latest_entity(tracker, "staff_query") or latest_text(tracker)}

    def validate_staff_note(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # cleared when the move began: nothing typed yet
            return {"staff_note": None}
        move = json.loads(tracker.get_slot("staff_move") or "{}")
        note = str(value).strip()
        needed = move.get("to") in NOTE_REQUIRED or is_backward(move.get("expected", "registered"), move.get("to", "registered"))
        if note in ("", NO_NOTE) and needed:
            dispatcher.utter_message(text="Šim statusam piezīme ir obligāta.")
            return {"staff_note": None}
        return {"staff_note": note or NO_NOTE}

    async def extract_staff_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "staff_confirmed":
            return {}
        return {"staff_confirmed": {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")}


class ActionAskStaffNote(Action):
    def name(self) -> Text:
        return "action_ask_staff_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        move = json.loads(tracker.get_slot("staff_move") or "{}")
        optional = move.get("to") not in NOTE_REQUIRED and not is_backward(move.get("expected"), move.get("to"))
        buttons = [{"title": "Bez piezīmes", "payload": NO_NOTE}] if optional else []
        dispatcher.utter_message(text=f"{move.get('reference')}: uz “{STATUSES[move['to']]}”. Lūdzu, ierakstiet piezīmi "
                                      "(tā paliks vēsturē" + ("" if optional else "; obligāta") + ").", buttons=buttons)
        return []


class ActionAskStaffConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_staff_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        move = json.loads(tracker.get_slot("staff_move") or "{}")
        note = tracker.get_slot("staff_note")
        with_note = "" if note in (None, NO_NOTE) else f" ar piezīmi “{note}”"
        dispatcher.utter_message(
            text=f"Mainīt {move['reference']} statusu no “{STATUSES[move['expected']]}” uz “{STATUSES[move['to']]}”{with_note}?",
            buttons=[{"title": "Jā, mainīt", "payload": "/affirm"}, {"title": "Nē, atcelt", "payload": "/deny"}],
        )
        return []


class ActionStaffMove(Action):
    """Write the confirmed move and its history row with the staff member's identity."""

    def name(self) -> Text:
        return "action_staff_move"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reset = [SlotSet(slot, None) for slot in MOVE_SLOTS]
        member = await asyncio.to_thread(staff_of, tracker)
        move = json.loads(tracker.get_slot("staff_move") or "null")
        if member is None or move is None:
            dispatcher.utter_message(response="utter_default")
            return reset
        if not tracker.get_slot("staff_confirmed"):
            dispatcher.utter_message(text="Labi, statusu nemainīju.")
            return reset
        note = tracker.get_slot("staff_note")
        try:
            changed = await asyncio.to_thread(
                register().change_status, move["reference"], move["to"], member.identity,
                None if note == NO_NOTE else note, move["expected"],
            )
        except StatusChanged as error:
            current = error.current
            dispatcher.utter_message(text=f"{current.reference} tikko mainīja cits darbinieks: tagad statuss ir "
                                          f"“{current.status_name}”. Jūsu izmaiņa nav saglabāta.",
                                     buttons=[{"title": "Atvērt kartīti", "payload": command_payload(current.reference)}])
            return reset
        except MoveRefused as error:
            dispatcher.utter_message(text=str(error))
            return reset
        dispatcher.utter_message(text=f"Saglabāts: {changed.reference} tagad ir “{changed.status_name}”.",
                                 buttons=move_buttons(changed))
        return reset
