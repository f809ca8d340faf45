"""The staff directory: who may work the register in chat, and how they prove it.

A staff member is known by a Telegram user id, a web login (password stored with scrypt,
a memory-hard KDF), or both. Web logins get short-lived signed tokens from the portal's
staff page; the staff chat channel verifies the token on every message.

Command line (operators and scripts rely on it exactly):
  python -m bot.staff add --name "Ilze Ozola" --telegram 123456789
  python -m bot.staff add --name "Ilze Ozola" --login ilze --password-stdin
  python -m bot.staff list
  python -m bot.staff remove --telegram ID | --login NAME
  python -m bot.staff apikey --name "Pilsētas lietotne"   (an Open311 api key, shown once)
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Table, delete, insert, select, update
from sqlalchemy.engine import Engine

from bot import settings
from bot.register import create_register_engine, metadata

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_SECONDS = 30 * 60
MIN_PASSWORD_LENGTH = 10

staff_members = Table(
    "staff_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("telegram_id", BigInteger, unique=True),
    Column("login", String(64), unique=True),
    Column("password_hash", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StaffMember:
    name: str
    telegram_id: Optional[int]
    login: Optional[str]

    @property
    def identity(self) -> str:
        """How history rows name the staff member."""
        return f"{self.name} ({'@' + self.login if self.login else 'Telegram ' + str(self.telegram_id)})"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue_token(key: str, login: str, seconds: int = TOKEN_SECONDS, now: Optional[float] = None) -> str:
    """A signed token naming the login, valid for ``seconds``."""
    body = _b64(json.dumps({"login": login, "exp": int((now or time.time()) + seconds)}).encode())
    signature = _b64(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify_token(key: str, token: str, now: Optional[float] = None) -> Optional[str]:
    """The login a token names, or None when it is forged, tampered with or expired."""
    try:
        body, signature = token.split(".")
        expected = _b64(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            return None
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("login"), str):
        return None
    return claims["login"] if claims.get("exp", 0) > (now or time.time()) else None


def token_key(config: settings.Settings) -> str:
    """The key that signs staff tokens (the portal signs, the Rasa server verifies)."""
    return config.derived_secret("staff-token")


class StaffDirectory:
    """Reads and writes the staff directory table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _one(self, where) -> Optional[StaffMember]:  # type: ignore[no-untyped-def]
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_members).where(where)).first()
        return StaffMember(row.name, row.telegram_id, row.login) if row else None

    def by_telegram(self, telegram_id: int) -> Optional[StaffMember]:
        return self._one(staff_members.c.telegram_id == telegram_id)

    def by_login(self, login: str) -> Optional[StaffMember]:
        return self._one(staff_members.c.login == login)

    def check_password(self, login: str, password: str) -> Optional[StaffMember]:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_members).where(staff_members.c.login == login)).first()
        stored = row.password_hash if row else hash_password("timing-equaliser")  # same cost for unknown logins
        if row and password_matches(stored, password):
            return StaffMember(row.name, row.telegram_id, row.login)
        return None

    def add(self, name: str, telegram_id: Optional[int] = None, login: Optional[str] = None,
            password: Optional[str] = None) -> None:
        """Add a staff member, or give an existing one (same name) another identity."""
        values: dict = {}
        if telegram_id is not None:
            values["telegram_id"] = telegram_id
        if login is not None:
            values.update(login=login, password_hash=hash_password(password or ""))
        with self.engine.begin() as conn:
            existing = conn.execute(select(staff_members.c.id).where(staff_members.c.name == name)).scalar()
            if existing is None:
                conn.execute(insert(staff_members).values(name=name, created_at=datetime.now(timezone.utc), **values))
            else:
                conn.execute(update(staff_members).where(staff_members.c.id == existing).values(**values))

    def members(self) -> list[StaffMember]:
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


# Channels whose sender id is verified by the server: Telegram (``from.id`` of an update that
# passed the webhook secret or came from getUpdates) and the staff chat (a signed token).
VERIFIED_CHANNELS = ("telegram", "staff")


def verified_staff(directory: StaffDirectory, channel: Optional[str], sender_id: str) -> Optional[StaffMember]:
    """The staff member behind a verified channel identity; None for everyone else."""
    if channel == "telegram" and sender_id.isdigit():
        return directory.by_telegram(int(sender_id))
    if channel == "staff" and sender_id.startswith("staff-"):
        return directory.by_login(sender_id.removeprefix("staff-"))
    return None


def open_directory(config: Optional[settings.Settings] = None) -> StaffDirectory:
    return StaffDirectory(create_register_engine((config or settings.load()).database_url))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description="The staff directory.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a staff member or another identity of one")
    add.add_argument("--name", required=True)
    add.add_argument("--telegram", type=int, help="Telegram user id")
    add.add_argument("--login", help="web login for the staff page")
    add.add_argument("--password-stdin", action="store_true", help="read the web password from standard input")
    commands.add_parser("list", help="list staff members")
    remove = commands.add_parser("remove", help="remove an identity")
    which = remove.add_mutually_exclusive_group(required=True)
    which.add_argument("--telegram", type=int)
    which.add_argument("--login")
    apikey = commands.add_parser("apikey", help="create an api key for an Open311 client (printed once)")
    apikey.add_argument("--name", required=True, help="who uses it, e.g. the name of the app")
    args = parser.parse_args(argv)

    from bot import migrate

    config = settings.load()
    migrate.upgrade(config.database_url)
    directory = open_directory(config)
    if args.command == "apikey":
        from sqlalchemy.exc import IntegrityError

        from bot import apikeys

        try:
            print(apikeys.create(directory.engine, args.name))
        except IntegrityError:
            print(f"an api key named {args.name!r} exists already", file=sys.stderr)
            return 1
    elif args.command == "add":
        if args.telegram is None and args.login is None:
            parser.error("add needs --telegram ID and/or --login NAME")
        password = None
        if args.login is not None:
            if not args.password_stdin:
                parser.error("--login needs --password-stdin (the password is read from standard input)")
            password = sys.stdin.readline().rstrip("\n")
            if len(password) < MIN_PASSWORD_LENGTH:
                parser.error(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        directory.add(args.name, args.telegram, args.login, password)
        print(f"added: {args.name}")
    elif args.command == "list":
        for member in directory.members():
            print(f"{member.name}\ttelegram={member.telegram_id or '-'}\tlogin={member.login or '-'}")
    elif not directory.remove(args.telegram, args.login):
        print("no such staff identity", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
