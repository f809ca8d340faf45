"""The register's tables (created by the Alembic migrations) and its database engine."""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Insert

metadata = MetaData()

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("kind_predicted", String(20)),  # NULL: the bot asked the kind instead of proposing one
    Column("text", Text, nullable=False),
    Column("service_id", String(64)),
    Column("channel", String(32), nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("contact", Text),  # Fernet-encrypted {"contact": …} (given with consent)
    Column("access_code_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("submission_key", String(64), unique=True),
    Column("delivery_address", Text),  # Fernet-encrypted JSON {route: address}; NULL once closed
    # Where the matter is and a picture of it (Open311 posts), and the token such a post was answered with.
    Column("latitude", Float),
    Column("longitude", Float),
    Column("address", String(500)),
    Column("address_id", String(100)),
    Column("media_url", String(2000)),
    Column("open311_token", String(32), unique=True),
    Column("subject", String(300)),  # a letter's original subject (masked)
    Column("kind_unsure", Boolean, nullable=False, server_default="0"),  # staff are to check the kind
    # Keyed hash of an anonymous client's address, for the hourly cap; cleared by the retention purge.
    Column("client_hash", String(32), index=True),
)

# Photos of a registration; the files are content-addressed under MEDIA_DIR (bot/register/media.py).
media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("source", String(32), nullable=False),  # telegram | web | staff
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("registration_id", "sha256", name="uq_media_registration_sha256"),
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

# The outbox: what the applicant is to be told, written in the transaction of the status change.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("route", String(16), nullable=False),  # telegram | email | web
    Column("address", Text),  # Fernet-encrypted; NULL for web and once sent or failed
    Column("text", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)

# What applicants add to their registration later (a reply to our e-mail, a message naming the reference).
applicant_messages = Table(
    "applicant_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("sender_hash", String(64)),  # keyed hash of channel and sender, like the registration's
    Column("subject", String(300)),
    Column("text", Text, nullable=False),
    Column("source_key", String(64), unique=True),  # the letter's key: a letter read twice is added once
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Files that came with a registration; the bytes live in the data folder under their SHA-256.
attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64)),  # NULL: not kept (the reason is in ``note``)
    Column("note", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("registration_id", "position"),
)

# Mail intake: every letter read from the mailbox, by the keyed hash of its Message-ID.
mail_letters = Table(
    "mail_letters",
    metadata,
    Column("letter_key", String(64), primary_key=True),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("state", String(16), nullable=False),  # handling | registered | reply | ignored | held
    Column("registration_id", ForeignKey("registrations.id")),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Message-IDs of the e-mails we sent about a registration (keyed hashes): replies find it by them.
mail_sent = Table(
    "mail_sent",
    metadata,
    Column("message_id_hash", String(64), primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_all", Boolean, nullable=False, default=False),  # may read every request's free text
    Column("revoked_at", DateTime(timezone=True)),  # refused from then on
)

staff_members = Table(
    "staff_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("telegram_id", BigInteger, unique=True),
    Column("login", String(64), unique=True),
    Column("password_hash", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Staff tokens name the generation they were issued in; logging out moves it on, revoking them.
    Column("token_generation", Integer, nullable=False, server_default="0"),
)

telegram_updates = Table(
    "telegram_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


def insert_if_absent(dialect_name: str, table: Table, **values: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and on SQLite."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


def create_register_engine(url: str) -> Engine:
    """An engine; on SQLite writers take the lock at BEGIN so counters never race, and erased
    data is overwritten in the file (``secure_delete``)."""
    if not url.startswith("sqlite"):
        return create_engine(url, future=True, pool_pre_ping=True)
    engine = create_engine(url, future=True, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA secure_delete=ON")  # deleted and overwritten bytes are zeroed

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
