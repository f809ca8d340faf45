"""E-mail through SMTP: ``SMTP_URL`` (``smtp://user:pass@host:port``, or ``smtps://`` for TLS
from the start; plain ``smtp://`` upgrades with STARTTLS when the server offers it)."""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Optional
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Mailer:
    url: str
    sender: str

    @classmethod
    def from_env(cls) -> Optional["Mailer"]:
        """The configured mailer, or None when SMTP_URL is unset (e-mail off)."""
        url = os.environ.get("SMTP_URL")
        return cls(url, os.environ.get("SMTP_FROM") or "Palīgs <paligs@localhost>") if url else None

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
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
