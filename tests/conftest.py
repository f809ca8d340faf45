"""Fixtures every test may use: the project root and an empty register (SQLite, and
PostgreSQL where TEST_POSTGRES_URL names one)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from alembic import command

from bot.register import Register, migrate, open_register

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "paligs.tar.gz"


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Register]:
    """An empty register on SQLite, and on PostgreSQL where TEST_POSTGRES_URL names one (CI)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'register.db'}"
    elif POSTGRES_URL:
        url = POSTGRES_URL
        command.downgrade(migrate.alembic_config(url), "base")
    else:
        pytest.skip("TEST_POSTGRES_URL is not set (.ci/run sets it)")
    migrate.upgrade(url)
    register = open_register(url, b"register-test-secret")
    yield register
    register.engine.dispose()
