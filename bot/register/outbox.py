"""The outbox: what the applicant is told, and how a delivery worker claims and records it.

A move to decided, resolved or closed, or a staff note for the applicant, adds one row per
delivery route (Telegram chat, e-mail with consent, the web conversation) in the very
transaction that writes the change, so a change that rolls back leaves no notification.
Delivery workers claim due rows with a lease (one holder at a time, also across restarts)
and record each attempt and, in the same statement, whether it was sent.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row

from bot.register.lifecycle import STATUSES
from bot.register.mail import MAIL_CHANNEL
from bot.register.references import KINDS
from bot.register.schema import notifications, registrations

NOTIFY_STATUSES = frozenset({"decided", "resolved", "closed"})
MAX_ATTEMPTS = 5
MAX_NOTE_CHARS = 3000  # the whole message stays within one Telegram message (4096)
PUSHED_ROUTES = ("telegram", "email")  # sent by the worker; "web" is fetched by the widget
ROUTE_NAMES = {"telegram": "Telegram", "email": "e-pasts", "web": "tīmekļa saruna"}
STATE_NAMES = {"pending": "gaida nosūtīšanu", "sent": "nosūtīts", "failed": "NEIZDEVĀS"}


class AddressBox:
    """Encrypts delivery addresses at rest (Fernet, key derived from the server secret)."""

    def __init__(self, key_hex: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(bytes.fromhex(key_hex)))

    def seal(self, addresses: dict[str, str]) -> Optional[str]:
        return self._fernet.encrypt(json.dumps(addresses).encode()).decode() if addresses else None

    def open(self, sealed: Optional[str]) -> dict[str, str]:
        if not sealed:
            return {}
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:  # a changed PALIGS_SECRET: the address cannot be read any more
            return {}


def message(route: str, reference: str, kind: str, status: str, note: Optional[str], by_letter: bool = False) -> str:
    """The notification in plain Latvian: reference, status in words, the note, how to answer
    (``by_letter``: the registration came by e-mail, so mail intake links an answer to it)."""
    lines = [f"Jaunumi par jūsu pieteikumu {reference} ({KINDS[kind][1]}).", f"Statuss: {STATUSES[status]}."]
    if note:
        lines.append(f"Iestādes piezīme: {note if len(note) <= MAX_NOTE_CHARS else note[:MAX_NOTE_CHARS] + '…'}")
    if route == "email" and by_letter:
        lines.append(f"Ja vēlaties ko piebilst, atbildiet uz šo e-pastu: jūsu atbildi pievienosim pieteikumam "
                     f"{reference}. Statusu var uzzināt arī Palīgam, uzrakstot “statuss {reference}”.")
    elif route == "email":
        lines.append(f"Uz šo e-pastu neatbildiet. Ja vēlaties ko piebilst, rakstiet Palīgam tīmekļa vietnē vai "
                     f"Telegram un norādiet numuru {reference}; statusu var uzzināt, uzrakstot “statuss {reference}”.")
    else:
        lines.append(f"Ja vēlaties ko piebilst, uzrakstiet to šeit un norādiet numuru {reference}. "
                     f"Statusu var uzzināt, uzrakstot “statuss {reference}”.")
    return "\n".join(lines)


def enqueue(conn: Connection, registration: Row, box: AddressBox, status: str, note: Optional[str], now: datetime) -> int:
    """Add the notifications of one change to the outbox (inside the change's transaction)."""
    routes: dict[str, Optional[str]] = dict(box.open(registration.delivery_address))
    if registration.channel == "socketio":
        routes["web"] = None  # the conversation itself, found by its sender hash when it is next open
    for route, address in routes.items():
        conn.execute(notifications.insert().values(
            registration_id=registration.id, route=route,
            address=box.seal({route: address}) if address else None,
            text=message(route, registration.reference, registration.kind, status, note,
                         by_letter=registration.channel == MAIL_CHANNEL),
            state="pending", attempts=0, next_attempt_at=now, created_at=now,
        ))
    return len(routes)


@dataclass(frozen=True)
class Delivery:
    """A claimed notification, with its address decrypted."""

    id: int
    route: str
    address: str
    reference: str
    text: str
    attempts: int


class Outbox:
    """The worker's and the staff card's view of the outbox."""

    def __init__(self, engine: Engine, box: AddressBox) -> None:
        self.engine = engine
        self.box = box

    def claim(self, owner: str, routes: tuple[str, ...], lease_seconds: float, limit: int = 10) -> list[Delivery]:
        """Due notifications nobody else holds, leased to ``owner`` for ``lease_seconds``."""
        now = datetime.now(timezone.utc)
        free = and_(notifications.c.state == "pending", notifications.c.route.in_(routes),
                    notifications.c.next_attempt_at <= now,
                    or_(notifications.c.lease_until.is_(None), notifications.c.lease_until < now))
        query = (select(notifications, registrations.c.reference)
                 .join(registrations, registrations.c.id == notifications.c.registration_id)
                 .where(free).order_by(notifications.c.id).limit(limit))
        claimed = []
        with self.engine.begin() as conn:
            for row in conn.execute(query).all():
                taken = conn.execute(update(notifications).where(and_(notifications.c.id == row.id, free))
                                     .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds)))
                if taken.rowcount == 1:
                    address = self.box.open(row.address).get(row.route, "")
                    claimed.append(Delivery(row.id, row.route, address, row.reference, row.text, row.attempts))
        return claimed

    def sent(self, delivery: Delivery, owner: str) -> bool:
        """Record the successful attempt and mark it sent in one statement; False if the lease was lost."""
        return self._finish(delivery, owner, state="sent", sent_at=datetime.now(timezone.utc), address=None,
                            last_error=None)

    def failed(self, delivery: Delivery, owner: str, error: str, retry_seconds: float, permanent: bool = False) -> bool:
        """Record a failed attempt: retry after ``retry_seconds``, or give up after MAX_ATTEMPTS."""
        give_up = permanent or delivery.attempts + 1 >= MAX_ATTEMPTS
        next_at = datetime.now(timezone.utc) + timedelta(seconds=retry_seconds)
        values = dict(state="failed", address=None) if give_up else dict(next_attempt_at=next_at)
        return self._finish(delivery, owner, last_error=error[:300], **values)

    def _finish(self, delivery: Delivery, owner: str, **values: object) -> bool:
        statement = (update(notifications)
                     .where((notifications.c.id == delivery.id) & (notifications.c.lease_owner == owner)
                            & (notifications.c.state == "pending"))
                     .values(attempts=notifications.c.attempts + 1, lease_owner=None, lease_until=None, **values))
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def take_web_news(self, sender_hash: str) -> list[str]:
        """The web conversation's pending notifications, marked sent as they are handed over."""
        query = (select(notifications.c.id, notifications.c.text)
                 .join(registrations, registrations.c.id == notifications.c.registration_id)
                 .where((registrations.c.sender_hash == sender_hash) & (notifications.c.route == "web")
                        & (notifications.c.state == "pending"))
                 .order_by(notifications.c.id))
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            for row in rows:
                conn.execute(update(notifications).where(notifications.c.id == row.id)
                             .values(state="sent", attempts=notifications.c.attempts + 1, sent_at=now))
        return [row.text for row in rows]

    def of_registration(self, reference: str) -> list[dict]:
        """The registration's notifications, oldest first (for the staff card)."""
        query = (select(notifications.c.route, notifications.c.state, notifications.c.attempts,
                        notifications.c.created_at, notifications.c.last_error)
                 .join(registrations, registrations.c.id == notifications.c.registration_id)
                 .where(registrations.c.reference == reference).order_by(notifications.c.id))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def is_for_applicant(history_row: dict) -> bool:
    """A history note the applicant was told: a decided/resolved/closed move, or a note for them."""
    return bool(history_row["note"]) and (history_row["to_status"] in NOTIFY_STATUSES
                                          or history_row["from_status"] == history_row["to_status"])
