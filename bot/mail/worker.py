"""The mail intake worker: ``python -m bot.mail [model]`` reads the mailbox IMAP_URL names.

Each letter not yet handled is fetched, handled (``bot.mail.intake``) and marked; then the
worker waits for new mail (IMAP IDLE, or every MAIL_POLL_SECONDS). A lost connection is
opened again after a pause; a letter whose handling failed (the register or the mail
server unreachable) stays unmarked and is tried again. SIGTERM lets the letter in hand
finish first. Several workers may read one mailbox: each letter is handled by one.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

from bot import logs, settings
from bot.mail.classify import Classifier
from bot.mail.intake import Intake, Policy
from bot.mail.mailbox import Mailbox
from bot.notifier.email import Mailer
from bot.register import open_configured_register

logger = logging.getLogger("bot.mail")
RECONNECT_SECONDS = 5
DEFAULT_MODEL = settings.ROOT / "models" / "paligs.tar.gz"


class Worker:
    def __init__(self, mailbox: Mailbox, intake: Intake, poll: float) -> None:
        self.mailbox, self.intake, self.poll = mailbox, intake, poll
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            try:
                self.mailbox.connect()
                logger.info("Reading %s on %s (%s, %s)", self.mailbox.folder, self.mailbox.host,
                            "IDLE" if self.mailbox.idle else f"polling every {self.poll:g} s",
                            "keyword $Paligs" if self.mailbox.keywords else "by \\Seen")
                while not self.stopping:
                    failed = self.round()
                    if failed:
                        self._pause(self.poll)
                    else:
                        self.mailbox.wait(self.poll, lambda: self.stopping)
            except Exception as error:  # connection lost, server restarted: open it again
                logger.warning("Mailbox: %s: %s; again in %d s", type(error).__name__, error, RECONNECT_SECONDS)
                self._pause(RECONNECT_SECONDS)
            finally:
                self.mailbox.close()

    def round(self) -> int:
        """Handle every pending letter once; how many failed."""
        failed = 0
        for uid in self.mailbox.pending():
            if self.stopping:
                break
            raw = self.mailbox.fetch(uid)
            if raw is None:
                continue
            try:
                outcome = self.intake.handle(raw)
            except Exception:
                logger.exception("Letter UID %s could not be handled; it stays in the mailbox and is tried again", uid)
                failed += 1
                continue
            if outcome is not None:
                self.mailbox.mark(uid, outcome)
        return failed

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)


def main() -> int:
    config = settings.load()
    logs.configure(config)
    mail = config.mail
    if not mail.imap_url:
        print("Mail intake is off: IMAP_URL is not set.", file=sys.stderr)
        return 2
    problem = settings.imap_problem(mail.imap_url)
    if problem:
        print(f"Mail intake cannot start: {problem}.", file=sys.stderr)
        return 2
    mailer = Mailer.configured(config)
    if mailer is None:
        logger.warning("SMTP_URL is not set: letters are registered but not answered")
    mailbox = Mailbox(mail.imap_url)
    own = {address for address in (mailer.address if mailer else "", mailbox.user.lower()) if "@" in address}
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_MODEL
    classifier = Classifier(model)
    policy = Policy(frozenset(own), mail.hourly_cap, mail.attachment_max_bytes, config.attachments_dir,
                    mail.lease, mail.crash_at)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    worker = Worker(mailbox, Intake(open_configured_register(), classifier.classify, mailer, policy, owner), mail.poll)

    def stop(_signum: int, _frame: object) -> None:
        worker.stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    logger.info("Mail intake %s ready (model %s)", owner, model.name)
    worker.run()
    return 0
