"""Mail intake end to end: letters appended to a real Dovecot mailbox are registered once,
classified by the trained model and answered through a local SMTP server; replies join their
registration; machines' letters are not registered; a killed or a second worker changes nothing.

The worker (``python -m bot.mail``) runs as in production, against the register, the IMAP
server and the SMTP server; only the clock of its leases is short.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path
from typing import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from sqlalchemy import select

from bot.ops.ports import free_port
from bot.register import Register, migrate, open_register
from bot.register.schema import mail_letters, registrations
from tests.conftest import MODEL, ROOT
from tests.e2e.conftest import ACCESS_CODE
from tests.e2e.dovecot import Dovecot

SECRET = "mail-test-secret-0123456789abcdef0123456789"
MAILBOX_USER = "pasts@iestade.lv"
BOT_FROM = "Palīgs <paligs@iestade.lv>"
HOURLY_CAP = 3
LEASE_SECONDS = 3
ATTACHMENT_MAX_MB = 10

COMPLAINT = ("Labdien! Jau trešo nedēļu mūsu ielā nav izvesti atkritumi, un neviens neatbild uz zvaniem. "
             "Esmu ļoti neapmierināta ar jūsu darbu.")
SUGGESTION = "Ierosinu pie skolas uzstādīt velosipēdu novietni, jo bērni tagad atstāj riteņus pie žoga."
SERVICE_REQUEST = "Lūdzu izsniegt izziņu par deklarēto dzīvesvietu, tā man vajadzīga bankai."


@dataclass
class Outbox:
    """aiosmtpd handler: every answer the worker sends, with the time it arrived."""

    received: list[tuple[float, str, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        for to in envelope.rcpt_tos:
            self.received.append((time.monotonic(), to.lower(), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for _, to, message in self.received if to == address]

    def wait(self, address: str, count: int = 1, timeout: float = 120) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.to(address)) >= count:
                return self.to(address)
            time.sleep(0.1)
        raise TimeoutError(f"{count} answer(s) to {address}: got {len(self.to(address))}")

    def arrival(self, address: str) -> float:
        return next(at for at, to, _ in self.received if to == address)


@dataclass
class Setting:
    """Everything the workers share: the register, the mailbox and the answers."""

    register: Register
    dovecot: Dovecot
    outbox: Outbox
    env: dict
    data_dir: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def imap(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.dovecot.port, ssl=False)
        client.login(self.dovecot.user, self.dovecot.password)
        client.select_folder("INBOX")
        return client

    def append(self, letter: EmailMessage | bytes) -> float:
        """Deliver a letter into the mailbox (IMAP APPEND); when it arrived."""
        data = letter if isinstance(letter, bytes) else letter.as_bytes(policy=policy.SMTP)
        client = self.imap()
        try:
            client.append("INBOX", data)
        finally:
            client.logout()
        return time.monotonic()

    def start_worker(self, **extra: str) -> subprocess.Popen:
        log = open(self.data_dir / "mail.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "bot.mail", str(MODEL)], cwd=ROOT,
                                   env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            process.wait(timeout=60)
        self.workers.clear()

    def registrations_of(self, sender: str) -> list:
        with self.register.engine.connect() as conn:
            rows = conn.execute(select(registrations)
                                .where(registrations.c.sender_hash == self.register.sender_hash("e-pasts", sender))
                                .order_by(registrations.c.id)).all()
        return [self.register.find(row.reference) for row in rows]

    def flags(self) -> dict[str, set]:
        """Each letter's flags in the mailbox, by Message-ID."""
        client = self.imap()
        try:
            found = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        finally:
            client.logout()
        result = {}
        for data in found.values():
            header = data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[-1].strip()
            result[header] = {flag.decode() for flag in data[b"FLAGS"]}
        return result


