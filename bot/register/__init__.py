"""The central register of complaints, suggestions and service requests.

One table of registrations, an append-only status history and a counter per kind and
year that hands out reference numbers. ``Register`` is the only code that writes them;
the tables are in ``schema``, kinds and references in ``references``, the life-cycle in
``lifecycle``, the staff's lists and counts in ``queries`` and what the applicant is told
(the outbox) in ``outbox``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.privacy import keyed_hash, mask_personal_codes, new_access_code, normalise_access_code, submission_access_code
from bot.register.lifecycle import STATUSES, move_problem
from bot.register.media import StoredMedia, valid_coordinates
from bot.register.outbox import NOTIFY_STATUSES, AddressBox, Outbox, enqueue
from bot.register.references import KIND_BY_LETTER, KINDS, format_reference, parse_reference, text_after_reference
from bot.register.schema import (
    create_register_engine,
    insert_if_absent,
    media,
    metadata,
    reference_counters,
    registrations,
    status_history,
    telegram_updates,
)

__all__ = [
    "KINDS", "KIND_BY_LETTER", "STATUSES", "MAX_TEXT_LENGTH", "Register", "Registration", "StatusChanged",
    "MoveRefused", "create_register_engine", "insert_if_absent", "metadata", "open_register",
    "open_configured_register", "parse_reference", "text_after_reference",
]

MAX_TEXT_LENGTH = 20000


class StatusChanged(Exception):
    """The registration changed since the staff member saw it; carries its current state."""

    def __init__(self, current: "Registration") -> None:
        super().__init__(current.reference)
        self.current = current


class MoveRefused(ValueError):
    """The life-cycle does not allow this move; the message says why (Latvian)."""


@dataclass(frozen=True)
class Registration:
    """A registration as read from the register."""

    reference: str
    kind: str
    kind_predicted: str
    text: str
    service_id: Optional[str]
    channel: str
    sender_hash: str
    contact: Optional[str]
    access_code_hash: str
    status: str
    created_at: datetime
    updated_at: datetime
    submission_key: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    address: Optional[str] = None

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind][1]

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    @classmethod
    def from_row(cls, row: Row) -> "Registration":
        fields = {name: row._mapping[name] for name in cls.__dataclass_fields__}
        return cls(**fields)


class Register:
    """Reads and writes registrations; the only code that touches the register tables."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine = engine
        self._secret = secret
        self._addresses = AddressBox(settings.derive(secret, "delivery-address"))
        self.outbox = Outbox(engine, self._addresses)

    def sender_hash(self, channel: str, sender_id: str) -> str:
        return keyed_hash(self._secret, f"{channel}:{sender_id}")

    def create(
        self,
        *,
        kind: str,
        kind_predicted: str,
        text: str,
        channel: str,
        sender_id: str,
        service_id: Optional[str] = None,
        contact: Optional[str] = None,
        submission_key: Optional[str] = None,
        delivery: Optional[dict[str, str]] = None,
        entered_by: Optional[str] = None,
    ) -> tuple[Registration, str]:
        """Store a new registration; returns it and its plain access code.

        ``delivery`` ({route: address}, e.g. {"telegram": chat id, "email": …}) is where the
        applicant is told of decisions; it is stored encrypted and deleted when the
        registration is closed. ``entered_by`` names the staff member who entered it for the
        citizen (in person, by phone or post); the first history row says so.

        With a submission key the call is idempotent: the same form submitted again (after
        its answer was lost) returns the registration stored the first time, with the same
        access code, and stores nothing new.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if submission_key is None:
            access_code = new_access_code()
        else:
            access_code = submission_access_code(self._secret, submission_key)
            stored = self._find_submission(submission_key)
            if stored:
                return stored, access_code
        try:
            return self._insert(kind, kind_predicted, text, channel, sender_id, service_id, contact,
                                submission_key, access_code, delivery or {}, entered_by), access_code
        except IntegrityError:
            stored = self._find_submission(submission_key) if submission_key else None
            if stored is None:
                raise
            return stored, access_code  # the same submission, stored by a concurrent call

    def _find_submission(self, submission_key: str) -> Optional[Registration]:
        with self.engine.connect() as conn:
            row = conn.execute(select(registrations).where(registrations.c.submission_key == submission_key)).first()
        return Registration.from_row(row) if row else None

    def _insert(
        self, kind: str, kind_predicted: str, text: str, channel: str, sender_id: str, service_id: Optional[str],
        contact: Optional[str], submission_key: Optional[str], access_code: str, delivery: dict[str, str],
        entered_by: Optional[str] = None,
    ) -> Registration:
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            reference = format_reference(kind, now.year, self._next_number(conn, kind, now.year))
            values = dict(
                reference=reference,
                kind=kind,
                kind_predicted=kind_predicted,
                text=mask_personal_codes(text)[:MAX_TEXT_LENGTH],
                service_id=service_id,
                channel=channel,
                sender_hash=self.sender_hash(channel, sender_id),
                contact=contact,
                access_code_hash=keyed_hash(self._secret, access_code),
                status="registered",
                created_at=now,
                updated_at=now,
                submission_key=submission_key,
            )
            sealed = self._addresses.seal(delivery)
            registration_id = conn.execute(
                registrations.insert().values(**values, delivery_address=sealed)
            ).inserted_primary_key[0]
            conn.execute(
                status_history.insert().values(
                    registration_id=registration_id,
                    from_status=None,
                    to_status="registered",
                    changed_by=entered_by or f"{channel}:citizen",
                    note=None,
                    changed_at=now,
                )
            )
        return Registration(**values)

    def _next_number(self, conn: Connection, kind: str, year: int) -> int:
        letter = KINDS[kind][0]
        conn.execute(insert_if_absent(conn.dialect.name, reference_counters, letter=letter, year=year, last_number=0))
        where = (reference_counters.c.letter == letter) & (reference_counters.c.year == year)
        conn.execute(update(reference_counters).where(where).values(last_number=reference_counters.c.last_number + 1))
        return conn.execute(select(reference_counters.c.last_number).where(where)).scalar_one()

    def find(self, reference: str) -> Optional[Registration]:
        with self.engine.connect() as conn:
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
        return Registration.from_row(row) if row else None

    def latest_of_sender(self, channel: str, sender_id: str, kind: Optional[str] = None) -> Optional[Registration]:
        """The sender's most recent registration (of one kind, if given)."""
        query = select(registrations).where(registrations.c.sender_hash == self.sender_hash(channel, sender_id))
        if kind:
            query = query.where(registrations.c.kind == kind)
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(registrations.c.id.desc()).limit(1)).first()
        return Registration.from_row(row) if row else None

    def is_owner(self, registration: Registration, channel: str, sender_id: str) -> bool:
        return registration.sender_hash == self.sender_hash(channel, sender_id)

    def access_code_matches(self, registration: Registration, code: str) -> bool:
        expected = registration.access_code_hash
        return keyed_hash(self._secret, normalise_access_code(code)) == expected

    def change_status(
        self,
        reference: str,
        to_status: str,
        changed_by: str,
        note: Optional[str] = None,
        expected_status: Optional[str] = None,
    ) -> Registration:
        """Move a registration along its life-cycle and append the change to its history.

        Refuses a move the life-cycle does not allow (``MoveRefused``). With ``expected_status``
        (the status the staff member saw), a registration changed by someone else meanwhile is
        not touched (``StatusChanged``): of two concurrent moves, one wins. A move to decided,
        resolved or closed puts the applicant's notifications into the outbox in the same
        transaction; closing deletes the delivery address.
        """
        if to_status not in STATUSES:
            raise ValueError(f"unknown status {to_status!r}")
        note = mask_personal_codes(note.strip()) if note and note.strip() else None
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
            if row is None:
                raise LookupError(reference)
            if expected_status is not None and row.status != expected_status:
                raise StatusChanged(Registration.from_row(row))
            problem = move_problem(row.status, to_status, note)
            if problem:
                raise MoveRefused(problem)
            closing = {"delivery_address": None} if to_status == "closed" else {}
            changed = conn.execute(
                update(registrations)
                .where((registrations.c.id == row.id) & (registrations.c.status == row.status))
                .values(status=to_status, updated_at=now, **closing)
            ).rowcount
            if changed != 1:
                raise StatusChanged(Registration.from_row(row))
            if to_status in NOTIFY_STATUSES:
                enqueue(conn, row, self._addresses, to_status, note, now)
            conn.execute(
                status_history.insert().values(
                    registration_id=row.id,
                    from_status=row.status,
                    to_status=to_status,
                    changed_by=changed_by,
                    note=note,
                    changed_at=now,
                )
            )
        updated = self.find(reference)
        assert updated is not None
        return updated

    def add_applicant_note(self, reference: str, note: str, changed_by: str) -> int:
        """A staff note for the applicant: a history row and its notifications; how many routes."""
        note = mask_personal_codes(note.strip())
        if not note:
            raise ValueError("empty note")
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
            if row is None:
                raise LookupError(reference)
            routes = enqueue(conn, row, self._addresses, row.status, note, now)
            conn.execute(status_history.insert().values(
                registration_id=row.id, from_status=row.status, to_status=row.status, changed_by=changed_by,
                note=note, changed_at=now,
            ))
        return routes

    def history(self, reference: str) -> list[dict]:
        """Status changes of a registration, oldest first."""
        query = (
            select(status_history)
            .join(registrations, registrations.c.id == status_history.c.registration_id)
            .where(registrations.c.reference == reference)
            .order_by(status_history.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def set_place(self, reference: str, latitude: Optional[float] = None, longitude: Optional[float] = None,
                  address: Optional[str] = None) -> Registration:
        """Record where the registration is about: coordinates (both or neither) and/or an address
        as typed. What is not given is kept; impossible coordinates are refused (ValueError)."""
        values: dict = {}
        if latitude is not None or longitude is not None:
            if not valid_coordinates(latitude, longitude):
                raise ValueError("impossible coordinates")
            values.update(latitude=float(latitude), longitude=float(longitude))  # type: ignore[arg-type]
        if address and address.strip():
            values["address"] = mask_personal_codes(address.strip())[:500]
        with self.engine.begin() as conn:
            if values:
                conn.execute(update(registrations).where(registrations.c.reference == reference).values(**values))
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
        if row is None:
            raise LookupError(reference)
        return Registration.from_row(row)

    def add_media(self, reference: str, stored: StoredMedia) -> bool:
        """Attach a stored photo; False when this registration already has it."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            registration_id = conn.execute(
                select(registrations.c.id).where(registrations.c.reference == reference)).scalar_one_or_none()
            if registration_id is None:
                raise LookupError(reference)
            statement = insert_if_absent(
                conn.dialect.name, media, registration_id=registration_id, sha256=stored.sha256,
                content_type=stored.content_type, width=stored.width, height=stored.height, bytes=stored.bytes,
                source=stored.source, created_at=now,
            )
            return conn.execute(statement).rowcount == 1

    def media_of(self, reference: str) -> list[dict]:
        """The photos of a registration, oldest first."""
        query = (select(media).join(registrations, registrations.c.id == media.c.registration_id)
                 .where(registrations.c.reference == reference).order_by(media.c.id))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def claim_telegram_update(self, bot_id: int, update_id: int) -> bool:
        """True the first time a bot's update id is seen (also across restarts), False after."""
        statement = insert_if_absent(
            self.engine.dialect.name,
            telegram_updates,
            bot_id=bot_id,
            update_id=update_id,
            received_at=datetime.now(timezone.utc),
        )
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(registrations)).scalar_one()


def open_register(url: str, secret: bytes) -> Register:
    return Register(create_register_engine(url), secret)


def open_configured_register() -> Register:
    """The register named by the settings (DATABASE_URL, PALIGS_SECRET)."""
    config = settings.load()
    return open_register(config.database_url, config.secret())
