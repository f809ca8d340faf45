"""Bring the register's schema up to date (Alembic)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot import settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str) -> None:
    """Create or upgrade the register at the URL to the latest revision."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


if __name__ == "__main__":
    upgrade(settings.load().database_url)
