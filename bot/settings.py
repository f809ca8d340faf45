"""Runtime settings: the one module that reads the environment (README, Configuration).

Every other module gets its settings from ``load()``; operator tooling (``bot.ops``) and
tests may set variables for the processes they start.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit

from bot.privacy import keyed_hash

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Telegram:
    """The Telegram channel and sender; on only when a token is set."""

    token: Optional[str]
    secret_token: Optional[str]
    api_url: str
    mode: str  # webhook | polling

    @property
    def file_url(self) -> str:
        """Where files are downloaded: ``<api base>/file/bot<token>/<file_path>``, as Telegram serves them."""
        base = self.api_url[: -len("bot")] if self.api_url.endswith("bot") else self.api_url.rstrip("/") + "/"
        return base + "file/bot"


@dataclass(frozen=True)
class Notifier:
    """The delivery worker's timings (seconds)."""

    lease: float
    retry: float
    poll: float


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
    log_level: str
    redis_url: Optional[str]
    bot_url: Optional[str]
    smtp_url: Optional[str]
    smtp_from: str
    media_dir: Path
    media_max_bytes: int
    telegram: Telegram
    notifier: Notifier
    profile_to: Optional[Path]
    actions_url_override: Optional[str] = None
    actions_token_override: Optional[str] = None
    tracker_url_override: Optional[str] = None
    secret_override: Optional[str] = None

    @property
    def actions_url(self) -> str:
        """Where the Rasa server calls the action server (ACTIONS_URL, else loopback)."""
        return self.actions_url_override or f"http://127.0.0.1:{self.actions_port}/webhook"

    @property
    def tracker_url(self) -> str:
        """Where Rasa keeps conversations: TRACKER_URL, else a server DATABASE_URL, else SQLite."""
        if self.tracker_url_override:
            return self.tracker_url_override
        if not self.database_url.startswith("sqlite"):
            return self.database_url
        return f"sqlite:///{self.data_dir / 'conversations.db'}"

    def secret(self) -> bytes:
        """Server-side secret for hashing sender ids and access codes.

        Taken from PALIGS_SECRET, else from a file in the data folder created on first use.
        """
        if self.secret_override:
            return self.secret_override.encode()
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
        return self.actions_token_override or self.derived_secret("action-server")

    def rasa_variables(self) -> dict[str, str]:
        """What Rasa's ``endpoints.yml`` reads from the environment, resolved from these settings."""
        found = {
            "RASA_TELEMETRY_ENABLED": "false",  # no usage or crash reports leave the host
            "ACTIONS_URL": self.actions_url,
            "ACTIONS_TOKEN": self.actions_token(),
            "TRACKER_URL": self.tracker_url,
        }
        return {**found, **(redis_variables(self.redis_url) if self.redis_url else {})}


def derive(secret: bytes, purpose: str) -> str:
    """A secret for one purpose derived from ``secret`` (hex HMAC-SHA256)."""
    return keyed_hash(secret, purpose)


def redis_variables(url: str) -> dict[str, str]:
    """``REDIS_URL`` (``redis://:password@host:port/db``) as the lock store's settings.

    Rasa's Redis lock store takes a host, port and password, not a URL.
    """
    parts = urlsplit(url)
    return {
        "REDIS_HOST": parts.hostname or "127.0.0.1",
        "REDIS_PORT": str(parts.port or 6379),
        "REDIS_PASSWORD": unquote(parts.password or ""),
        "REDIS_DB": parts.path.strip("/") or "0",
    }


def export_for_rasa(config: Settings) -> None:
    """Put ``rasa_variables`` into this process's environment (kept where already set)."""
    for name, value in config.rasa_variables().items():
        os.environ.setdefault(name, value)


def load() -> Settings:
    """Settings from the environment (see README, Configuration)."""
    env = os.environ
    data_dir = Path(env.get("PALIGS_DATA_DIR", ROOT / "data"))
    log_dir = env.get("PALIGS_LOG_DIR")
    profile_to = env.get("PALIGS_PROFILE")
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'register.db'}",
        rasa_port=int(env.get("RASA_PORT", "5005")),
        actions_host=env.get("ACTIONS_HOST", "127.0.0.1"),
        actions_port=int(env.get("ACTIONS_PORT", "5055")),
        web_port=int(env.get("WEB_PORT", "8080")),
        rest_token=env.get("REST_TOKEN") or None,
        flood_limit=int(env.get("FLOOD_LIMIT_PER_MINUTE", "20")),
        log_dir=Path(log_dir) if log_dir else None,
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        redis_url=env.get("REDIS_URL") or None,
        bot_url=env.get("BOT_URL") or None,
        smtp_url=env.get("SMTP_URL") or None,
        smtp_from=env.get("SMTP_FROM") or "Palīgs <paligs@localhost>",
        media_dir=data_dir / env["MEDIA_DIR"] if env.get("MEDIA_DIR") else data_dir / "media",
        media_max_bytes=int(float(env.get("MEDIA_MAX_MB", "10")) * 1024 * 1024),
        telegram=Telegram(
            token=env.get("TELEGRAM_TOKEN") or None,
            secret_token=env.get("TELEGRAM_SECRET_TOKEN") or None,
            api_url=env.get("TELEGRAM_API_URL") or TELEGRAM_API_URL,
            mode=env.get("TELEGRAM_MODE", "webhook"),
        ),
        notifier=Notifier(
            lease=float(env.get("NOTIFIER_LEASE_SECONDS", "120")),
            retry=float(env.get("NOTIFIER_RETRY_SECONDS", "30")),
            poll=float(env.get("NOTIFIER_POLL_SECONDS", "2")),
        ),
        profile_to=Path(profile_to) if profile_to else None,
        actions_url_override=env.get("ACTIONS_URL") or None,
        actions_token_override=env.get("ACTIONS_TOKEN") or None,
        tracker_url_override=env.get("TRACKER_URL") or None,
        secret_override=env.get("PALIGS_SECRET") or None,
    )
