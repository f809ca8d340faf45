"""The life-cycle of a registration (seed 002's seven steps) and its promised deadline.

Moves go forward; a step back needs a note; ``closed`` is final unless reopened (back to
``in_review``) with a note. Decided, resolved and closed always need a note: they are what
the applicant is told.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

# In order, with the words shown to people.
STATUSES: dict[str, str] = {
    "registered": "reģistrēts",
    "in_review": "izvērtēšanā",
    "decided": "lēmums pieņemts",
    "in_progress": "tiek īstenots",
    "resolved": "atrisināts",
    "closed": "slēgts",
}
ORDER = list(STATUSES)
OPEN_STATUSES = ("registered", "in_review", "decided", "in_progress")
NOTE_REQUIRED = frozenset({"decided", "resolved", "closed"})
REOPENED_TO = "in_review"


def allowed_moves(current: str) -> list[str]:
    """The statuses a registration may move to next (a closed one only by reopening)."""
    if current == "closed":
        return [REOPENED_TO]
    return [status for status in ORDER if status != current]


def is_backward(current: str, to_status: str) -> bool:
    return ORDER.index(to_status) < ORDER.index(current)


def move_problem(current: str, to_status: str, note: Optional[str]) -> Optional[str]:
    """Why the move is not allowed (in Latvian, for staff), or None."""
    if to_status == current:
        return f"Pieteikumam jau ir statuss “{STATUSES[current]}”."
    if to_status not in allowed_moves(current):
        return "Slēgtu pieteikumu var tikai atvērt no jauna (uz “izvērtēšanā”), ar piezīmi."
    if not note and (to_status in NOTE_REQUIRED or is_backward(current, to_status)):
        return f"Statusam “{STATUSES[to_status]}” vajadzīga piezīme."
    return None


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
