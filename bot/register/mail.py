"""Mail intake's records: which letters were read and what became of them, the Message-IDs
of the e-mails sent about a registration, and the per-address hourly count.

A letter is claimed with a lease before it is handled (one worker at a time, also when
several run or one was killed midway) and finished with its outcome; a finished letter is
never handled again, whatever the mailbox's flags say.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine

from bot.privacy import keyed_hash
from bot.register.schema import insert_if_absent, mail_letters, mail_sent, registrations

MAIL_CHANNEL = "e-pasts"  # the channel of registrations that came by e-mail
HANDLING = "handling"
# Outcomes: registered anew, added to a registration, not registered (auto-reply, own), held for staff (over the cap).
OUTCOMES = ("registered", "reply", "ignored", "held")


@dataclass(frozen=True)
class Claim:
    """Whether this worker is to handle the letter: ``mine``, ``done`` (handled before) or ``busy``."""

    state: str
    outcome: Optional[str] = None
    answered: bool = False


class MailLog:
    """The letters read from the mailbox and the e-mails sent about registrations."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine = engine
        self._secret = secret

    def message_id_hash(self, message_id: str) -> str:
        """The keyed hash a Message-ID is kept as (angle brackets and spaces ignored)."""
        return keyed_hash(self._secret, "message-id:" + message_id.strip().strip("<>").strip())

    def address_hash(self, address: str) -> str:
        return keyed_hash(self._secret, "mail-from:" + address.strip().lower())

    def claim(self, letter_key: str, sender: str, owner: str, lease_seconds: float) -> Claim:
        """Take the letter for ``lease_seconds`` unless another worker holds it or it was handled."""
        now = datetime.now(timezone.utc)
        until = now + timedelta(seconds=lease_seconds)
        with self.engine.begin() as conn:
            inserted = conn.execute(insert_if_absent(
                conn.dialect.name, mail_letters, letter_key=letter_key, sender_hash=self.address_hash(sender),
                state=HANDLING, lease_owner=owner, lease_until=until, received_at=now,
            )).rowcount
            if inserted == 1:
                return Claim("mine")
            taken = conn.execute(update(mail_letters).where(and_(
                mail_letters.c.letter_key == letter_key, mail_letters.c.state == HANDLING,
                or_(mail_letters.c.lease_until.is_(None), mail_letters.c.lease_until < now,
                    mail_letters.c.lease_owner == owner),
            )).values(lease_owner=owner, lease_until=until)).rowcount
            if taken == 1:
                return Claim("mine")
            row = conn.execute(select(mail_letters).where(mail_letters.c.letter_key == letter_key)).one()
        if row.state == HANDLING:
            return Claim("busy")
        return Claim("done", row.state, row.answered_at is not None)

    def finish(self, letter_key: str, owner: str, outcome: str, registration_id: Optional[int] = None) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        with self.engine.begin() as conn:
            conn.execute(update(mail_letters).where(
                (mail_letters.c.letter_key == letter_key) & (mail_letters.c.lease_owner == owner)
            ).values(state=outcome, registration_id=registration_id, lease_owner=None, lease_until=None))

    def mark_answered(self, letter_key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(mail_letters).where(mail_letters.c.letter_key == letter_key)
                         .values(answered_at=datetime.now(timezone.utc)))

    def was_answered(self, letter_key: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(mail_letters.c.answered_at).where(mail_letters.c.letter_key == letter_key))
            return found.scalar_one_or_none() is not None

    def registered_within_hour(self, sender: str) -> int:
        """Letters of this address registered (or being registered) in the last hour."""
        since = datetime.now(timezone.utc) - timedelta(hours=1)
        query = select(func.count()).select_from(mail_letters).where(
            (mail_letters.c.sender_hash == self.address_hash(sender)) & (mail_letters.c.received_at >= since)
            & mail_letters.c.state.in_(("registered", HANDLING)))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def held_answered_within_hour(self, sender: str) -> bool:
        """Whether this address was told within the hour that its further letters wait for staff."""
        since = datetime.now(timezone.utc) - timedelta(hours=1)
        query = select(func.count()).select_from(mail_letters).where(
            (mail_letters.c.sender_hash == self.address_hash(sender)) & (mail_letters.c.state == "held")
            & (mail_letters.c.answered_at >= since))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one() > 0

    def remember_sent(self, reference: str, message_id: str) -> None:
        """Keep the Message-ID of an e-mail sent about the registration (a reply names it)."""
        with self.engine.begin() as conn:
            registration_id = conn.execute(
                select(registrations.c.id).where(registrations.c.reference == reference)).scalar_one_or_none()
            if registration_id is None:
                return
            conn.execute(insert_if_absent(conn.dialect.name, mail_sent,
                                          message_id_hash=self.message_id_hash(message_id),
                                          registration_id=registration_id, sent_at=datetime.now(timezone.utc)))

    def reference_replied_to(self, message_ids: Iterable[str]) -> Optional[str]:
        """The registration an e-mail we sent was about, found by the Message-IDs a reply names."""
        hashes = [self.message_id_hash(m) for m in message_ids if m.strip()]
        if not hashes:
            return None
        query = (select(registrations.c.reference)
                 .join(mail_sent, mail_sent.c.registration_id == registrations.c.id)
                 .where(mail_sent.c.message_id_hash.in_(hashes)).order_by(mail_sent.c.sent_at.desc()).limit(1))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()
