"""Runtime settings: the one module that reads the environment (README, Configuration).

Every other module gets its settings from ``load()``; operator tooling (``bot.ops``) and
tests may set variables for the processes they start.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit

from bot.privacy import keyed_hash

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API_URL = "https://api.telegram.org/bot"
# The placeholder in deploy/systemd/paligs.env.example: whoever read the example knows it.
EXAMPLE_SECRET = "change-me-to-64-random-hex-characters"
MIN_SECRET_CHARS = 32
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'
# The largest request body any door reads (the Rasa server's Sanic refuses bigger ones by
# Content-Length before reading them; the portal likewise).
MAX_BODY_BYTES = 64 * 1024


class WeakSecret(ValueError):
    """PALIGS_SECRET is too short or is the example's placeholder."""


def check_secret(secret: str) -> str:
    """The secret, or ``WeakSecret`` saying why it is refused and how to make one."""
    if secret.strip() == EXAMPLE_SECRET:
        raise WeakSecret(f"PALIGS_SECRET is the example's placeholder; make a secret with: {MAKE_A_SECRET}")
    if len(secret.strip()) < MIN_SECRET_CHARS:
        raise WeakSecret(f"PALIGS_SECRET is shorter than {MIN_SECRET_CHARS} characters; "
                         f"make a secret with: {MAKE_A_SECRET}")
    return secret.strip()


def create_secret_file(path: Path) -> None:
    """Write a fresh secret to ``path`` unless it exists: atomically, mode 0600.

    The secret is written and fsynced in a temporary file of the same folder, then linked to
    ``path``; of two processes starting at once one link wins and both read the winner.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".secret-{secrets.token_hex(8)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, secrets.token_hex(32).encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: its secret stands
    finally:
        temporary.unlink()


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
class Mail:
    """Mail intake (``python -m bot.mail``): the institution's mailbox read over IMAP; off without a URL."""

    imap_url: Optional[str]
    hourly_cap: int  # letters one address may have registered in any hour; more wait for staff
    attachment_max_bytes: int
    lease: float  # seconds a worker holds a letter it is handling
    poll: float  # seconds between looks when the server offers no IDLE
    crash_at: Optional[str] = None  # tests only: "fetched" or "registered" kills the worker there


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine's own ("localhost", 127.0.0.0/8, ::1,
    IPv4-mapped loopback): what may go unencrypted, or unauthenticated, because it never leaves."""
    if host.strip().lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def imap_problem(url: str) -> Optional[str]:
    """Why IMAP_URL cannot be used (English, for the operator), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        return "IMAP_URL must be imaps://user:password@host:993/INBOX"
    if not parts.username:
        return "IMAP_URL names no user (imaps://user:password@host:993/INBOX)"
    if parts.scheme == "imap" and not is_loopback(parts.hostname):
        return (f"IMAP_URL uses plain imap:// to {parts.hostname}: the password and the letters would cross the "
                "network unencrypted; use imaps:// (port 993), plain imap:// is only for a loopback host")
    return None


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
    mail: Mail
    profile_to: Optional[Path]
    open311_jurisdiction: str
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    address_flood_limit: int = 60
    registrations_per_address_per_hour: int = 10
    conversation_retention_days: int = 30
    closed_retention_days: int = 365
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

        Taken from PALIGS_SECRET (refused when short or the example's placeholder: ``WeakSecret``),
        else from a file in the data folder created on first use.
        """
        if self.secret_override:
            return check_secret(self.secret_override).encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            create_secret_file(path)
        return path.read_text().strip().encode()

    def derived_secret(self, purpose: str) -> str:
        """A secret for one purpose, derived from the server secret (never the secret itself)."""
        return derive(self.secret(), purpose)

    def actions_token(self) -> str:
        """The shared token every call to the action server carries (ACTIONS_TOKEN, else derived)."""
        return self.actions_token_override or self.derived_secret("action-server")

    @property
    def attachments_dir(self) -> Path:
        """Where files that came with letters are kept (content-addressed)."""
        return self.data_dir / "attachments"

    def rasa_variables(self) -> dict[str, str]:
        """What Rasa's ``endpoints.yml`` reads from the environment, resolved from these settings."""
        found = {
            "RASA_TELEMETRY_ENABLED": "false",  # no usage or crash reports leave the host
            "ACTIONS_URL": self.actions_url,
            "ACTIONS_TOKEN": self.actions_token(),
            "TRACKER_URL": self.tracker_url,
            # Sanic reads SANIC_* when Rasa creates its app: bodies over the cap are refused (413)
            # by their Content-Length before they are read.
            "SANIC_REQUEST_MAX_SIZE": str(MAX_BODY_BYTES),
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


def _words(value: Optional[str]) -> tuple[str, ...]:
    """A comma- or space-separated list."""
    return tuple(word for word in (value or "").replace(",", " ").split() if word)


def load() -> Settings:
    """Settings from the environment (see README, Configuration)."""
    env = os.environ
    data_dir = Path(env.get("PALIGS_DATA_DIR", ROOT / "data"))
    web_port = int(env.get("WEB_PORT", "8080"))
    log_dir = env.get("PALIGS_LOG_DIR")
    profile_to = env.get("PALIGS_PROFILE")
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'register.db'}",
        rasa_port=int(env.get("RASA_PORT", "5005")),
        actions_host=env.get("ACTIONS_HOST", "127.0.0.1"),
        actions_port=int(env.get("ACTIONS_PORT", "5055")),
        web_port=web_port,
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
        mail=Mail(
            imap_url=env.get("IMAP_URL") or None,
            hourly_cap=int(env.get("MAIL_HOURLY_CAP", "5")),
            attachment_max_bytes=int(float(env.get("MAIL_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024),
            lease=float(env.get("MAIL_LEASE_SECONDS", "120")),
            poll=float(env.get("MAIL_POLL_SECONDS", "30")),
            crash_at=env.get("PALIGS_MAIL_TEST_CRASH") or None,
        ),
        profile_to=Path(profile_to) if profile_to else None,
        open311_jurisdiction=env.get("OPEN311_JURISDICTION") or "priedaine.lv",
        trusted_proxies=_words(env.get("TRUSTED_PROXIES")),
        cors_origins=_words(env.get("CORS_ORIGINS")) or (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"),
        address_flood_limit=int(env.get("ADDRESS_FLOOD_LIMIT_PER_MINUTE", "60")),
        registrations_per_address_per_hour=int(env.get("REGISTRATIONS_PER_ADDRESS_PER_HOUR", "10")),
        conversation_retention_days=int(env.get("CONVERSATION_RETENTION_DAYS", "30")),
        closed_retention_days=int(env.get("CLOSED_RETENTION_DAYS", "365")),
        actions_url_override=env.get("ACTIONS_URL") or None,
        actions_token_override=env.get("ACTIONS_TOKEN") or None,
        tracker_url_override=env.get("TRACKER_URL") or None,
        # Checked here, so every process refuses a weak secret at start-up.
        secret_override=check_secret(env["PALIGS_SECRET"]) if env.get("PALIGS_SECRET") else None,
    )
