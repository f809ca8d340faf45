"""Right to erasure and storage limitation: what ``python -m bot.privacy`` does.

``erase REFERENCE --by NAME`` removes one registration's personal data: its free text, every
note written about it and the applicant's later messages are replaced by a marker, its contact,
delivery address, letter subject and place (coordinates, address, picture link) are deleted, its
attachments and photos are deleted with their files (a file another registration also has is
kept), its outbox rows lose their text and address, a history row records who erased it and
when, and its sender's conversations are deleted from the conversation store (Rasa's
``events`` table; the register keeps only a keyed hash of channel and sender, so the sender is
found by hashing each stored sender id the same way).

``purge`` applies retention: conversations idle longer than CONVERSATION_RETENTION_DAYS are
deleted; registrations closed longer than CLOSED_RETENTION_DAYS ago are erased as above (the
reference, kind, service, dates and status history stay for statistics); client hashes of the
hourly registration cap are cleared after a day.

Both end by compacting SQLite files (``VACUUM`` and a truncating WAL checkpoint) so that the
erased bytes are gone from the files, not only from the tables; the register also runs with
``secure_delete`` (``schema.create_register_engine``).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select, update
from sqlalchemy.engine import Engine

from bot.register import Register, open_configured_register
from bot.register.attachments import file_path
from bot.register.media import photo_path
from bot.register.schema import applicant_messages, attachments, media, notifications, registrations, status_history

ERASED = "[dzēsts]"
RETENTION_BY = "glabāšanas termiņš"
CLIENT_HASH_HOURS = 24


@dataclass(frozen=True)
class Folders:
    """Where attachment files and photos are kept (both content-addressed by SHA-256)."""

    attachments: Path
    media: Path

    def files(self, attachment_shas: set[str], photo_shas: set[str]) -> list[Path]:
        return ([file_path(self.attachments, sha) for sha in attachment_shas]
                + [photo_path(self.media, sha) for sha in photo_shas])


@dataclass(frozen=True)
class Erased:
    """What an erasure touched."""

    reference: str
    channel: str
    sender_hash: str
    conversations: int = 0
    files: tuple[Path, ...] = ()


def _unshared(conn: Any, table: Table, registration_id: int) -> set[str]:
    """SHA-256 of this registration's files that no other registration has."""
    mine = set(conn.execute(select(table.c.sha256).where(
        (table.c.registration_id == registration_id) & table.c.sha256.is_not(None))).scalars())
    shared = set(conn.execute(select(table.c.sha256).where(
        table.c.sha256.in_(mine) & (table.c.registration_id != registration_id))).scalars()) if mine else set()
    return mine - shared


def erase_registration(register: Register, reference: str, by: str, now: Optional[datetime] = None,
                       folders: Optional[Folders] = None) -> Erased:
    """Erase one registration's personal data in the register (``LookupError`` if unknown); the
    files only it had are deleted once the transaction has committed."""
    now = now or datetime.now(timezone.utc)
    with register.engine.begin() as conn:
        row = conn.execute(select(registrations).where(registrations.c.reference == reference)).first()
        if row is None:
            raise LookupError(reference)
        conn.execute(update(registrations).where(registrations.c.id == row.id).values(
            text=ERASED, contact=None, delivery_address=None, client_hash=None, subject=None, latitude=None,
            longitude=None, address=None, address_id=None, media_url=None, updated_at=now))
        conn.execute(update(applicant_messages).where(applicant_messages.c.registration_id == row.id).values(
            text=ERASED, subject=None, sender_hash=None))
        files = folders.files(_unshared(conn, attachments, row.id), _unshared(conn, media, row.id)) if folders else []
        conn.execute(delete(attachments).where(attachments.c.registration_id == row.id))
        conn.execute(delete(media).where(media.c.registration_id == row.id))
        conn.execute(update(status_history).where((status_history.c.registration_id == row.id)
                                                  & status_history.c.note.is_not(None)).values(note=ERASED))
        conn.execute(update(notifications).where(notifications.c.registration_id == row.id).values(
            text=ERASED, address=None, last_error=None))
        # from = to and no note: the card shows it as the erasure, by whom and when.
        conn.execute(status_history.insert().values(
            registration_id=row.id, from_status=row.status, to_status=row.status, changed_by=by[:100], note=None,
            changed_at=now))
    for path in files:
        path.unlink(missing_ok=True)
    return Erased(reference, row.channel, row.sender_hash, files=tuple(files))


def closed_before(register: Register, cutoff: datetime) -> list[str]:
    """References of registrations closed before ``cutoff`` whose personal data is still there."""
    query = select(registrations.c.reference).where(
        (registrations.c.status == "closed") & (registrations.c.updated_at < cutoff) & (registrations.c.text != ERASED))
    with register.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def forget_client_hashes(register: Register, cutoff: datetime) -> int:
    with register.engine.begin() as conn:
        return conn.execute(update(registrations).where(
            registrations.c.client_hash.is_not(None) & (registrations.c.created_at < cutoff)
        ).values(client_hash=None)).rowcount


