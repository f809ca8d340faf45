"""The central register of complaints, suggestions and service requests.

One table of registrations, an append-only status history and a counter per
kind and year that hands out reference numbers ``<K>-<YYYY>-<NNNNNN>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.dml import Insert

from bot import settings
from bot.privacy import keyed_hash, mask_personal_codes, new_access_code, normalise_access_code

# kind -> (reference letter, Latvian name)
KINDS: dict[str, tuple[str, str]] = {
    "complaint": ("S", "sūdzība"),
    "suggestion": ("I", "ierosinājums"),
    "service_request": ("P", "pakalpojuma pieprasījums"),
}
KIND_BY_LETTER = {letter: kind for kind, (letter, _) in KINDS.items()}

# Life-cycle (seed 002's seven steps), in order, with the words shown to people.
STATUSES: dict[str, str] = {
    "registered": "reģistrēts",
    "in_review": "izvērtēšanā",
    "decided": "lēmums pieņemts",
    "in_progress": "tiek īstenots",
    "resolved": "atrisināts",
    "closed": "slēgts",
}

MAX_TEXT_LENGTH = 20000
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])([SIPsip])\s*[-–]?\s*(\d{4})\s*[-–]?\s*(\d{1,6})(?!\d)")

metadata = MetaData()

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("kind_predicted", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("service_id", String(64)),
    Column("channel", String(32), nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("contact", String(200)),
    Column("access_code_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

status_history = Table(
    "status_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("changed_by", String(100), nullable=False),
    Column("note", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("letter", String(1), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)


telegram_updates = Table(
    "telegram_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


def parse_reference(text: str) -> Optional[str]:
    """The first reference number in the text, normalised (``s 2026 42`` -> ``S-2026-000042``)."""
    match = _REFERENCE.search(text)
    if not match:
        return None
    letter, year, number = match.groups()
    return f"{letter.upper()}-{year}-{int(number):06d}"


def insert_if_absent(dialect_name: str, table: Table, **values: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and on SQLite."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


def format_reference(kind: str, year: int, number: int) -> str:
    return f"{KINDS[kind][0]}-{year}-{number:06d}"


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


def create_register_engine(url: str) -> Engine:
    """An engine; on SQLite writers take the lock at BEGIN so counters never race."""
    if not url.startswith("sqlite"):
        return create_engine(url, future=True, pool_pre_ping=True)
    engine = create_engine(url, future=True, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Register:
    """Reads and writes registrations; the only code that touches the register tables."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine = engine
        self._secret = secret

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
    ) -> tuple[Registration, str]:
        """Store a new registration; returns it and its plain access code (shown once)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        now = datetime.now(timezone.utc)
        access_code = new_access_code()
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
            )
            registration_id = conn.execute(registrations.insert().values(**values)).inserted_primary_key[0]
            conn.execute(
                status_history.insert().values(
                    registration_id=registration_id,
                    from_status=None,
                    to_status="registered",
                    changed_by=f"{channel}:citizen",
                    note=None,
                    changed_at=now,
                )
            )
        return Registration(**values), access_code

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

    def change_status(self, reference: str, to_status: str, changed_by: str, note: Optional[str] = None) -> Registration:
        """Move a registration to another status and append the change to its history."""
        if to_status not in STATUSES:
            raise ValueError(f"unknown status {to_status!r}")
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
            if row is None:
                raise LookupError(reference)
            conn.execute(
                update(registrations)
                .where(registrations.c.id == row.id)
                .values(status=to_status, updated_at=now)
            )
            conn.execute(
                status_history.insert().values(
                    registration_id=row.id,
                    from_status=row.status,
                    to_status=to_status,
                    changed_by=changed_by,
                    note=mask_personal_codes(note) if note else None,
                    changed_at=now,
                )
            )
        updated = self.find(reference)
        assert updated is not None
        return updated

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
