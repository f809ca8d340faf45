"""The staff's view of the register: filtered lists, newest first, and counts."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Callable, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.register import Registration
from bot.register.lifecycle import OPEN_STATUSES, add_working_days
from bot.register.schema import registrations

# The promised handling time, in working days, of a registration's service (None: no service).
HandlingDays = Callable[[Optional[str]], int]


@dataclass(frozen=True)
class Filters:
    """Which registrations a list or a count covers."""

    kind: Optional[str] = None
    statuses: tuple[str, ...] = ()
    open_only: bool = False
    overdue_only: bool = False
    since: Optional[date] = None

    def as_dict(self) -> dict:
        """JSON-ready, for keeping a list's filters between pages."""
        return {**self.__dict__, "statuses": list(self.statuses), "since": self.since.isoformat() if self.since else None}

    @classmethod
    def from_dict(cls, data: dict) -> "Filters":
        since = date.fromisoformat(data["since"]) if data.get("since") else None
        return cls(**{**data, "statuses": tuple(data.get("statuses", ())), "since": since})


@dataclass(frozen=True)
class Summary:
    """Counts for a period: by kind and status, overdue, kinds the bot proposed and the citizens
    corrected, and registrations whose kind the bot asked instead of proposing one."""

    by_kind_status: Counter = field(default_factory=Counter)
    overdue: int = 0
    corrected: int = 0
    asked: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_kind_status.values())


def deadline(registration: Registration, handling_days: HandlingDays) -> date:
    """The promised date: the handling time in working days after registration."""
    return add_working_days(registration.created_at.date(), handling_days(registration.service_id))


def is_overdue(registration: Registration, handling_days: HandlingDays, today: date) -> bool:
    return registration.status in OPEN_STATUSES and deadline(registration, handling_days) < today


def matching(engine: Engine, filters: Filters, handling_days: HandlingDays, today: date) -> list[Registration]:
    """Every registration the filters cover, newest first."""
    query = select(registrations).order_by(registrations.c.created_at.desc(), registrations.c.id.desc())
    if filters.kind:
        query = query.where(registrations.c.kind == filters.kind)
    if filters.statuses:
        query = query.where(registrations.c.status.in_(filters.statuses))
    if filters.open_only or filters.overdue_only:
        query = query.where(registrations.c.status.in_(OPEN_STATUSES))
    if filters.since:
        query = query.where(registrations.c.created_at >= datetime.combine(filters.since, time(), timezone.utc))
    with engine.connect() as conn:
        found = [Registration.from_row(row) for row in conn.execute(query)]
    if filters.overdue_only:
        found = [r for r in found if is_overdue(r, handling_days, today)]
    return found


def summary(engine: Engine, filters: Filters, handling_days: HandlingDays, today: date) -> Summary:
    found = matching(engine, filters, handling_days, today)
    return Summary(
        by_kind_status=Counter((r.kind, r.status) for r in found),
        overdue=sum(is_overdue(r, handling_days, today) for r in found),
        corrected=sum(r.kind_predicted is not None and r.kind != r.kind_predicted for r in found),
        asked=sum(r.kind_predicted is None for r in found),
    )
