"""The central register of complaints, suggestions and service requests.

One table of registrations, an append-only status history and a counter per kind and
year that hands out reference numbers. ``Register`` is the only code that writes them;
the tables are in ``schema``, kinds and references in ``references``, the life-cycle in
``lifecycle``, the staff's lists and counts in ``queries``, what the applicant is told
(the outbox) in ``outbox``, files in ``attachments`` and mail intake's records in ``mail``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.privacy import keyed_hash, mask_personal_codes, new_access_code, normalise_access_code, submission_access_code
from bot.register.attachments import Attachments
from bot.register.lifecycle import STATUSES, move_problem
from bot.register.mail import MailLog
from bot.register.media import StoredMedia, valid_coordinates
from bot.register.outbox import NOTIFY_STATUSES, AddressBox, Outbox, enqueue
from bot.register.references import KIND_BY_LETTER, KINDS, format_reference, parse_reference, text_after_reference
from bot.register.schema import (
    applicant_messages,
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
    "KINDS", "KIND_BY_LETTER", "STATUSES", "MAX_TEXT_LENGTH", "Place", "Register", "Registration", "StatusChanged",
    "MoveRefused", "TooManyRegistrations", "create_register_engine", "insert_if_absent", "metadata", "open_register",
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


class TooManyRegistrations(Exception):
    """The client's address has registered its hourly cap already; nothing was stored."""


@dataclass(frozen=True)
class Place:
    """Where the matter is, and a picture of it: what an Open311 app may send (else all None)."""

    latitude: Optional[float] = None
    longitude: Optional[float] = None
    address: Optional[str] = None
    address_id: Optional[str] = None
    media_url: Optional[str] = None


