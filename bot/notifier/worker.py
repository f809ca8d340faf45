"""The delivery worker: ``python -m bot.notifier`` sends the outbox's notifications.

It claims due notifications with a lease, sends each on its route (``bot.notifier.telegram``,
``bot.notifier.email``) and records the attempt: sent, or retried after an exponential
back-off (or Telegram's own ``retry_after``), failed after ``MAX_ATTEMPTS``. SIGTERM lets the
delivery in hand finish and be recorded first. Settings: TELEGRAM_TOKEN / TELEGRAM_API_URL,
SMTP_URL / SMTP_FROM, NOTIFIER_LEASE_SECONDS (120), NOTIFIER_RETRY_SECONDS (30: the first
back-off), NOTIFIER_POLL_SECONDS (2).
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import time
import uuid
from typing import Optional

from bot import logs, settings
from bot.notifier.delivery import DeliveryError, Sender
from bot.notifier.email import EmailSender, Mailer
from bot.notifier.telegram import TelegramSender
from bot.register import Register, open_configured_register
from bot.register.outbox import PUSHED_ROUTES, Delivery, Outbox

logger = logging.getLogger("bot.notifier")
# Within the lease (no other worker takes a row still being sent) and within systemd's stop timeout.
SEND_TIMEOUT_SECONDS = 20


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


def senders(config: settings.Settings, register: Optional[Register] = None) -> dict[str, Sender]:
    """A sender for every configured route; routes without one wait in the outbox.

    With the register, the Message-ID of every e-mail sent is kept (a reply finds its registration).
    """
    found: dict[str, Sender] = {}
    if config.telegram.token:
        timeout = min(config.notifier.lease / 2, SEND_TIMEOUT_SECONDS)
        found["telegram"] = TelegramSender(config.telegram.token, config.telegram.api_url, timeout=timeout)
    mailer = Mailer.configured(config)
    if mailer:
        found["email"] = EmailSender(mailer, register.mail.remember_sent if register else None)
    return found


def main() -> None:
    config = settings.load()
    logs.configure(config)
    register = open_configured_register()
    found = senders(config, register)
    for route in PUSHED_ROUTES:
        if route not in found:
            logger.warning("No %s sender configured: such notifications wait in the outbox", route)
    timings = config.notifier
    notifier = Notifier(register.outbox, found, timings.lease, retry=timings.retry, poll=timings.poll)

    def stop(_signum: int, _frame: object) -> None:
        notifier.stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    logger.info("Notifier %s delivering %s", notifier.owner, ", ".join(found) or "nothing")
    notifier.run()
