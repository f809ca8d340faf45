"""What becomes of one letter: registered and answered, added to a registration it replies
to, held for staff (over the hourly cap), or not registered (written by a machine, or our own).

Exactly once: the letter's key (the keyed hash of its Message-ID, else of its bytes) is
claimed in the register before anything is done and is the registration's submission key;
a second worker, or a worker restarted after a kill, finds the registration stored the first
time and the answer already sent.
"""
from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from bot.mail import answers
from bot.mail.classify import Verdict
from bot.mail.letters import Letter, parse_letter
from bot.notifier.email import Mailer
from bot.register import Register, parse_reference
from bot.register.attachments import IncomingFile
from bot.register.mail import MAIL_CHANNEL
from bot.register.queries import deadline
from knowledge_base.catalogue import load_catalogue

logger = logging.getLogger("bot.mail")
CHANNEL = MAIL_CHANNEL
NO_TEXT = "(vēstule bez teksta)"
ORIGINAL_NAME = "oriģinālā-vēstule.eml"


@dataclass(frozen=True)
class Policy:
    """Limits and hooks of one intake process."""

    own_addresses: frozenset[str]
    hourly_cap: int
    attachment_max_bytes: int
    attachments_folder: Path
    lease: float
    crash_at: Optional[str] = None  # tests only: "fetched" | "registered"


class Intake:
    """Handles letters one by one; ``handle`` returns the outcome, or None when another worker has it."""

    def __init__(self, register: Register, classify: Callable[[str], Verdict], mailer: Optional[Mailer],
                 policy: Policy, owner: str) -> None:
        self.register, self.classify, self.mailer = register, classify, mailer
        self.policy, self.owner = policy, owner

    def key(self, letter: Letter) -> str:
        return self.register.mail.message_id_hash(letter.message_id or f"raw:{letter.raw_digest}")

    def handle(self, raw: bytes) -> Optional[str]:
        letter = parse_letter(raw)
        self._crash_if("fetched")
        key = self.key(letter)
        claim = self.register.mail.claim(key, letter.sender, self.owner, self.policy.lease)
        if claim.state == "busy":
            return None
        if claim.state == "done":
            return claim.outcome
        outcome, registration_id = self._decide(letter, key, raw)
        self.register.mail.finish(key, self.owner, outcome, registration_id)
        logger.info("Letter %s…: %s", key[:12], outcome)
        return outcome

    def _decide(self, letter: Letter, key: str, raw: bytes) -> tuple[str, Optional[int]]:
        if letter.automatic or (letter.sender and letter.sender in self.policy.own_addresses):
            logger.info("Letter %s… not registered: %s", key[:12], letter.automatic or "sent from our own address")
            return "ignored", None
        reference = self._replied_registration(letter)
        if reference:
            self.register.add_applicant_message(reference, letter.text or letter.topic or NO_TEXT, CHANNEL,
                                                sender=letter.sender or None, subject=letter.subject, source_key=key)
            self._answer(key, letter, reference, *answers.added(reference))
            return "reply", self.register.registration_id(reference)
        if letter.sender and self.register.mail.registered_within_hour(letter.sender) > self.policy.hourly_cap:
            if not self.register.mail.held_answered_within_hour(letter.sender):
                self._answer(key, letter, None, *answers.held(self.policy.hourly_cap))
            return "held", None
        return "registered", self._register(letter, key, raw)

    def _replied_registration(self, letter: Letter) -> Optional[str]:
        """The registration a reply belongs to: by the Message-IDs it names, else by a reference in its subject."""
        found = self.register.mail.reference_replied_to(letter.replied_to)
        if found:
            return found
        named = parse_reference(letter.subject)
        return named if named and self.register.find(named) else None

    def _register(self, letter: Letter, key: str, raw: bytes) -> int:
        verdict = self.classify(letter.for_classifier)
        damaged = bool(letter.defects)
        registration, access_code = self.register.create(
            kind=verdict.kind, kind_predicted=verdict.kind, text=letter.text or letter.topic or NO_TEXT,
            channel=CHANNEL, sender_id=letter.sender or key, service_id=verdict.service_id,
            contact=letter.sender or None, submission_key=key,
            delivery={"email": letter.sender} if letter.sender else {}, subject=letter.subject,
            kind_unsure=verdict.unsure or damaged,
        )
        original = (IncomingFile(ORIGINAL_NAME, "message/rfc822", raw),) if damaged else ()
        self.register.attachments.keep(registration.reference, [*letter.attachments, *original], self.policy.attachments_folder,
                                       self.policy.attachment_max_bytes)
        self._crash_if("registered")
        catalogue = load_catalogue()
        service = catalogue.get(verdict.service_id) if verdict.service_id else None
        too_large = [f.filename for f in letter.attachments if len(f.data) > self.policy.attachment_max_bytes]
        subject, text = answers.registered(registration, access_code, deadline(registration, catalogue.handling_days),
                                           service.name if service else None, letter.attachments, too_large, damaged)
        self._answer(key, letter, registration.reference, subject, text)
        registration_id = self.register.registration_id(registration.reference)
        assert registration_id is not None
        return registration_id

    def _answer(self, key: str, letter: Letter, reference: Optional[str], subject: str, text: str) -> None:
        """Send the answer once: not again when a restarted worker handles the letter anew."""
        if not self.mailer or not letter.sender or self.register.mail.was_answered(key):
            return
        message_id = self.mailer.send(letter.sender, subject, text, replying_to=letter.message_id,
                                      automatic="auto-replied")
        self.register.mail.mark_answered(key)
        if reference:
            self.register.mail.remember_sent(reference, message_id)

    def _crash_if(self, point: str) -> None:
        if self.policy.crash_at == point:
            logger.warning("Test hook PALIGS_MAIL_TEST_CRASH=%s: killing this worker", point)
            os.kill(os.getpid(), signal.SIGKILL)
