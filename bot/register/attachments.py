"""Files that came with a registration: kept in the data folder under their SHA-256
(content-addressed: the same file twice is stored once), listed in ``attachments``.

A file over the size cap is not kept; its row says so, so staff see that it existed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.privacy import mask_personal_codes
from bot.register.files import write_once
from bot.register.schema import attachments, insert_if_absent, registrations


@dataclass(frozen=True)
class IncomingFile:
    """One attachment as it arrived."""

    filename: str
    content_type: str
    data: bytes


def too_large_note(size: int, cap: int) -> str:
    return f"nav saglabāts: {size / 1048576:.1f} MB, vairāk par atļautajiem {cap / 1048576:.0f} MB"


def file_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def _write_once(folder: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    write_once(file_path(folder, digest), data)
    return digest


class Attachments:
    """Keeps and lists a registration's files."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, reference: str, files: list[IncomingFile], folder: Path, max_bytes: int) -> None:
        """Store the files (each once, also when called again for the same letter)."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            registration_id = conn.execute(
                select(registrations.c.id).where(registrations.c.reference == reference)).scalar_one()
            for position, incoming in enumerate(files):
                size = len(incoming.data)
                kept = size <= max_bytes
                digest = _write_once(folder, incoming.data) if kept else None
                conn.execute(insert_if_absent(
                    conn.dialect.name, attachments, registration_id=registration_id, position=position,
                    filename=mask_personal_codes(incoming.filename)[:255] or "bez nosaukuma",
                    content_type=incoming.content_type[:100], size=size, sha256=digest,
                    note=None if kept else too_large_note(size, max_bytes), created_at=now,
                ))

    def of_registration(self, reference: str) -> list[dict]:
        query = (select(attachments).join(registrations, registrations.c.id == attachments.c.registration_id)
                 .where(registrations.c.reference == reference).order_by(attachments.c.position))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
