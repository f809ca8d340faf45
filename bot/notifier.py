"""The delivery worker: ``python -m bot.notifier`` sends the outbox's notifications.

It claims due notifications with a lease, sends each on its route (a Telegram message
through the Bot API, an e-mail through SMTP_URL) and records the attempt: sent, or retried
after an exponential back-off (or Telegram's own ``retry_after``), failed after
``MAX_ATTEMPTS``. SIGTERM lets the delivery in hand finish and be recorded first.
Settings: TELEGRAM_TOKEN / TELEGRAM_API_URL, SMTP_URL / SMTP_FROM, NOTIFIER_LEASE_SECONDS
(120), NOTIFIER_RETRY_SECONDS (30: the first back-off), NOTIFIER_POLL_SECONDS (2).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Optional, Protocol

from bot import logs
from bot.mail import Mailer
from bot.register import open_configured_register
from bot.register.outbox import PUSHED_ROUTES, Delivery, Outbox

logger = logging.getLogger("bot.notifier")
# Within the lease (no other worker takes a row still being sent) and within systemd's stop timeout.
SEND_TIMEOUT_SECONDS = 20


class DeliveryError(Exception):
    """A failed attempt; ``permanent`` when retrying cannot help, ``retry_after`` when the server said."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: Optional[float] = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None: ...


@dataclass(frozen=True)
class TelegramSender:
    """sendMessage through the Bot API (plain HTTP: one request, one answer)."""

    token: str
    api_url: str
    timeout: float

    def send(self, delivery: Delivery) -> None:
        body = json.dumps({"chat_id": int(delivery.address), "text": delivery.text}).encode()
        request = urllib.request.Request(f"{self.api_url}{self.token}/sendMessage", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if json.loads(answer.read()).get("ok"):
                    return
                raise DeliveryError("Telegram answered ok=false")
        except urllib.error.HTTPError as error:
            try:
                details = json.loads(error.read())
            except ValueError:
                details = {}
            retry_after = (details.get("parameters") or {}).get("retry_after")
            reason = f"Telegram HTTP {error.code}: {details.get('description', '')}"[:300]
            raise DeliveryError(reason, permanent=error.code in (400, 403), retry_after=retry_after) from error
        except (OSError, ValueError) as error:
            raise DeliveryError(f"Telegram unreachable: {error}") from error


@dataclass(frozen=True)
class EmailSender:
    mailer: Mailer

    def send(self, delivery: Delivery) -> None:
        try:
            self.mailer.send(delivery.address, f"Jūsu pieteikums {delivery.reference}", delivery.text)
        except (OSError, ValueError) as error:
            raise DeliveryError(f"SMTP: {error}") from error


class Notifier:
    """Claims, sends and records, until asked to stop."""

    def __init__(self, outbox: Outbox, senders: dict[str, Sender], lease: float, retry: float, poll: float) -> None:
        self.outbox, self.senders = outbox, senders
        self.lease, self.retry, self.poll = lease, retry, poll
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            claimed = self.outbox.claim(self.owner, tuple(self.senders), self.lease)
            for delivery in claimed:
                self.deliver(delivery)  # a stop request waits for the delivery in hand
            if not claimed:
                time.sleep(self.poll)

    def deliver(self, delivery: Delivery) -> None:
        try:
            if not delivery.address:
                raise DeliveryError("the delivery address cannot be read (was PALIGS_SECRET changed?)", permanent=True)
            self.senders[delivery.route].send(delivery)
        except DeliveryError as error:
            backoff = self.retry * 2 ** delivery.attempts
            wait = max(backoff, error.retry_after or 0)
            self.outbox.failed(delivery, self.owner, str(error), wait, permanent=error.permanent)
            logger.warning("Notification %s (%s, %s) attempt %d failed: %s", delivery.id, delivery.route,
                           delivery.reference, delivery.attempts + 1, error)
            return
        if self.outbox.sent(delivery, self.owner):
            logger.info("Notification %s (%s, %s) sent", delivery.id, delivery.route, delivery.reference)
        else:
            logger.error("Notification %s was sent after its lease ran out; another worker may send it too",
                         delivery.id)


def senders(lease: float) -> dict[str, Sender]:
    """A sender for every configured route; routes without one wait in the outbox."""
    found: dict[str, Sender] = {}
    token = os.environ.get("TELEGRAM_TOKEN")
    if token:
        api_url = os.environ.get("TELEGRAM_API_URL") or "https://api.telegram.org/bot"
        found["telegram"] = TelegramSender(token, api_url, timeout=min(lease / 2, SEND_TIMEOUT_SECONDS))
    mailer = Mailer.from_env()
    if mailer:
        found["email"] = EmailSender(mailer)
    return found


def main() -> None:
    logs.configure()
    lease = float(os.environ.get("NOTIFIER_LEASE_SECONDS", "120"))
    found = senders(lease)
    for route in PUSHED_ROUTES:
        if route not in found:
            logger.warning("No %s sender configured: such notifications wait in the outbox", route)
    notifier = Notifier(open_configured_register().outbox, found, lease,
                        retry=float(os.environ.get("NOTIFIER_RETRY_SECONDS", "30")),
                        poll=float(os.environ.get("NOTIFIER_POLL_SECONDS", "2")))

    def stop(_signum: int, _frame: object) -> None:
        notifier.stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    logger.info("Notifier %s delivering %s", notifier.owner, ", ".join(found) or "nothing")
    notifier.run()


if __name__ == "__main__":
    main()
