"""Api keys of Open311 clients: created by ``python -m bot.staff apikey --name …``, stored hashed.

A key reads the free text (description, notes, address, picture) of the requests it posted;
only a key created with the read-all right reads everyone's. A revoked key is refused from
the next request on (its row stays, so its name is not given out again).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from bot.register.schema import api_keys

MAX_KEY_CHARS = 200


@dataclass(frozen=True)
class ApiClient:
    """The client a valid key belongs to."""

    name: str
    read_all: bool


@dataclass(frozen=True)
class KeyInfo:
    """One key as operators see it (never the key itself)."""

    name: str
    read_all: bool
    created_at: datetime
    revoked_at: Optional[datetime]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # the key is random (192 bits): no slow hash needed


def create(engine: Engine, name: str, read_all: bool = False) -> str:
    """A new key for the named client; only its hash is kept, so it is shown once."""
    key = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(insert(api_keys).values(name=name, key_hash=_digest(key), read_all=read_all,
                                             created_at=datetime.now(timezone.utc)))
    return key


def client_of(engine: Engine, key: Optional[str]) -> Optional[ApiClient]:
    """The client the key belongs to, or None (no key, an unknown or a revoked one)."""
    if not key or len(key) > MAX_KEY_CHARS:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(api_keys.c.name, api_keys.c.read_all)
                           .where((api_keys.c.key_hash == _digest(key)) & api_keys.c.revoked_at.is_(None))).first()
    return ApiClient(row.name, bool(row.read_all)) if row else None


def all_keys(engine: Engine) -> list[KeyInfo]:
    """Every key ever created, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys).order_by(api_keys.c.id)).all()
    return [KeyInfo(row.name, bool(row.read_all), row.created_at, row.revoked_at) for row in rows]


def revoke(engine: Engine, name: str) -> bool:
    """Revoke the named client's key; False if there is no such key or it was revoked already."""
    with engine.begin() as conn:
        changed = conn.execute(update(api_keys).where((api_keys.c.name == name) & api_keys.c.revoked_at.is_(None))
                               .values(revoked_at=datetime.now(timezone.utc))).rowcount
    return changed == 1
