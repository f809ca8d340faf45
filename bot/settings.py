"""Runtime settings, read from the environment with embedded defaults."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where things live and which ports they listen on."""

    data_dir: Path
    database_url: str
    rasa_port: int
    actions_port: int
    web_port: int

    @property
    def action_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}/webhook"

    def secret(self) -> bytes:
        """Server-side secret for hashing sender ids and access codes.

        Taken from PALIGS_SECRET, else from a file in the data folder created on first use.
        """
        from_env = os.environ.get("PALIGS_SECRET")
        if from_env:
            return from_env.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def load() -> Settings:
    """Settings from the environment (see README, Configuration)."""
    data_dir = Path(os.environ.get("PALIGS_DATA_DIR", ROOT / "data"))
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'register.db'}",
        rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        actions_port=int(os.environ.get("ACTIONS_PORT", "5055")),
        web_port=int(os.environ.get("WEB_PORT", "8080")),
    )