class Conversations:
    """Rasa's conversation store (its SQL tracker store's ``events`` table, keyed by sender id)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _events(self) -> Optional[Table]:
        if not inspect(self.engine).has_table("events"):
            return None
        return Table("events", MetaData(), autoload_with=self.engine)

    def senders_of(self, register: Register, channel: str, sender_hash: str) -> list[str]:
        """The stored sender ids whose keyed hash is ``sender_hash``."""
        events = self._events()
        if events is None:
            return []
        with self.engine.connect() as conn:
            senders = conn.execute(select(events.c.sender_id).distinct()).scalars().all()
        return [s for s in senders if register.sender_hash(channel, s) == sender_hash]

    def delete(self, sender_ids: list[str]) -> int:
        events = self._events()
        if events is None or not sender_ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(delete(events).where(events.c.sender_id.in_(sender_ids))).rowcount

    def delete_idle(self, cutoff: datetime) -> int:
        """Delete whole conversations whose last event is older than ``cutoff``; how many."""
        events = self._events()
        if events is None:
            return 0
        idle = (select(events.c.sender_id).group_by(events.c.sender_id)
                .having(func.max(events.c.timestamp) < cutoff.timestamp()))
        with self.engine.begin() as conn:
            senders = conn.execute(idle).scalars().all()
            if senders:
                conn.execute(delete(events).where(events.c.sender_id.in_(senders)))
        return len(senders)


def compact(engine: Engine) -> None:
    """SQLite only: rebuild the file without free pages and empty the write-ahead log."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection if hasattr(raw, "driver_connection") else raw.connection
        previous = connection.isolation_level
        connection.isolation_level = None  # VACUUM cannot run inside a transaction
        connection.execute("PRAGMA secure_delete=ON")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.isolation_level = previous
    finally:
        raw.close()
    engine.dispose()


def conversation_engine(tracker_url: str) -> Engine:
    return create_engine(tracker_url, future=True)


def erase(register: Register, conversations: Conversations, reference: str, by: str,
          folders: Optional[Folders] = None) -> Erased:
    """Everything ``erase`` does: the register and files, the sender's conversations, then compaction."""
    erased = erase_registration(register, reference, by, folders=folders)
    senders = conversations.senders_of(register, erased.channel, erased.sender_hash)
    deleted = conversations.delete(senders)
    compact(register.engine)
    compact(conversations.engine)
    return Erased(erased.reference, erased.channel, erased.sender_hash, deleted, erased.files)


@dataclass(frozen=True)
class Purged:
    conversations: int
    registrations: list[str]
    client_hashes: int


def purge(register: Register, conversations: Conversations, conversation_days: int, closed_days: int,
          now: Optional[datetime] = None, folders: Optional[Folders] = None) -> Purged:
    """Apply the retention periods (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    idle = conversations.delete_idle(now - timedelta(days=conversation_days))
    references = closed_before(register, now - timedelta(days=closed_days))
    for reference in references:
        erase_registration(register, reference, RETENTION_BY, now, folders)
    hashes = forget_client_hashes(register, now - timedelta(hours=CLIENT_HASH_HOURS))
    compact(register.engine)
    compact(conversations.engine)
    return Purged(idle, references, hashes)


def main(argv: Optional[list[str]] = None) -> int:
    from bot import settings

    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description="Erase personal data; apply retention.")
    commands = parser.add_subparsers(dest="command", required=True)
    erase_parser = commands.add_parser("erase", help="erase one registration's personal data and conversations")
    erase_parser.add_argument("reference")
    erase_parser.add_argument("--by", required=True, help="who erases it (recorded in its history)")
    commands.add_parser("purge", help="apply the retention periods (daily, by the systemd timer)")
    args = parser.parse_args(argv)
    config = settings.load()
    register = open_configured_register()
    conversations = Conversations(conversation_engine(config.tracker_url))
    folders = Folders(config.attachments_dir, config.media_dir)
    if args.command == "erase":
        try:
            erased = erase(register, conversations, args.reference.strip().upper(), args.by, folders)
        except LookupError:
            print(f"No registration {args.reference}.", file=sys.stderr)
            return 1
        print(f"Erased {erased.reference}: text, notes, contact, addresses and place; {len(erased.files)} files and "
              f"{erased.conversations} conversation events deleted.")
        return 0
    purged = purge(register, conversations, config.conversation_retention_days, config.closed_retention_days,
                   folders=folders)
    print(f"Purged: {purged.conversations} idle conversations, {len(purged.registrations)} closed registrations "
          f"erased, {purged.client_hashes} client hashes cleared.")
    return 0