@dataclass(frozen=True)
class Registration:
    """A registration as read from the register."""

    reference: str
    kind: str
    kind_predicted: Optional[str]  # None: the bot asked which kind it is
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
    address_id: Optional[str] = None
    media_url: Optional[str] = None
    open311_token: Optional[str] = None
    subject: Optional[str] = None
    kind_unsure: bool = False

    @property
    def place(self) -> Place:
        return Place(self.latitude, self.longitude, self.address, self.address_id, self.media_url)

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
        self.attachments = Attachments(engine)
        self.mail = MailLog(engine, secret)

    def sender_hash(self, channel: str, sender_id: str) -> str:
        return keyed_hash(self._secret, f"{channel}:{sender_id}")

    @property
    def box(self) -> AddressBox:
        """Seals contacts and delivery addresses at rest."""
        return self._addresses

    def _registration(self, row: Row) -> Registration:
        """A row as a registration, its contact decrypted."""
        return replace(Registration.from_row(row), contact=self.open_contact(row.contact))

    def open_contact(self, sealed: Optional[str]) -> Optional[str]:
        return self._addresses.open(sealed).get("contact") if sealed else None

    def create(
        self,
        *,
        kind: str,
        kind_predicted: Optional[str],
        text: str,
        channel: str,
        sender_id: str,
        service_id: Optional[str] = None,
        contact: Optional[str] = None,
        submission_key: Optional[str] = None,
        delivery: Optional[dict[str, str]] = None,
        place: Optional[Place] = None,
        open311_token: Optional[str] = None,
        subject: Optional[str] = None,
        kind_unsure: bool = False,
        client: Optional[str] = None,
        client_cap: Optional[int] = None,
        entered_by: Optional[str] = None,
    ) -> tuple[Registration, str]:
        """Store a new registration; returns it and its plain access code.

        ``delivery`` ({route: address}, e.g. {"telegram": chat id, "email": …}) is where the
        applicant is told of decisions; it is stored encrypted and deleted when the
        registration is closed. ``place`` and ``open311_token`` come with Open311 posts.
        ``entered_by`` names the staff member who entered it for the
        citizen (in person, by phone or post); the first history row says so.

        With a submission key the call is idempotent: the same form submitted again (after
        its answer was lost) returns the registration stored the first time, with the same
        access code, and stores nothing new.

        ``subject`` is a letter's subject; ``kind_unsure`` marks a registration whose kind the
        bot was not sure of and no citizen confirmed (staff are to check it).
        ``client`` is the keyed hash of an anonymous client's address (``connectors.ingress``);
        with ``client_cap``, a client that registered that many in the last hour is refused
        (``TooManyRegistrations``) and nothing is stored.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if submission_key is None:
            access_code = new_access_code()
        else:
            access_code = submission_access_code(self._secret, submission_key)
            stored = self.find_submission(submission_key)
            if stored:
                return stored, access_code
        extra = {**asdict(place or Place()), "open311_token": open311_token, "kind_unsure": kind_unsure,
                 "subject": mask_personal_codes(subject)[:300] if subject else None}
        try:
            return self._insert(kind, kind_predicted, text, channel, sender_id, service_id, contact,
                                submission_key, access_code, delivery or {}, extra, client, client_cap,
                                entered_by), access_code
        except IntegrityError:
            stored = self.find_submission(submission_key) if submission_key else None
            if stored is None:
                raise
            return stored, access_code  # the same submission, stored by a concurrent call

    def stored_submission(self, submission_key: str) -> Optional[tuple[Registration, str]]:
        """The registration stored for a submission key and its access code, or None."""
        stored = self.find_submission(submission_key)
        return (stored, submission_access_code(self._secret, submission_key)) if stored else None

    def find_submission(self, submission_key: str) -> Optional[Registration]:
        """The registration stored for a submission key, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(registrations).where(registrations.c.submission_key == submission_key)).first()
        return self._registration(row) if row else None

    def _insert(
        self, kind: str, kind_predicted: Optional[str], text: str, channel: str, sender_id: str, service_id: Optional[str],
        contact: Optional[str], submission_key: Optional[str], access_code: str, delivery: dict[str, str],
        extra: dict, client: Optional[str] = None, client_cap: Optional[int] = None,
        entered_by: Optional[str] = None,
    ) -> Registration:
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            if client and client_cap is not None:
                recent = conn.execute(select(func.count()).select_from(registrations).where(
                    (registrations.c.client_hash == client) & (registrations.c.created_at > now - timedelta(hours=1))
                )).scalar_one()
                if recent >= client_cap:
                    raise TooManyRegistrations(client)
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
                **extra,
            )
            sealed = self._addresses.seal(delivery)
            sealed_contact = self._addresses.seal({"contact": contact}) if contact else None
            registration_id = conn.execute(
                registrations.insert().values(**{**values, "contact": sealed_contact}, delivery_address=sealed,
                                              client_hash=client)
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
        return self._registration(row) if row else None

    def latest_of_sender(self, channel: str, sender_id: str, kind: Optional[str] = None) -> Optional[Registration]:
        """The sender's most recent registration (of one kind, if given)."""
        query = select(registrations).where(registrations.c.sender_hash == self.sender_hash(channel, sender_id))
        if kind:
            query = query.where(registrations.c.kind == kind)
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(registrations.c.id.desc()).limit(1)).first()
        return self._registration(row) if row else None

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
                raise StatusChanged(self._registration(row))
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
                raise StatusChanged(self._registration(row))
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

    def add_applicant_message(self, reference: str, text: str, channel: str, sender: Optional[str] = None,
                              subject: Optional[str] = None, source_key: Optional[str] = None) -> bool:
        """What the applicant adds later (a reply, a message naming the reference), kept with the
        registration without changing its status; False when this source was added before. The
        sender (an e-mail address) is kept only as the keyed hash registrations keep."""
        values = dict(channel=channel, sender_hash=self.sender_hash(channel, sender) if sender else None, subject=mask_personal_codes(subject)[:300] if subject else None,
                      text=mask_personal_codes(text.strip())[:MAX_TEXT_LENGTH] or "(tukša ziņa)",
                      source_key=source_key, received_at=datetime.now(timezone.utc))
        with self.engine.begin() as conn:
            registration_id = conn.execute(
                select(registrations.c.id).where(registrations.c.reference == reference)).scalar_one_or_none()
            if registration_id is None:
                raise LookupError(reference)
            statement = insert_if_absent(conn.dialect.name, applicant_messages, registration_id=registration_id,
                                         **values)
            return conn.execute(statement).rowcount == 1

    def applicant_messages(self, reference: str) -> list[dict]:
        """The applicant's later messages, oldest first (for the staff card)."""
        query = (select(applicant_messages)
                 .join(registrations, registrations.c.id == applicant_messages.c.registration_id)
                 .where(registrations.c.reference == reference).order_by(applicant_messages.c.id))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def registration_id(self, reference: str) -> Optional[int]:
        with self.engine.connect() as conn:
            return conn.execute(
                select(registrations.c.id).where(registrations.c.reference == reference)).scalar_one_or_none()

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
        return self._registration(row)

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
