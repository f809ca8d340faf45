"""The staff directory's table: who is staff, by Telegram id and by web login.

Only rows are read and written here; password hashing and what a verified identity may do
live in ``bot.staff``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from bot.register.schema import staff_members


@dataclass(frozen=True)
class StaffMember:
    name: str
    telegram_id: Optional[int]
    login: Optional[str]

    @property
    def identity(self) -> str:
        """How history rows name the staff member."""
        return f"{self.name} ({'@' + self.login if self.login else 'Telegram ' + str(self.telegram_id)})"


class StaffMembers:
    """Reads and writes the ``staff_members`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _one(self, where: Any) -> Optional[Any]:
        with self.engine.connect() as conn:
            return conn.execute(select(staff_members).where(where)).first()

    def by_telegram(self, telegram_id: int) -> Optional[StaffMember]:
        row = self._one(staff_members.c.telegram_id == telegram_id)
        return StaffMember(row.name, row.telegram_id, row.login) if row else None

    def by_login(self, login: str) -> Optional[StaffMember]:
        row = self._one(staff_members.c.login == login)
        return StaffMember(row.name, row.telegram_id, row.login) if row else None

    def with_password_hash(self, login: str) -> tuple[Optional[StaffMember], Optional[str]]:
        """The member with this login and their stored password hash (None, None if unknown)."""
        row = self._one(staff_members.c.login == login)
        return (StaffMember(row.name, row.telegram_id, row.login), row.password_hash) if row else (None, None)

    def add(self, name: str, telegram_id: Optional[int] = None, login: Optional[str] = None,
            password_hash: Optional[str] = None) -> None:
        """Add a staff member, or give an existing one (same name) another identity."""
        values: dict = {}
        if telegram_id is not None:
            values["telegram_id"] = telegram_id
        if login is not None:
            values.update(login=login, password_hash=password_hash)
        with self.engine.begin() as conn:
            existing = conn.execute(select(staff_members.c.id).where(staff_members.c.name == name)).scalar()
            if existing is None:
                conn.execute(insert(staff_members).values(name=name, created_at=datetime.now(timezone.utc), **values))
            else:
                conn.execute(update(staff_members).where(staff_members.c.id == existing).values(**values))

    def token_generation(self, login: str) -> Optional[int]:
        """The generation the login's valid tokens carry (None for an unknown login)."""
        row = self._one(staff_members.c.login == login)
        return row.token_generation if row else None

    def revoke_tokens(self, login: str) -> bool:
        """Log the login out everywhere: every token issued so far stops being valid."""
        with self.engine.begin() as conn:
            return conn.execute(update(staff_members).where(staff_members.c.login == login)
                                .values(token_generation=staff_members.c.token_generation + 1)).rowcount == 1

    def all(self) -> list[StaffMember]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff_members).order_by(staff_members.c.name)).all()
        return [StaffMember(r.name, r.telegram_id, r.login) for r in rows]

    def remove(self, telegram_id: Optional[int] = None, login: Optional[str] = None) -> bool:
        """Remove one identity; a person left with none is removed. True if something was removed."""
        column, value, cleared = (
            (staff_members.c.telegram_id, telegram_id, {"telegram_id": None})
            if telegram_id is not None
            else (staff_members.c.login, login, {"login": None, "password_hash": None})
        )
        with self.engine.begin() as conn:
            row = conn.execute(select(staff_members).where(column == value)).first()
            if row is None:
                return False
            other_identity = row.login if telegram_id is not None else row.telegram_id
            if other_identity is None:
                conn.execute(delete(staff_members).where(staff_members.c.id == row.id))
            else:
                conn.execute(update(staff_members).where(staff_members.c.id == row.id).values(**cleared))
        return True
