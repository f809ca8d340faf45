"""The staff directory: who may work the register in chat, known only by verified identities.

A staff member is known by a Telegram user id, a web login, or both (rows in the register's
``staff_members`` table). Staff rights come only from a server-verified channel identity.
"""
from __future__ import annotations

from typing import Optional

from bot import settings
from bot.register import create_register_engine
from bot.register.staff_members import StaffMember, StaffMembers
from bot.staff.auth import hash_password, password_matches, verified_claims

__all__ = ["StaffMember", "StaffDirectory", "VERIFIED_CHANNELS", "verified_staff", "open_directory"]

# Channels whose sender id is verified by the server: Telegram (``from.id`` of an update that
# passed the webhook secret or came from getUpdates) and the staff chat (a signed token).
VERIFIED_CHANNELS = ("telegram", "staff")


class StaffDirectory(StaffMembers):
    """The staff members' table with their passwords checked and hashed here."""

    def check_password(self, login: str, password: str) -> Optional[StaffMember]:
        member, stored = self.with_password_hash(login)
        stored = stored or hash_password("timing-equaliser")  # same cost for unknown logins
        return member if member and password_matches(stored, password) else None

    def login_of_token(self, key: str, token: Optional[str]) -> Optional[str]:
        """The login a staff token names, if it is genuine, unexpired and not revoked by a logout."""
        claims = verified_claims(key, token) if token else None
        if claims is None:
            return None
        login, generation = claims
        current = self.token_generation(login)
        return login if current is not None and current == generation else None

    def add_member(self, name: str, telegram_id: Optional[int] = None, login: Optional[str] = None,
                   password: Optional[str] = None) -> None:
        """Add a staff member, or give an existing one (same name) another identity."""
        self.add(name, telegram_id, login, hash_password(password or "") if login is not None else None)


def verified_staff(directory: StaffMembers, channel: Optional[str], sender_id: str) -> Optional[StaffMember]:
    """The staff member behind a verified channel identity; None for everyone else."""
    if channel == "telegram" and sender_id.isdigit():
        return directory.by_telegram(int(sender_id))
    if channel == "staff" and sender_id.startswith("staff-"):
        return directory.by_login(sender_id.removeprefix("staff-"))
    return None


def open_directory(config: Optional[settings.Settings] = None) -> StaffDirectory:
    return StaffDirectory(create_register_engine((config or settings.load()).database_url))
