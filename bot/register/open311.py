"""The register's queries for Open311: requests by reference, token or filters, their updates,
and the keys that make a retried post idempotent.

The Open311 door (``connectors.web.open311``) turns its query parameters into ``RequestFilter``
and the answers into the spec's fields; the SQL lives here with the tables.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import ColumnElement

from bot.register import Register, Registration
from bot.register.outbox import is_for_applicant
from bot.register.schema import registrations, status_history

# The service code of a service request for a service not in the catalogue.
UNLISTED_SERVICE = "service_request"
OPEN311_CHANNEL = "open311"
# A post retried with the same key, device and body within this many seconds (and at most
# twice as many) gives the first registration back.
RETRY_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class RequestFilter:
    """Which registrations an Open311 read asks for (references: the others are then ignored)."""

    references: Optional[list[str]] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    statuses: tuple[str, ...] = ()
    service_codes: frozenset[str] = field(default_factory=frozenset)
    limit: int = 1000
    offset: int = 0


@dataclass(frozen=True)
class Update:
    """One public change of a registration: a status move or a note for its applicant."""

    update_id: int
    registration: Registration
    status: str  # the registration's status after the change
    note: Optional[str]  # only a note its applicant was told (never an internal one)
    changed_at: datetime


def sender_id_of(client_name: str) -> str:
    """The sender id an api key's posts are registered under (so a key finds its own)."""
    return f"apikey:{client_name}"


def posted_by(register: Register, registration: Registration, client_name: str) -> bool:
    """Whether the named client's key posted the registration."""
    return register.is_owner(registration, OPEN311_CHANNEL, sender_id_of(client_name))


def _of_services(codes: frozenset[str]) -> ColumnElement:
    """Registrations whose service code is one of ``codes``."""
    conditions = [registrations.c.service_id.in_(codes), registrations.c.kind.in_(codes & {"complaint", "suggestion"})]
    if UNLISTED_SERVICE in codes:
        conditions.append((registrations.c.kind == "service_request") & registrations.c.service_id.is_(None))
    return or_(*conditions)


def _applicant_notes(conn: Any, ids: list[int], references: dict[int, str]) -> dict[str, str]:
    """The latest note each registration's applicant was told (its Open311 status_notes)."""
    notes: dict[str, str] = {}
    if not ids:
        return notes
    rows = conn.execute(select(status_history).where(status_history.c.registration_id.in_(ids))
                        .order_by(status_history.c.id))
    for row in rows:
        if is_for_applicant(dict(row._mapping)):
            notes[references[row.registration_id]] = row.note
    return notes


def find_requests(engine: Engine, wanted: RequestFilter) -> list[tuple[Registration, Optional[str]]]:
    """The registrations asked for, newest first, each with the latest note its applicant was told."""
    statement = select(registrations).order_by(registrations.c.created_at.desc(), registrations.c.id.desc())
    if wanted.references is not None:
        statement = statement.where(registrations.c.reference.in_(wanted.references))
    else:
        if wanted.start:
            statement = statement.where(registrations.c.created_at >= wanted.start)
        if wanted.end:
            statement = statement.where(registrations.c.created_at <= wanted.end)
        if wanted.statuses:
            statement = statement.where(registrations.c.status.in_(wanted.statuses))
        if wanted.service_codes:
            statement = statement.where(_of_services(wanted.service_codes))
    statement = statement.limit(wanted.limit).offset(wanted.offset)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
        notes = _applicant_notes(conn, [row.id for row in rows], {row.id: row.reference for row in rows})
    return [(Registration.from_row(row), notes.get(row.reference)) for row in rows]


def reference_of_token(engine: Engine, token: str) -> Optional[str]:
    """The reference of the registration an Open311 post with this token created."""
    with engine.connect() as conn:
        return conn.execute(select(registrations.c.reference).where(registrations.c.open311_token == token)).scalar()


def find_updates(engine: Engine, start: datetime, end: datetime, limit: int, offset: int = 0) -> list[Update]:
    """Status moves and notes for the applicant made between start and end, oldest first.

    The registration itself (its first history row) is not an update, nor is an internal note
    on a move (it is left out; the move is listed without it).
    """
    statement = (
        select(status_history, registrations)
        .join(registrations, registrations.c.id == status_history.c.registration_id)
        .where(status_history.c.from_status.is_not(None))
        .where(or_(status_history.c.from_status != status_history.c.to_status, status_history.c.note.is_not(None)))
        .where(and_(status_history.c.changed_at >= start, status_history.c.changed_at <= end))
        .order_by(status_history.c.changed_at, status_history.c.id)
        .limit(limit).offset(offset)
    )
    history_columns = ("from_status", "to_status", "note")
    found = []
    with engine.connect() as conn:
        for row in conn.execute(statement):
            mapping = row._mapping
            change = {name: mapping[status_history.c[name]] for name in history_columns}
            note = change["note"] if is_for_applicant(change) else None
            if change["from_status"] == change["to_status"] and note is None:
                continue
            registration = Registration(**{name: mapping[registrations.c[name]]
                                           for name in Registration.__dataclass_fields__})
            found.append(Update(mapping[status_history.c.id], registration, change["to_status"], note,
                                mapping[status_history.c.changed_at]))
    return found


def submission_keys(client_name: str, idempotency_key: Optional[str], device_id: Optional[str],
                    form: dict[str, str], now: datetime) -> list[str]:
    """The submission keys under which a post may already be stored, the one to store it under first.

    With an ``Idempotency-Key`` header: one key per client and header value, for good. Without
    it but with a ``device_id``: the same client, device and body within the retry window (the
    current and the previous window). Otherwise none: every post registers.
    """
    def digest(*parts: str) -> str:
        return hashlib.sha256("\x1f".join(("open311", client_name, *parts)).encode()).hexdigest()

    if idempotency_key:
        return [digest("idempotency-key", idempotency_key)]
    if not device_id:
        return []
    body = "\x1e".join(f"{name}={value}" for name, value in sorted(form.items()) if name != "api_key")
    window = int(now.timestamp()) // RETRY_WINDOW_SECONDS
    return [digest("device", device_id, body, str(slot)) for slot in (window, window - 1)]
