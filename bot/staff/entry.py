"""Registrations staff enter for citizens who came in person, phoned, or wrote on paper or by e-mail.

One home for what such an entry is and how it is stored, used by the staff page's form
(``connectors/web/entry.py``) and the Telegram dialogue ``jauns pieteikums`` (``actions/staff_entry.py``):
the registration goes through ``Register.create`` with the channel it arrived by, and its
first history row names the staff member.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Optional

from bot.register import KINDS, Register, Registration
from knowledge_base.catalogue import Catalogue
from nlu.latvian_text import fold

# Channel code (stored in the register) → its Latvian name (shown to staff).
ENTRY_CHANNELS = {"in_person": "klātienē", "phone": "tālrunis", "post": "pasts", "email": "e-pasts"}
MAX_ENTRY_TEXT = 5000
_CHANNEL_STEMS = (("email", ("epast", "email")), ("in_person", ("klatien", "personig", "apmeklej")),
                  ("phone", ("talrun", "telefon", "zvan")), ("post", ("pasts", "pasta", "vestul")))
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^\+?[\d\s()-]{8,20}$")


def channel_named(text: str) -> Optional[str]:
    """The channel code a staff member names (“klātienē”, “pa tālruni”, “e-pasts”), or None."""
    folded = fold(text).replace("-", "").strip()
    if folded in ENTRY_CHANNELS:
        return folded
    for code, stems in _CHANNEL_STEMS:  # e-pasts before pasts: "epasts" contains "pasts"
        if any(stem in folded for stem in stems):
            return code
    return None


def is_contact(text: str) -> bool:
    """An e-mail address or a phone number."""
    text = text.strip()
    return bool(_EMAIL.match(text) or (_PHONE.match(text) and sum(c.isdigit() for c in text) >= 8))


@dataclass(frozen=True)
class Entry:
    """What the staff member filled in."""

    channel: str
    kind: str
    text: str
    kind_suggested: Optional[str] = None
    service_id: Optional[str] = None
    consent: bool = False
    contact: Optional[str] = None
    address: Optional[str] = None

    def problem(self, catalogue: Catalogue) -> Optional[str]:
        """What is wrong with the entry (Latvian, for the staff member), or None."""
        if self.channel not in ENTRY_CHANNELS:
            return "Izvēlieties kanālu: klātienē, tālrunis, pasts vai e-pasts."
        if self.kind not in KINDS:
            return "Izvēlieties veidu: sūdzība, ierosinājums vai pakalpojuma pieprasījums."
        if not self.text.strip():
            return "Ierakstiet aprakstu."
        if len(self.text) > MAX_ENTRY_TEXT:
            return f"Apraksts ir garāks par {MAX_ENTRY_TEXT} zīmēm."
        if self.service_id and not catalogue.get(self.service_id):
            return "Šāda pakalpojuma katalogā nav."
        if self.contact and self.contact.strip() and not is_contact(self.contact):
            return "Kontakts neizskatās pēc e-pasta adreses vai tālruņa numura (piem., vards@example.lv, +371 20000000)."
        if self.contact and self.contact.strip() and not self.consent:
            return "Kontaktu var saglabāt tikai ar iedzīvotāja piekrišanu: atzīmējiet piekrišanu vai atstājiet kontaktu tukšu."
        return None


def enter(register: Register, entered_by: str, entry: Entry, submission_key: Optional[str] = None
          ) -> tuple[Registration, str]:
    """Store the entry; the registration and the access code to hand to the citizen."""
    contact = entry.contact.strip() if entry.consent and entry.contact and entry.contact.strip() else None
    delivery = {"email": contact} if contact and _EMAIL.match(contact) else {}
    kind_suggested = entry.kind_suggested if entry.kind_suggested in KINDS else entry.kind
    registration, code = register.create(
        kind=entry.kind,
        kind_predicted=kind_suggested,
        text=entry.text.strip(),
        channel=entry.channel,
        sender_id=f"staff-entry:{uuid.uuid4().hex}",  # the citizen has no channel identity: the code is theirs
        service_id=entry.service_id if entry.kind == "service_request" else None,
        contact=contact,
        submission_key=submission_key,
        delivery=delivery,
        entered_by=entered_by,
    )
    if entry.address and entry.address.strip():
        registration = register.set_place(registration.reference, address=entry.address)
    return registration, code


def entry_key(entered_by: str, attempt: str) -> str:
    """The submission key of one entry attempt (a form fill, a dialogue's last answer): the same
    attempt sent again stores the registration once."""
    return hashlib.sha256(f"staff-entry:{entered_by}:{attempt}".encode()).hexdigest()


def receipt(registration: Registration, code: str) -> str:
    """The answer to the staff member: what to hand to the citizen."""
    return (f"Reģistrēts: {registration.reference} ({registration.kind_name}, "
            f"{ENTRY_CHANNELS.get(registration.channel, registration.channel)}).\n"
            f"Piekļuves kods iedzīvotājam: {code}\n"
            f"Iedzīvotājs statusu var uzzināt, uzrakstot “statuss {registration.reference} kods {code}”.")
