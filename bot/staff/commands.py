"""What staff type in chat, read as commands: open, list, more, count, move, note, report, help,
new (enter a registration for a citizen who came, phoned or wrote).

Used twice: by the ingress door, which sends a verified staff member's message to the staff
dialogue only when it reads as a staff command (anything else goes through the citizen NLU,
so staff can still ask guideline questions), and by the staff actions, which carry it out.
Matching is on folded word prefixes, so "atvērtās sūdzības" and "atvertas sudzibas" agree,
and references are read as for citizens ("s 2026 42" is S-2026-000042).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from bot.register import parse_reference, text_after_reference
from bot.register.queries import Filters
from bot.register.references import KIND_STEMS
from nlu.latvian_text import words

STAFF_ENTITY = "staff_query"


def staff_payload(query: str) -> str:
    """The message a staff command travels as: the ``inform`` intent with the ``staff_query`` entity.

    An existing intent on purpose: a new intent would change the classifier's label set and
    with it the citizen classification (DIET is sensitive to that).
    """
    return f"/inform{json.dumps({STAFF_ENTITY: query}, ensure_ascii=False)}"


def is_staff_payload(text: str) -> bool:
    """Whether a typed message tries to be a staff command payload (only the ingress may make one)."""
    return text.lstrip().startswith("/") and STAFF_ENTITY in text
# The word that names each status in a command (buttons send it), and the stems a typed one is read from.
STATUS_WORDS = {"registered": "reģistrēts", "in_review": "izvērtēšanā", "decided": "lēmums", "in_progress": "īstenošana",
                "resolved": "atrisināts", "closed": "slēgts"}
STATUS_PREFIXES = (("registret", "registered"), ("izvertes", "in_review"), ("izvertej", "in_review"),
                   ("lemum", "decided"), ("isteno", "in_progress"), ("atrisin", "resolved"), ("slegt", "closed"),
                   ("sleg", "closed"))
MOVE_WORDS = ("main", "parcel", "parvie", "uzstad", "atzim")
OPEN_CARD_WORDS = ("parad", "atver", "kartin", "apskat", "statuss", "statusu", "info")
LIST_WORDS = ("atvert", "jaun", "kavet", "saraksts", "saraksta", "visi", "visas", "pieteikumi", "pieteikumu")
COUNT_WORDS = ("cik", "kopsavilkum", "statistik", "skaits")
MORE_WORDS = {"vel", "talak", "nakamie", "nakamas"}
HELP_WORDS = {"palidziba", "komandas", "help"}
REOPEN_WORDS = ("atkal", "jauna", "atkartot")
NOTE_WORDS = ("piezim", "zinojum", "pazinoj")
APPLICANT_WORDS = ("iedzivotaj", "iesniedzej", "pieteicej", "klient")
REPORT_WORDS = {"parskats", "parskatu", "grafiks", "grafiku", "atskaite"}
NEW_ENTRY_WORDS = ({"jauns", "pieteikums"}, {"jaunu", "pieteikumu"}, {"registret", "jaunu", "pieteikumu"},
                   {"ievadit", "jaunu", "pieteikumu"})


@dataclass(frozen=True)
class StaffCommand:
    action: str  # open | list | more | count | move | note | report | help | new
    reference: Optional[str] = None
    to_status: Optional[str] = None
    filters: Filters = field(default_factory=Filters)
    note: Optional[str] = None


def _has(text_words: list[str], prefixes: tuple[str, ...]) -> bool:
    return any(w.startswith(p) for w in text_words for p in prefixes)


def _first(text_words: list[str], table: tuple[tuple[str, str], ...]) -> Optional[str]:
    return next((value for w in text_words for prefix, value in table if w.startswith(prefix)), None)


def period_start(text_words: list[str], today: date) -> Optional[date]:
    """“šodien”, “šonedēļ”, “šomēnes”, “šogad” (and “šajā nedēļā/mēnesī”) as a start date."""
    joined = " ".join(text_words)
    if "sodien" in joined:
        return today
    if "sonedel" in joined or "saja nedel" in joined:
        return today - timedelta(days=today.weekday())
    if "somenes" in joined or "saja menes" in joined:
        return today.replace(day=1)
    if "sogad" in joined or "saja gada" in joined:
        return today.replace(month=1, day=1)
    return None


def parse(text: str, today: Optional[date] = None) -> Optional[StaffCommand]:
    """The staff command the text expresses, or None when it is not one."""
    today = today or date.today()
    text_words = words(text)
    if not text_words:
        return None
    if set(text_words) <= MORE_WORDS:
        return StaffCommand("more")
    if set(text_words) <= HELP_WORDS:
        return StaffCommand("help")
    if set(text_words) & REPORT_WORDS and len(text_words) <= 3:
        return StaffCommand("report")
    if set(text_words) in NEW_ENTRY_WORDS:
        return StaffCommand("new")
    reference = parse_reference(text)
    status = _first(text_words, STATUS_PREFIXES)
    if reference:
        before = words(text[: len(text) - len(text_after_reference(text))])
        if _has(before, NOTE_WORDS) and _has(before, APPLICANT_WORDS):  # "piezīme iedzīvotājam S-…: …"
            return StaffCommand("note", reference, note=text_after_reference(text).strip())
        rest = [w for w in text_words if not any(ch.isdigit() for ch in w) and len(w) > 1]
        if _has(rest, MOVE_WORDS) or (_has(rest, REOPEN_WORDS) and _has(rest, ("atver",))):
            reopen = _has(rest, REOPEN_WORDS) and _has(rest, ("atver",))
            target = "in_review" if reopen else status
            return StaffCommand("move", reference, target) if target else StaffCommand("move", reference)
        if not rest or _has(rest, OPEN_CARD_WORDS) or len(rest) <= 2:
            return StaffCommand("open", reference)
        return None
    kind = _first(text_words, KIND_STEMS)
    filters = Filters(
        kind=kind,
        statuses=(status,) if status else (("registered",) if _has(text_words, ("jaun",)) else ()),
        open_only=_has(text_words, ("atvert",)),
        overdue_only=_has(text_words, ("kavet", "nokavet")),
        since=period_start(text_words, today),
    )
    if _has(text_words, COUNT_WORDS):
        return StaffCommand("count", filters=filters)
    if _has(text_words, LIST_WORDS) or (kind and (status or filters.since or filters.overdue_only)):
        return StaffCommand("list", filters=filters)
    return None
