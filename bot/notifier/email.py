"""E-mail route: the notification as an e-mail through SMTP.

``SMTP_URL`` (``smtp://user:pass@host:port``, or ``smtps://`` for TLS from the start; plain
``smtp://`` must upgrade with STARTTLS, and a server that does not offer it is refused, except
on this host's loopback) and ``SMTP_FROM``. Certificates are verified.
Every e-mail gets a Message-ID of our own, which ``send`` returns: kept in the register, it links
a citizen's reply to the registration (mail intake, ``bot.mail``).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Callable, Optional
from urllib.parse import unquote, urlsplit

from bot.notifier.delivery import DeliveryError
from bot.register.outbox import Delivery
from bot.settings import Settings, is_loopback

TIMEOUT_SECONDS = 20
NO_STARTTLS = "the SMTP server does not offer STARTTLS; refusing to send in clear text (use smtps:// or enable STARTTLS)"


def plain_text_allowed(host: str) -> bool:
    """Only a loopback host may take mail without TLS (nothing leaves the machine)."""
    return is_loopback(host)


@dataclass(frozen=True)
class Mailer:
    url: str
    sender: str

    @classmethod
    def configured(cls, config: Settings) -> Optional["Mailer"]:
        """The configured mailer, or None when SMTP_URL is unset (e-mail off)."""
        return cls(config.smtp_url, config.smtp_from) if config.smtp_url else None

    @property
    def address(self) -> str:
        """The bare address of SMTP_FROM, lower case."""
        return parseaddr(self.sender)[1].lower()

    def send(self, to: str, subject: str, body: str, *, replying_to: Optional[str] = None,
             references: tuple[str, ...] = (), automatic: str = "auto-generated") -> str:
        """Send a plain-text e-mail; its Message-ID.

        ``replying_to`` (a Message-ID) threads it as an answer; ``automatic`` is its
        Auto-Submitted value (RFC 3834), which keeps other robots from answering it.
        """
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message_id = make_msgid(domain=self.address.partition("@")[2] or "localhost")
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = automatic
        if replying_to:
            message["In-Reply-To"] = replying_to
            message["References"] = " ".join((*references, replying_to))
        message.set_content(body)
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=TIMEOUT_SECONDS,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            elif parts.scheme == "smtp" and not plain_text_allowed(parts.hostname):
                raise ValueError(NO_STARTTLS)
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
        return message_id


@dataclass(frozen=True)
class EmailSender:
    """Notifications as e-mails; ``remember(reference, message_id)`` keeps what was sent."""

    mailer: Mailer
    remember: Optional[Callable[[str, str], None]] = None

    def send(self, delivery: Delivery) -> None:
        try:
            message_id = self.mailer.send(delivery.address, f"Jūsu pieteikums {delivery.reference}", delivery.text)
        except (OSError, ValueError) as error:
            raise DeliveryError(f"SMTP: {error}") from error
        if self.remember:
            self.remember(delivery.reference, message_id)