def wait_until(check: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(what)


def letter(sender: str, subject: str, text: str, charset: str = "utf-8", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, MAILBOX_USER, subject
    message["Message-ID"] = make_msgid(domain="iedzivotajs.lv")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text, charset=charset)
    return message


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run the tests with `make test`.")
    data_dir = tmp_path_factory.mktemp("mail-data")
    database_url = f"sqlite:///{data_dir / 'register.db'}"
    migrate.upgrade(database_url)
    # Dovecot's own users must reach its folder: not under pytest's private (0700) temporary folder
    dovecot_root = Path(tempfile.mkdtemp(prefix="paligs-dovecot-"))
    dovecot = Dovecot(dovecot_root, free_port(), MAILBOX_USER, "slepena-parole")
    dovecot.start()
    outbox, smtp_port = Outbox(), free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {**os.environ, "PALIGS_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "PALIGS_SECRET": SECRET,
           "IMAP_URL": dovecot.url, "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "SMTP_FROM": BOT_FROM,
           "MAIL_HOURLY_CAP": str(HOURLY_CAP), "MAIL_LEASE_SECONDS": str(LEASE_SECONDS),
           "MAIL_ATTACHMENT_MAX_MB": str(ATTACHMENT_MAX_MB), "MAIL_POLL_SECONDS": "5",
           "TF_CPP_MIN_LOG_LEVEL": "2", "LOG_LEVEL": "INFO"}
    setting = Setting(open_register(database_url, SECRET.encode()), dovecot, outbox, env, data_dir)
    try:
        yield setting
    finally:
        setting.stop_workers()
        controller.stop()
        dovecot.stop()
        shutil.rmtree(dovecot_root, ignore_errors=True)


@pytest.fixture(scope="module")
def worker(mail: Setting) -> Setting:
    """One worker reading the mailbox (started once; the kill test stops it)."""
    mail.start_worker()
    return mail


def card_of(mail: Setting, reference: str) -> str:
    from actions.staff import card

    registration = mail.register.find(reference)
    assert registration is not None
    return card(registration, mail.register.history(reference), date.today(),
                mail.register.outbox.of_registration(reference),
                mail.register.attachments.of_registration(reference), mail.register.applicant_messages(reference))


def test_a_complaint_a_suggestion_and_a_request_are_registered_and_answered(worker: Setting) -> None:
    cases = [("anna@iedzivotajs.lv", "Atkritumi", COMPLAINT, "complaint", "sūdzība"),
             ("peteris@iedzivotajs.lv", "Priekšlikums skolai", SUGGESTION, "suggestion", "ierosinājums"),
             ("liga@iedzivotajs.lv", "Izziņa", SERVICE_REQUEST, "service_request", "pakalpojuma pieprasījums")]
    appended = {}
    for sender, subject, text, _, _ in cases:
        appended[sender] = worker.append(letter(sender, subject, text))
    timings = []
    for sender, subject, text, kind, kind_name in cases:
        answer = worker.outbox.wait(sender, timeout=180)[0]
        timings.append(worker.outbox.arrival(sender) - appended[sender])
        registered = worker.registrations_of(sender)
        assert [r.kind for r in registered] == [kind] and registered[0].channel == "e-pasts"
        assert registered[0].subject == subject and not registered[0].kind_unsure
        body = answer.get_content()
        assert registered[0].reference in answer["Subject"] and registered[0].reference in body
        assert f"Veids: {kind_name}" in body and ACCESS_CODE.search(body) and re.search(r"līdz \d\d\.\d\d\.\d{4}", body)
        assert "atbildiet uz šo e-pastu" in body and answer["Auto-Submitted"] == "auto-replied"
        assert worker.register.access_code_matches(registered[0], ACCESS_CODE.search(body).group(1))
    print(f"\nletter appended -> answer received: {', '.join(f'{t:.2f} s' for t in timings)} "
          "(the first includes the worker's start-up)")


def test_the_answer_comes_within_ten_seconds_of_the_letter(worker: Setting) -> None:
    timings = []
    for n in range(3):
        sender = f"atri{n}@iedzivotajs.lv"
        appended = worker.append(letter(sender, "Ielu apgaismojums", COMPLAINT))
        worker.outbox.wait(sender, timeout=60)
        timings.append(worker.outbox.arrival(sender) - appended)
    print(f"\nletter appended -> answer received (worker idle in IMAP IDLE): "
          f"{', '.join(f'{t:.2f} s' for t in timings)}")
    assert max(timings) < 10


def test_an_html_only_letter_and_a_windows_1257_letter_are_read(worker: Setting) -> None:
    html = EmailMessage()
    html["From"], html["To"], html["Subject"] = "html@iedzivotajs.lv", MAILBOX_USER, "Soliņi parkā"
    html["Message-ID"] = make_msgid(domain="iedzivotajs.lv")
    html.set_content("<html><body><p>Labdien!</p><p>Ierosinu&nbsp;parkā uzstādīt vairāk <b>soliņu</b>, jo "
                     "vecāka gadagājuma cilvēkiem nav kur atpūsties.</p><div class=\"gmail_quote\">"
                     "<blockquote>Iepriekšējā vēstule</blockquote></div></body></html>", subtype="html")
    worker.append(html)
    body = ("Jau mēnesi ceļš pie mājas ir izbraukts, bedres ir dziļas, un neviens neko nedara. Esmu sašutis.\r\n"
            "\r\n-- \r\nJānis Bērziņš, tālr. 20000000\r\n")
    raw = (b"From: baltic@iedzivotajs.lv\r\nTo: pasts@iestade.lv\r\n"
           b"Subject: =?windows-1257?Q?S=FBdz=EEba_par_ce=EFu?=\r\n"
           b"Message-ID: <cp1257-1@iedzivotajs.lv>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=windows-1257\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + body.encode("cp1257"))
    worker.append(raw)
    worker.outbox.wait("html@iedzivotajs.lv")
    worker.outbox.wait("baltic@iedzivotajs.lv")
    [from_html] = worker.registrations_of("html@iedzivotajs.lv")
    assert "Ierosinu parkā uzstādīt vairāk soliņu" in from_html.text
    assert "<" not in from_html.text and "Iepriekšējā" not in from_html.text
    [from_baltic] = worker.registrations_of("baltic@iedzivotajs.lv")
    assert "Jau mēnesi ceļš pie mājas ir izbraukts" in from_baltic.text and from_baltic.subject == "Sūdzība par ceļu"
    assert "Bērziņš" not in from_baltic.text  # the signature is not the letter
    assert from_baltic.kind == "complaint"


def test_replies_join_their_registration_and_are_not_registered_anew(worker: Setting) -> None:
    [registered] = worker.registrations_of("anna@iedzivotajs.lv")
    answer = worker.outbox.to("anna@iedzivotajs.lv")[0]
    reply = letter("anna@iedzivotajs.lv", f"Re: {answer['Subject']}",
                   "Paldies. Vēl piebildīšu, ka konteineri stāv pie 5. mājas.\n\n"
                   "2026. gada 1. dec. Palīgs <paligs@iestade.lv> rakstīja:\n> Paldies par vēstuli.",
                   In_Reply_To=answer["Message-ID"])
    worker.append(reply)
    by_subject = letter("cits@iedzivotajs.lv", f"Papildinājums {registered.reference}",
                        "Es esmu Annas kaimiņš, un arī pie mums atkritumi nav izvesti.")
    worker.append(by_subject)
    worker.outbox.wait("anna@iedzivotajs.lv", count=2)
    worker.outbox.wait("cits@iedzivotajs.lv")
    assert worker.registrations_of("anna@iedzivotajs.lv") == [worker.register.find(registered.reference)]
    assert worker.registrations_of("cits@iedzivotajs.lv") == []
    messages = worker.register.applicant_messages(registered.reference)
    assert [m["text"] for m in messages] == ["Paldies. Vēl piebildīšu, ka konteineri stāv pie 5. mājas.",
                                             "Es esmu Annas kaimiņš, un arī pie mums atkritumi nav izvesti."]
    assert registered.reference in worker.outbox.to("anna@iedzivotajs.lv")[1].get_content()
    shown = card_of(worker, registered.reference)
    assert "Kanāls: e-pasts" in shown and "Vēstules temats: Atkritumi" in shown
    assert "konteineri stāv pie 5. mājas" in shown and "Annas kaimiņš" in shown


def test_auto_replies_bounces_bulk_and_our_own_letters_are_not_registered(worker: Setting) -> None:
    machines = [
        letter("anna@iedzivotajs.lv", "Automātiska atbilde: esmu atvaļinājumā", "Atgriezīšos pirmdien.",
               Auto_Submitted="auto-replied"),
        letter("MAILER-DAEMON@iedzivotajs.lv", "Undelivered Mail Returned to Sender", "Delivery failed."),
        letter("jaunumi@veikals.lv", "Akcijas šonedēļ", "Atlaides visām precēm.", Precedence="bulk"),
        letter(BOT_FROM, "Jūsu pieteikums", "Cilpa, kas nedrīkst atkārtoties."),
    ]
    before = worker.register.count()
    answers_before = len(worker.outbox.received)
    for message in machines:
        worker.append(message)
    ids = [m["Message-ID"] for m in machines]
    wait_until(lambda: all("$Paligs" in worker.flags().get(i, set()) for i in ids), what="machine letters marked")
    assert worker.register.count() == before and len(worker.outbox.received) == answers_before


def test_a_sender_over_the_hourly_cap_gets_one_answer_and_the_rest_wait_for_staff(worker: Setting) -> None:
    sender = "daudz@iedzivotajs.lv"
    sent = [letter(sender, f"Vēstule {n}", f"{COMPLAINT} Šī ir mana {n}. vēstule šodien.") for n in range(HOURLY_CAP + 2)]
    for message in sent:
        worker.append(message)
    ids = [m["Message-ID"] for m in sent]
    wait_until(lambda: all("$Paligs" in worker.flags().get(i, set()) for i in ids), timeout=120, what="all handled")
    assert len(worker.registrations_of(sender)) == HOURLY_CAP
    answers = worker.outbox.to(sender)
    assert len(answers) == HOURLY_CAP + 1 and sum("Jūsu vēstules saņemtas" == a["Subject"] for a in answers) == 1
    flags = worker.flags()
    held = [i for i in ids if "\\Flagged" in flags[i]]
    assert len(held) == 2 and all("\\Seen" not in flags[i] and "$PaligsHeld" in flags[i] for i in held)


def test_a_malformed_letter_and_a_25_mb_attachment_get_a_clear_outcome(worker: Setting) -> None:
    malformed = (b"From: bojats@iedzivotajs.lv\r\nTo: pasts@iestade.lv\r\nSubject: =?x-unknown?Q?Bojata_v=E7stule?=\r\n"
                 b"Message-ID: <bojata-1@iedzivotajs.lv>\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: multipart/mixed; boundary=\"nav-sada\"\r\n\r\n"
                 b"--cita-robeza\r\nContent-Type: text/plain; charset=x-unknown-charset\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n%%%nav-base64%%%\r\n"
                 + "Labdien, pie mūsu mājas nedeg ielas lampa jau divas nedēļas.\r\n".encode("utf-8"))
    big = letter("liels@iedzivotajs.lv", "Foto par bedrēm",
                 "Jau mēnesi ceļš pie mājas ir izbraukts, bedres ir dziļas. Pievienoju foto un videoierakstu.")
    big.add_attachment(b"\x89PNG small photo", maintype="image", subtype="png", filename="bedre.png")
    big.add_attachment(os.urandom(25 * 1024 * 1024), maintype="video", subtype="mp4", filename="bedres.mp4")
    after = letter("pec@iedzivotajs.lv", "Ierosinājums", SUGGESTION)
    worker.append(malformed)
    worker.append(big)
    worker.append(after)
    for sender in ("bojats@iedzivotajs.lv", "liels@iedzivotajs.lv", "pec@iedzivotajs.lv"):
        worker.outbox.wait(sender, timeout=120)
    [broken] = worker.registrations_of("bojats@iedzivotajs.lv")
    assert broken.kind_unsure and "pie mūsu mājas nedeg ielas lampa" in broken.text
    broken_answer = worker.outbox.to("bojats@iedzivotajs.lv")[0].get_content()
    assert broken.reference in broken_answer and "nolasīt neizdevās" in broken_answer
    broken_card = card_of(worker, broken.reference)
    assert "Veids jāpārbauda" in broken_card and "oriģinālā-vēstule.eml" in broken_card
    [with_files] = worker.registrations_of("liels@iedzivotajs.lv")
    files = worker.register.attachments.of_registration(with_files.reference)
    assert [(f["filename"], f["sha256"] is not None) for f in files] == [("bedre.png", True), ("bedres.mp4", False)]
    kept = worker.data_dir / "attachments" / files[0]["sha256"][:2] / files[0]["sha256"]
    assert kept.read_bytes() == b"\x89PNG small photo"
    answer = worker.outbox.to("liels@iedzivotajs.lv")[0].get_content()
    assert "“bedres.mp4” ir pārāk liels" in answer and "bedre.png" in answer
    shown = card_of(worker, with_files.reference)
    assert "bedre.png (image/png" in shown and "bedres.mp4 (video/mp4, 25600 KB) – nav saglabāts" in shown
    assert len(worker.registrations_of("pec@iedzivotajs.lv")) == 1


def test_a_worker_killed_after_registering_and_before_marking_registers_the_letter_once(worker: Setting) -> None:
    worker.stop_workers()
    sender = "nogalinats@iedzivotajs.lv"
    message = letter(sender, "Apgaismojums", COMPLAINT)
    crashing = worker.start_worker(PALIGS_MAIL_TEST_CRASH="registered")
    worker.append(message)
    assert crashing.wait(timeout=180) == -signal.SIGKILL
    assert len(worker.registrations_of(sender)) == 1  # stored, but not answered and not marked
    assert worker.outbox.to(sender) == [] and "$Paligs" not in worker.flags()[message["Message-ID"]]
    worker.start_worker()
    worker.outbox.wait(sender, timeout=180)
    wait_until(lambda: "$Paligs" in worker.flags()[message["Message-ID"]], what="marked after the restart")
    time.sleep(LEASE_SECONDS + 1)
    [registered] = worker.registrations_of(sender)
    answers = worker.outbox.to(sender)
    assert len(answers) == 1 and registered.reference in answers[0].get_content()
    worker.stop_workers()


def test_two_workers_at_once_register_each_letter_once(mail: Setting) -> None:
    mail.stop_workers()
    senders = [f"divi{n}@iedzivotajs.lv" for n in range(8)]
    for sender in senders:
        mail.append(letter(sender, "Ierosinājums", SUGGESTION))
    mail.start_worker()
    mail.start_worker()
    for sender in senders:
        mail.outbox.wait(sender, timeout=240)
    time.sleep(LEASE_SECONDS + 2)
    for sender in senders:
        assert len(mail.registrations_of(sender)) == 1 and len(mail.outbox.to(sender)) == 1
    with mail.register.engine.connect() as conn:
        states = conn.execute(select(mail_letters.c.state)).scalars().all()
    assert "handling" not in states
    mail.stop_workers()
