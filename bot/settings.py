"""Runtime settings, read from the environment with embedded defaults."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where things live, which ports they listen on and what each door accepts."""

    data_dir: Path
    database_url: str
    rasa_port: int
    actions_host: str
    actions_port: int
    web_port: int
    rest_token: Optional[str]
    flood_limit: int
    log_dir: Optional[Path]
    redis_url: Optional[str]

    @property
    def actions_url(self) -> str:
        """Where the Rasa server calls the action server (ACTIONS_URL, else loopback)."""
        return os.environ.get("ACTIONS_URL") or f"http://127.0.0.1:{self.actions_port}/webhook"

    @property
    def tracker_url(self) -> str:
        """Where Rasa keeps conversations: TRACKER_URL, else a server DATABASE_URL, else SQLite."""
        if os.environ.get("TRACKER_URL"):
            return os.environ["TRACKER_URL"]
        if not self.database_url.startswith("sqlite"):
            return self.database_url
        return f"sqlite:///{self.data_dir / 'conversations.db'}"

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

    def derived_secret(self, purpose: str) -> str:
        """A secret for one purpose, derived from the server secret (never the secret itself)."""
        return derive(self.secret(), purpose)

    def actions_token(self) -> str:
        """The shared token every call to the action server carries (ACTIONS_TOKEN, else derived)."""
        return os.environ.get("ACTIONS_TOKEN") or self.derived_secret("action-server")


def derive(secret: bytes, purpose: str) -> str:
    """A secret for one purpose derived from ``secret`` (hex HMAC-SHA256)."""
    return hmac.new(secret, purpose.encode(), hashlib.sha256).hexdigest()


def load() -> Settings:
    """Settings from the environment (see README, Configuration)."""
    data_dir = Path(os.environ.get("PALIGS_DATA_DIR", ROOT / "data"))
    log_dir = os.environ.get("PALIGS_LOG_DIR")
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'register.db'}",
        rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        actions_host=os.environ.get("ACTIONS_HOST", "127.0.0.1"),
        actions_port=int(os.environ.get("ACTIONS_PORT", "5055")),
        web_port=int(os.environ.get("WEB_PORT", "8080")),
        rest_token=os.environ.get("REST_TOKEN") or None,
        flood_limit=int(os.environ.get("FLOOD_LIMIT_PER_MINUTE", "20")),
        log_dir=Path(log_dir) if log_dir else None,
        redis_url=os.environ.get("REDIS_URL") or None,
    )
