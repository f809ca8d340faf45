"""Api keys of Open311 clients: created by ``python -m bot.staff apikey --name …``, stored hashed."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from bot.register.schema import api_keys


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # the key is random (192 bits): no slow hash needed


def create(engine: Engine, name: str) -> str:
    """A new key for the named client; only its hash is kept, so it is shown once."""
    key = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(insert(api_keys).values(name=name, key_hash=_digest(key), created_at=datetime.now(timezone.utc)))
    return key


def client_of(engine: Engine, key: Optional[str]) -> Optional[str]:
    """The name of the client the key belongs to, or None."""
    if not key or len(key) > 200:
        return None
    with engine.connect() as conn:
        return conn.execute(select(api_keys.c.name).where(api_keys.c.key_hash == _digest(key))).scalar()
