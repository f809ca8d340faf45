"""Informing the applicant: the outbox's notifications reach the citizen's channel exactly once.

"Exactly once" here means: every notification is accepted by Telegram (or the SMTP server)
once, through retries, a refused send and a worker killed while Telegram still held its
request. The one case no outbox closes (a worker killed after Telegram accepted a message
but before the row was marked sent) is described in the README.
"""
from __future__ import annotations

import itertools
import subprocess
import sys
import time
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.register.schema import notifications, registrations
from tests.conftest import ROOT
from tests.e2e.conftest import REFERENCE, Stack, free_port
from tests.e2e.fake_telegram import FakeBotApi
from tests.e2e.test_staff import staff_member, staff_tg  # noqa: F401 (fixtures)
from tests.e2e.test_telegram import TelegramUser, wait_until

LEASE_SECONDS = 4
_chats = itertools.count(880001)


class Mailbox:
    """aiosmtpd handler: keeps every message the local SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@contextmanager
def notifier(stack: Stack, smtp_port: int = 0) -> Iterator[subprocess.Popen]:
    """A delivery worker (``python -m bot.notifier``) with short leases and back-offs."""
    env = {**stack.env, "NOTIFIER_LEASE_SECONDS": str(LEASE_SECONDS), "NOTIFIER_RETRY_SECONDS": "0.5",
           "NOTIFIER_POLL_SECONDS": "0.2"}
    if smtp_port:
        env["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    log = open(Path(stack.env["PALIGS_DATA_DIR"]) / "notifier.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "bot.notifier"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=60)


def telegram_registration(stack: Stack, chat_id: int) -> str:
    registration, _ = stack.register.create(kind="complaint", kind_predicted="complaint", channel="telegram",
                                            text="Pagalmā nav izvesti atkritumi", sender_id=str(chat_id),
                                            delivery={"telegram": str(chat_id)})
    return registration.reference


def notification_rows(stack: Stack, reference: str) -> list:
    with stack.register.engine.connect() as conn:
        return conn.execute(select(notifications).join(registrations).where(registrations.c.reference == reference)
                            .order_by(notifications.c.id)).all()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_staff_decide_with_a_note_and_the_telegram_citizen_is_told(
    stack: Stack, telegram_api: FakeBotApi, staff_tg: TelegramUser  # noqa: F811
) -> None:
    citizen = TelegramUser(stack, telegram_api)
    question = citizen.say("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma, esmu neapmierināta")[-1]
    consent = citizen.press(question, "Jā")[-1]
    reference = REFERENCE.search(citizen.press(consent, "Nē")[0]["text"]).group(0)
    with stack.register.engine.connect() as conn:
        sealed = conn.execute(select(registrations.c.delivery_address)
                              .where(registrations.c.reference == reference)).scalar_one()
    assert sealed and str(citizen.id) not in sealed, "the chat id is stored, encrypted"

    told_before = len(telegram_api.sent(citizen.id))
    with notifier(stack):
        staff_tg.say(f"mainīt {reference} uz lēmums pieņemts")
        confirm = staff_tg.say("Atkritumus izvedīs rīt līdz plkst. 12")
        assert "Saglabāts" in texts(staff_tg.press(confirm[-1], "Jā, mainīt"))
        wait_until(lambda: len(telegram_api.sent(citizen.id)) > told_before, timeout=30)
        news = telegram_api.sent(citizen.id)[told_before]["text"]
        assert reference in news and "lēmums pieņemts" in news and "Atkritumus izvedīs rīt līdz plkst. 12" in news
        assert f"statuss {reference}" in news

        noted = texts(staff_tg.say(f"piezīme iedzīvotājam {reference}: Konteineru nomainīsim arī pret jaunu"))
        assert "tiks nosūtīta iedzīvotājam" in noted
        wait_until(lambda: len(telegram_api.sent(citizen.id)) > told_before + 1, timeout=30)
        assert "Konteineru nomainīsim" in telegram_api.sent(citizen.id)[-1]["text"]
    card = texts(staff_tg.say(reference))
    assert "piezīme iedzīvotājam – “Konteineru nomainīsim" in card
    assert card.count("Telegram: nosūtīts") == 2
    time.sleep(1)
    assert len(telegram_api.sent(citizen.id)) == told_before + 2, "each notification once"

    # The citizen answers the notification naming the reference: it joins that registration.
    reply = texts(citizen.say(f"Paldies par ziņu par {reference}, bet pagalmā joprojām stāv divi pilni konteineri"))
    assert "pievienoju pieteikumam" in reply and "statuss" in reply, reply
    added = stack.register.applicant_messages(reference)
    assert [m["text"] for m in added][-1].endswith("joprojām stāv divi pilni konteineri")
    assert "joprojām stāv divi pilni konteineri" in texts(staff_tg.say(reference)), "staff see it on the card"
    assert stack.register.latest_of_sender("telegram", str(citizen.id)).reference == reference, "not registered anew"
    status_only = texts(citizen.say(f"Kāds ir {reference} statuss?"))
    assert "pievienoju" not in status_only and len(stack.register.applicant_messages(reference)) == len(added)


def test_two_refused_sends_are_retried_and_it_arrives_once(stack: Stack, telegram_api: FakeBotApi) -> None:
    chat = next(_chats)
    reference = telegram_registration(stack, chat)
    telegram_api.fail_next(chat, 1, status=500)
    telegram_api.fail_next(chat, 1, status=429)
    with notifier(stack):
        stack.register.change_status(reference, "decided", "Ilze Ozola", "Lēmums: konteiners tiks nomainīts")
        wait_until(lambda: telegram_api.sent(chat), timeout=30)
        time.sleep(2)
    assert len(telegram_api.sent(chat)) == 1
    (row,) = notification_rows(stack, reference)
    assert (row.state, row.attempts, row.address) == ("sent", 3, None)


def test_a_notification_that_keeps_failing_is_shown_failed_on_the_card(
    stack: Stack, telegram_api: FakeBotApi, staff_tg: TelegramUser  # noqa: F811
) -> None:
    chat = next(_chats)
    reference = telegram_registration(stack, chat)
    telegram_api.fail_next(chat, 10, status=500)
    with notifier(stack):
        stack.register.change_status(reference, "decided", "Ilze Ozola", "Lēmums")
        wait_until(lambda: notification_rows(stack, reference)[0].state == "failed", timeout=60)
    assert telegram_api.sent(chat) == []
    assert "Telegram: NEIZDEVĀS pēc 5 mēģinājumiem" in texts(staff_tg.say(reference))
    telegram_api.failures[chat].clear()


def test_a_worker_killed_while_telegram_holds_the_send_is_restarted_and_sends_once(
    stack: Stack, telegram_api: FakeBotApi
) -> None:
    chat = next(_chats)
    reference = telegram_registration(stack, chat)
    telegram_api.delay_next(chat, 8)  # Telegram holds the first send 8 s before accepting it
    with notifier(stack) as first:
        stack.register.change_status(reference, "decided", "Ilze Ozola", "Lēmums: remontdarbi maijā")
        wait_until(lambda: any(int(p["chat_id"]) == chat for p in telegram_api.in_flight), timeout=30)
        held_at = time.monotonic()
        first.kill()  # SIGKILL while waiting for Telegram's answer: nothing recorded
        first.wait()
    assert notification_rows(stack, reference)[0].state == "pending"
    with notifier(stack):
        wait_until(lambda: telegram_api.sent(chat), timeout=30)
        assert time.monotonic() - held_at >= LEASE_SECONDS - 1, "the restarted worker waited for the lease"
        wait_until(lambda: any(int(p["chat_id"]) == chat for p in telegram_api.abandoned), timeout=30)
        time.sleep(2)
    assert len(telegram_api.sent(chat)) == 1, "delivered once: the killed worker's send was never accepted"
    (row,) = notification_rows(stack, reference)
    assert (row.state, row.attempts) == ("sent", 1)


def test_a_consented_email_reaches_the_smtp_server(stack: Stack, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    chat = stack.chat()
    chat.say("Ierosinu bibliotēkā ieviest darba laiku arī svētdienās, tas būtu ērti strādājošajiem")
    chat.say("/affirm")
    chat.text("jā")
    reference = REFERENCE.search(chat.text("liene.kalna@example.lv")).group(0)
    with notifier(stack, smtp_port=port):
        stack.register.change_status(reference, "decided", "Ilze Ozola", "Svētdienās bibliotēka būs atvērta no jūnija")
        wait_until(lambda: any(reference in mail["Subject"] for _, mail in box.messages), timeout=30)
    (recipients, mail), = [(r, m) for r, m in box.messages if reference in m["Subject"]]
    body = mail.get_content()
    assert recipients == ["liene.kalna@example.lv"] and mail["Subject"] == f"Jūsu pieteikums {reference}"
    assert "lēmums pieņemts" in body and "Svētdienās bibliotēka būs atvērta no jūnija" in body
    assert notification_rows(stack, reference)[0].state == "sent"
