"""E-mail route: the notification as an e-mail through SMTP.

``SMTP_URL`` (``smtp://user:pass@host:port``, or ``smtps://`` for TLS from the start; plain
``smtp://`` must upgrade with STARTTLS, and a server that does not offer it is refused, except
on this host's loopback) and ``SMTP_FROM``. Certificates are verified.
"""
from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Optional
from urllib.parse import unquote, urlsplit

from bot.notifier.delivery import DeliveryError
from bot.register.outbox import Delivery
from bot.settings import Settings

TIMEOUT_SECONDS = 20
NO_STARTTLS = "the SMTP server does not offer STARTTLS; refusing to send in clear text (use smtps:// or enable STARTTLS)"


def plain_text_allowed(host: str) -> bool:
    """Only a loopback host may take mail without TLS (nothing leaves the machine)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Mailer:
    url: str
    sender: str

    @classmethod
    def configured(cls, config: Settings) -> Optional["Mailer"]:
        """The configured mailer, or None when SMTP_URL is unset (e-mail off)."""
        return cls(config.smtp_url, config.smtp_from) if config.smtp_url else None

    def send(self, to: str, subject: str, body: str) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
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


@dataclass(frozen=True)
class EmailSender:
    mailer: Mailer

    def send(self, delivery: Delivery) -> None:
        try:
            self.mailer.send(delivery.address, f"Jūsu pieteikums {delivery.reference}", delivery.text)
        except (OSError, ValueError) as error:
            raise DeliveryError(f"SMTP: {error}") from error
