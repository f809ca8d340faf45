"""The register's queries for Open311 reads: registrations by reference or by filters.

The Open311 door (``connectors.web.open311``) turns its query parameters into ``RequestFilter``
and the answers into the spec's fields; the SQL lives here with the tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import ColumnElement

from bot.register import Registration
from bot.register.outbox import is_for_applicant
from bot.register.schema import registrations, status_history

# The service code of a service request for a service not in the catalogue.
UNLISTED_SERVICE = "service_request"


@dataclass(frozen=True)
class RequestFilter:
    """Which registrations an Open311 read asks for (references: the others are then ignored)."""

    references: Optional[list[str]] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    statuses: tuple[str, ...] = ()
    service_codes: frozenset[str] = field(default_factory=frozenset)
    limit: int = 1000


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
        statement = statement.limit(wanted.limit)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
        notes = _applicant_notes(conn, [row.id for row in rows], {row.id: row.reference for row in rows})
    return [(Registration.from_row(row), notes.get(row.reference)) for row in rows]
