"""Trust: what an attacker or a careless operator could do, refused at each door (README, Security)."""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sqlalchemy import create_engine, text, update

from bot import logs, settings
from bot.notifier.email import NO_STARTTLS, Mailer, plain_text_allowed
from bot.ops.ports import free_port
from bot.privacy import PERSONAL_CODE_MASK, mask_personal_codes
from bot.register import Register, TooManyRegistrations
from bot.register.retention import ERASED, Conversations, erase, purge
from bot.register.schema import registrations
from bot.settings import is_loopback
from bot.staff.auth import verify_token
from bot.staff.directory import StaffDirectory
from connectors.ingress import CLIENT, Door, client_address
from connectors.rest import LOOPBACK_ONLY
from tests.conftest import ROOT

CODE_FORMS = {
    "hyphen-minus": "010190-12345",
    "en dash": "010190\u201312345",
    "em dash": "010190\u201412345",
    "minus sign": "010190\u221212345",
    "non-breaking hyphen": "010190\u201112345",
    "figure dash": "010190\u201212345",
    "hyphen": "010190\u201012345",
    "spaces around a hyphen": "010190 - 12345",
    "spaces around an en dash": "010190 \u2013 12345",
    "no-break spaces around an em dash": "010190\u00a0\u2014\u00a012345",
    "a space": "010190 12345",
    "no separator": "01019012345",
    "new form, hyphen": "320000-12345",
    "new form, en dash": "320000\u201312345",
    "new form, em dash with spaces": "329876 \u2014 54321",
    "new form, minus sign": "321234\u221212345",
    "new form, non-breaking hyphen": "321234\u201112345",
    "new form, no separator": "32123412345",
}


@pytest.mark.parametrize("form", CODE_FORMS)
def test_every_written_form_of_a_personal_code_is_masked(form: str) -> None:
    masked = mask_personal_codes(f"Mans kods ir {CODE_FORMS[form]}, paldies.")
    assert masked == f"Mans kods ir {PERSONAL_CODE_MASK}, paldies."


@pytest.mark.parametrize("text", ["Zvaniet 29123456", "S-2026-000123", "2024-12345", "tālr. 67 000 000",
                                  "Datums 01.01.2026", "1234567890123"])
def test_other_numbers_stay(text: str) -> None:
    assert mask_personal_codes(text) == text


def test_the_client_address_trusts_x_forwarded_for_only_from_a_trusted_proxy() -> None:
    proxies = ("10.0.0.1", "192.168.0.0/16")
    assert client_address("203.0.113.9", "127.0.0.1", proxies) == "203.0.113.9", "an untrusted peer's header is ignored"
    assert client_address("10.0.0.1", "203.0.113.9", proxies) == "203.0.113.9"
    assert client_address("10.0.0.1", "127.0.0.1, 203.0.113.9", proxies) == "203.0.113.9", "forged left part ignored"
    assert client_address("10.0.0.1", "203.0.113.9, 192.168.4.4", proxies) == "203.0.113.9", "chained proxies skipped"
    assert client_address("10.0.0.1", None, proxies) == "10.0.0.1"
    assert [is_loopback(a) for a in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "192.0.2.2", "x", ""]] == \
        [True, True, True, True, False, False, False]


def _door_message(sender: str, address: str) -> UserMessage:
    return UserMessage("sveiki", CollectingOutputChannel(), sender, input_channel="socketio",
                       metadata={"client_address": address})


def test_new_senders_from_one_address_are_throttled_by_address() -> None:
    door = Door(flood_limit=20, intents=lambda: frozenset({"greet"}), address_limit=10, client_secret=b"k" * 32)

    async def flood() -> tuple[list[bool], bool, UserMessage]:
        admitted = [await door.admit(_door_message(f"web-new-{n}", "203.0.113.7")) for n in range(30)]
        other = _door_message("web-other", "198.51.100.1")
        return admitted, await door.admit(other), other

    admitted, other_admitted, other = asyncio.run(flood())
    assert admitted == [True] * 10 + [False] * 20, "a fresh sender id each time does not escape the address limit"
    assert other_admitted, "another address is not hurt"
    assert "client_address" not in other.metadata and len(other.metadata[CLIENT]) == 32, "only a keyed hash travels on"


def test_new_registrations_per_client_address_are_capped(register: Register) -> None:
    def create(n: int, client: Optional[str]) -> None:
        register.create(kind="complaint", kind_predicted="complaint", text=f"Sūdzība {n}", channel="socketio",
                        sender_id=f"web-{n}", client=client, client_cap=3)

    for n in range(3):
        create(n, "a" * 32)
    with pytest.raises(TooManyRegistrations):
        create(3, "a" * 32)
    assert register.count() == 3, "nothing registered past the cap"
    create(4, "b" * 32)
    create(5, None)  # a client the door does not count (Telegram, REST with a token)
    assert register.count() == 5
    with register.engine.begin() as conn:  # an hour later the address may register again
        conn.execute(update(registrations).values(created_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    create(6, "a" * 32)


def test_the_contact_is_encrypted_at_rest(register: Register, tmp_path: Path) -> None:
    registration, _ = register.create(kind="complaint", kind_predicted="complaint", text="Sūdzība", channel="rest",
                                      sender_id="anna", contact="anna.berzina@example.lv")
    assert register.find(registration.reference).contact == "anna.berzina@example.lv"
    with register.engine.connect() as conn:
        stored = conn.execute(text("SELECT contact FROM registrations")).scalar_one()
    assert "anna" not in stored and stored.startswith("gAAAAA")


# --- staff login and logout -----------------------------------------------------------------------

class CountingDirectory(StaffDirectory):
    """The real directory, counting the password checks it makes."""

    checks = 0

    def check_password(self, login: str, password: str):  # type: ignore[no-untyped-def]
        CountingDirectory.checks += 1
        return super().check_password(login, password)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def _portal(register: Register, directory: StaffDirectory, trusted: tuple[str, ...] = ()) -> web.Application:
    from connectors.web.server import StaffLogin, create_app

    staff = StaffLogin(directory, key="k" * 64, trusted_proxies=trusted)
    staff.FAILURE_PAUSE_SECONDS = 0.2
    return create_app(5005, staff)


def test_a_parallel_burst_of_wrong_passwords_gets_at_most_five_checks(register: Register) -> None:
    directory = CountingDirectory(register.engine)
    directory.add_member("Ilze Ozola", login="ilze", password="pareiza-parole-2026")
    CountingDirectory.checks = 0

    async def burst() -> list[int]:
        runner, url = await _serve(_portal(register, directory, trusted=("127.0.0.1",)))
        try:
            async with aiohttp.ClientSession() as session:
                async def attempt(n: int) -> int:
                    headers = {"X-Forwarded-For": f"198.51.100.{n}"}  # fifty addresses behind the proxy
                    async with session.post(f"{url}/staff/login", json={"login": "ilze", "password": f"wrong-{n}"},
                                            headers=headers) as answer:
                        return answer.status
                return list(await asyncio.gather(*(attempt(n) for n in range(50))))
        finally:
            await runner.cleanup()

    statuses = asyncio.run(burst())
    assert CountingDirectory.checks <= 5
    assert statuses.count(401) == CountingDirectory.checks and statuses.count(429) == 50 - CountingDirectory.checks


def test_one_address_is_limited_across_logins(register: Register) -> None:
    directory = CountingDirectory(register.engine)
    CountingDirectory.checks = 0

    async def spray() -> list[int]:
        runner, url = await _serve(_portal(register, directory))
        try:
            async with aiohttp.ClientSession() as session:
                statuses = []
                for n in range(25):
                    async with session.post(f"{url}/staff/login", json={"login": f"user{n}", "password": "x"}) as a:
                        statuses.append(a.status)
                return statuses
        finally:
            await runner.cleanup()

    statuses = asyncio.run(spray())
    assert statuses == [401] * 20 + [429] * 5 and CountingDirectory.checks == 20


def test_logout_revokes_the_token_for_the_staff_channel(register: Register) -> None:
    from connectors.staff import StaffInput

    directory = StaffDirectory(register.engine)
    directory.add_member("Ilze Ozola", login="ilze", password="pareiza-parole-2026")
    channel = StaffInput("k" * 64, directory)

    class Carrying:  # what the channel reads of a request: its headers
        def __init__(self, token: str) -> None:
            self.headers = {"Authorization": f"Bearer {token}"}

    async def session() -> tuple[str, Optional[str], int, Optional[str], Optional[str]]:
        runner, url = await _serve(_portal(register, directory))
        try:
            async with aiohttp.ClientSession() as client:
                async with client.post(f"{url}/staff/login", json={"login": "ilze", "password": "pareiza-parole-2026"}) as a:
                    token = (await a.json())["token"]
                before = await channel.staff_login(Carrying(token))
                async with client.post(f"{url}/staff/logout", headers={"Authorization": f"Bearer {token}"}) as a:
                    status = a.status
                after = await channel.staff_login(Carrying(token))
                async with client.post(f"{url}/staff/login", json={"login": "ilze", "password": "pareiza-parole-2026"}) as a:
                    fresh = await channel.staff_login(Carrying((await a.json())["token"]))
                return token, before, status, after, fresh
        finally:
            await runner.cleanup()

    token, before, status, after, fresh = asyncio.run(session())
    assert before == "ilze" and status == 200
    assert verify_token("k" * 64, token) == "ilze", "the token is still unexpired and genuine…"
    assert after is None, "…but revoked: the staff channel refuses it"
    assert fresh == "ilze", "a new login works"


# --- REST without a token -------------------------------------------------------------------------

def _other_local_address() -> Optional[str]:
    """A non-loopback address of this machine, to be a client that is not on loopback."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except OSError:
        return None
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def test_rest_without_a_token_answers_loopback_clients_only() -> None:
    from sanic import Sanic

    from connectors.rest import RestInput

    other = _other_local_address()
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    app = Sanic(f"rest_test_{os.getpid()}")
    channel = RestInput(None, trusted_proxies=("127.0.0.1",))
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    port = free_port()

    async def run() -> dict[str, tuple[int, str]]:
        server = await app.create_server(host="0.0.0.0", port=port, return_asyncio_server=True)
        await server.startup()
        answers = {}
        try:
            async def post(name: str, host: str, headers: dict) -> None:
                async with aiohttp.ClientSession() as session:
                    async with session.post(f"http://{host}:{port}/webhooks/rest/webhook",
                                            json={"sender": "anna", "message": "sveiki"}, headers=headers) as a:
                        answers[name] = (a.status, await a.text())
            await post("loopback", "127.0.0.1", {})
            await post("public address via the trusted proxy", "127.0.0.1", {"X-Forwarded-For": "203.0.113.5"})
            if other:
                await post("non-loopback peer", other, {})
                await post("non-loopback peer claiming loopback", other, {"X-Forwarded-For": "127.0.0.1"})
        finally:
            server.close()
            await server.wait_closed()
        return answers

    answers = asyncio.run(run())
    assert answers["loopback"][0] == 200
    for name, (status, body) in answers.items():
        if name != "loopback":
            assert status == 401 and "REST_TOKEN" in body, name
    assert LOOPBACK_ONLY.startswith("REST_TOKEN is not set")
    assert len(received) == 1 and received[0].metadata[CLIENT], "the anonymous client is counted by address"


# --- secrets --------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [settings.EXAMPLE_SECRET, "test-secret", "x" * 31, " " * 40])
def test_weak_secrets_are_refused_with_how_to_make_one(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALIGS_SECRET", secret)
    with pytest.raises(settings.WeakSecret) as refused:
        settings.load().secret()
    assert "secrets.token_hex(32)" in str(refused.value)


def test_the_example_placeholder_is_the_one_refused() -> None:
    example = (ROOT / "deploy" / "systemd" / "paligs.env.example").read_text()
    assert f"PALIGS_SECRET={settings.EXAMPLE_SECRET}\n" in example


def test_a_refused_secret_stops_a_process_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "PALIGS_SECRET": settings.EXAMPLE_SECRET, "PALIGS_DATA_DIR": str(tmp_path)}
    started = subprocess.run([sys.executable, "-m", "bot.staff", "list"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert started.returncode != 0 and "placeholder" in started.stderr


def test_the_generated_secret_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    barrier = threading.Barrier(16)

    def start() -> bytes:
        barrier.wait()
        return settings.Settings.secret(_settings_in(tmp_path / "data"))

    with ThreadPoolExecutor(16) as pool:
        secrets_seen = set(pool.map(lambda _: start(), range(16)))
    assert len(secrets_seen) == 1 and len(secrets_seen.pop()) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"], "no temporary file left behind"


def _settings_in(data_dir: Path) -> settings.Settings:
    import dataclasses

    return dataclasses.replace(settings.load(), data_dir=data_dir, secret_override=None)


# --- transport and small ones ---------------------------------------------------------------------

def test_plain_smtp_only_to_a_loopback_host() -> None:
    assert [plain_text_allowed(h) for h in ["127.0.0.1", "localhost", "::1", "mail.example.lv", "192.0.2.2"]] == \
        [True, True, True, False, False]


def test_smtp_without_starttls_to_another_host_is_refused_and_nothing_is_sent() -> None:
    from aiosmtpd.controller import Controller

    other = _other_local_address()
    if other is None:
        pytest.skip("this machine has no non-loopback address")

    class Box:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.messages.append(envelope)
            return "250 OK"

    box, port = Box(), free_port()
    controller = Controller(box, hostname="0.0.0.0", port=port)
    controller.start()
    try:
        with pytest.raises(ValueError, match="STARTTLS"):
            Mailer(f"smtp://{other}:{port}", "paligs@example.lv").send("anna@example.lv", "Tēma", "Teksts")
        assert box.messages == []
        Mailer(f"smtp://127.0.0.1:{port}", "paligs@example.lv").send("anna@example.lv", "Tēma", "Teksts")
        assert len(box.messages) == 1, "loopback may take it in clear text"
    finally:
        controller.stop()
    assert "STARTTLS" in NO_STARTTLS


@pytest.mark.parametrize("header", ["ā" * 10, "секрет", "\udcff", "webhook-secret-1\u00a0"])
def test_a_non_ascii_telegram_secret_header_is_simply_wrong(header: str) -> None:
    from connectors.telegram import TelegramInput

    channel = TelegramInput(settings.Telegram(token=None, secret_token="webhook-secret-1", api_url="", mode="webhook"))
    assert channel._secret_ok(header) is False
    assert channel._secret_ok("webhook-secret-1") is True


def test_access_log_lines_show_no_keys_or_session_ids(caplog: pytest.LogCaptureFixture) -> None:
    logs.install_masking()
    line = ('127.0.0.1 "GET /widget/news?session=abc123def HTTP/1.1" 200; '
            '"GET /open311/v2/requests.json?jurisdiction_id=x&api_key=SECRETKEY HTTP/1.1"; /x?token=T0K3N&sid=S1D')
    formatter = logging.Formatter("%(message)s")
    shown = formatter.format(logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1, line, None, None))
    for secret in ["abc123def", "SECRETKEY", "T0K3N", "S1D"]:
        assert secret not in shown
    assert "jurisdiction_id=x" in shown and "session=***" in shown


def test_the_rasa_server_refuses_large_bodies_before_reading_them() -> None:
    assert settings.load().rasa_variables()["SANIC_REQUEST_MAX_SIZE"] == str(settings.MAX_BODY_BYTES)


# --- erasure and retention ------------------------------------------------------------------------

def _conversations(path: Path) -> Conversations:
    """A conversation store with Rasa's ``events`` table (as its SQL tracker store creates it)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                   "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                   "action_name VARCHAR(255), data TEXT)")
    return Conversations(create_engine(f"sqlite:///{path}", future=True))


def _say(conversations: Conversations, sender: str, words: str, when: datetime) -> None:
    with conversations.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
                     {"s": sender, "t": when.timestamp(), "d": '{"text": "%s"}' % words})


def _bytes_of(*paths: Path) -> bytes:
    found = b""
    for path in paths:
        for candidate in path.parent.glob(path.name + "*"):
            found += candidate.read_bytes()
    return found


def test_erase_leaves_no_byte_of_the_personal_data_in_the_files(register: Register, tmp_path: Path) -> None:
    if register.engine.dialect.name != "sqlite":
        pytest.skip("the byte search is of SQLite files")
    conversations = _conversations(tmp_path / "conversations.db")
    now = datetime.now(timezone.utc)
    mine, _ = register.create(kind="complaint", kind_predicted="complaint", text="Kaimiņš Zvirbulis trokšņo naktīs",
                              channel="telegram", sender_id="7001", contact="zvirbulis.janis@example.lv",
                              delivery={"telegram": "7001"})
    other, _ = register.create(kind="complaint", kind_predicted="complaint", text="Bedre pie Ozolu ielas",
                               channel="telegram", sender_id="7002")
    register.change_status(mine.reference, "in_review", "Ilze")
    register.change_status(mine.reference, "decided", "Ilze", note="Rakstījām Zvirbulim par troksni")
    _say(conversations, "7001", "Kaimiņš Zvirbulis trokšņo naktīs", now)
    _say(conversations, "7002", "Bedre pie Ozolu ielas", now)
    erased = erase(register, conversations, mine.reference, by="Datu speciālists Pēteris")
    assert erased.conversations == 1
    found = register.find(mine.reference)
    assert found.text == ERASED and found.contact is None
    history = register.history(mine.reference)
    assert history[-1]["changed_by"] == "Datu speciālists Pēteris" and history[-1]["note"] is None
    assert all(h["note"] in (None, ERASED) for h in history)
    files = _bytes_of(tmp_path / "register.db", tmp_path / "conversations.db")
    for word in ["Zvirbul", "zvirbulis.janis", "trok"]:
        assert word.encode() not in files, word
    assert "Bedre pie Ozolu ielas".encode() in files, "other people's data stays"
    assert register.find(other.reference).text == "Bedre pie Ozolu ielas"


def test_erase_removes_the_place_letters_and_files_but_keeps_a_file_another_registration_has(
    register: Register, tmp_path: Path
) -> None:
    from bot.register.attachments import IncomingFile
    from bot.register.media import MediaStore
    from bot.register.retention import Folders
    from tests.unit.test_media import photo_with_gps

    folders = Folders(tmp_path / "attachments", tmp_path / "media")
    store = MediaStore(folders.media, 10 * 1024 * 1024, b"erase-test-secret")
    mine, _ = register.create(kind="service_request", kind_predicted="service_request", channel="e-pasts",
                              text="Pie manas mājas nedeg laterna", sender_id="anna@example.lv",
                              subject="Laterna pie Liepu ielas 3")
    other, _ = register.create(kind="complaint", kind_predicted="complaint", text="Tā pati laterna",
                               channel="telegram", sender_id="7003")
    register.set_place(mine.reference, 56.95, 24.10, "Liepu iela 3")
    photo = store.accept(photo_with_gps(), "telegram")
    register.add_media(mine.reference, photo)
    register.add_media(other.reference, photo)  # the same picture, sent by someone else too
    only_mine = IncomingFile("plans.txt", "text/plain", b"Annas plans ar adresi")
    register.attachments.keep(mine.reference, [only_mine], folders.attachments, 1024 * 1024)
    register.add_applicant_message(mine.reference, "Laterna joprojām nedeg, Anna", "e-pasts", "anna@example.lv",
                                   "Re: Laterna")
    stored_files = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".db" and "-" not in p.name)
    conversations = _conversations(tmp_path / "conversations.db")

    erased = erase(register, conversations, mine.reference, by="Pēteris", folders=folders)

    found = register.find(mine.reference)
    assert (found.latitude, found.longitude, found.address, found.subject) == (None, None, None, None)
    assert register.media_of(mine.reference) == [] and register.attachments.of_registration(mine.reference) == []
    assert [m["text"] for m in register.applicant_messages(mine.reference)] == [ERASED]
    assert len(erased.files) == 1 and not erased.files[0].exists(), "the attachment only Anna sent is deleted"
    assert store.path(photo.sha256).exists() and len(register.media_of(other.reference)) == 1, "the shared photo stays"
    assert len(stored_files) == 2


def test_purge_applies_the_retention_periods(register: Register, tmp_path: Path) -> None:
    conversations = _conversations(tmp_path / "conversations.db")
    now = datetime.now(timezone.utc)
    old, _ = register.create(kind="complaint", kind_predicted="complaint", text="Sen slēgta sūdzība",
                             channel="rest", sender_id="a", contact="a@example.lv")
    recent, _ = register.create(kind="complaint", kind_predicted="complaint", text="Nesen slēgta sūdzība",
                                channel="rest", sender_id="b", contact="b@example.lv", client="c" * 32, client_cap=10)
    still_open, _ = register.create(kind="complaint", kind_predicted="complaint", text="Sena, bet atvērta",
                                    channel="rest", sender_id="c", contact="c@example.lv")
    for reference in (old.reference, recent.reference):
        register.change_status(reference, "in_review", "Ilze")
        register.change_status(reference, "closed", "Ilze", note="Slēgts")
    with register.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.reference.in_([old.reference, still_open.reference]))
                     .values(updated_at=now - timedelta(days=400), created_at=now - timedelta(days=400)))
        conn.execute(update(registrations).where(registrations.c.reference == recent.reference)
                     .values(created_at=now - timedelta(days=2)))  # its client hash is no longer needed
    _say(conversations, "rest-idle", "veca saruna", now - timedelta(days=31))
    _say(conversations, "rest-active", "veca saruna", now - timedelta(days=40))
    _say(conversations, "rest-active", "šodienas ziņa", now)
    purged = purge(register, conversations, conversation_days=30, closed_days=365)
    assert purged.conversations == 1 and purged.registrations == [old.reference] and purged.client_hashes == 1
    assert register.find(old.reference).text == ERASED and register.find(old.reference).contact is None
    assert register.find(recent.reference).contact == "b@example.lv"
    assert register.find(still_open.reference).contact == "c@example.lv", "open registrations are kept"
    with conversations.engine.connect() as conn:
        assert conn.execute(text("SELECT DISTINCT sender_id FROM events")).scalars().all() == ["rest-active"]
    assert register.history(old.reference)[-1]["changed_by"] == "glabāšanas termiņš"
    assert purge(register, conversations, 30, 365).registrations == [], "purging again changes nothing"


def test_the_privacy_command_line_erases_and_purges(tmp_path: Path) -> None:
    from bot.register import migrate, open_register

    secret = "cli-test-secret-0123456789abcdef0123456789"
    url = f"sqlite:///{tmp_path / 'register.db'}"
    migrate.upgrade(url)
    register = open_register(url, secret.encode())
    made, _ = register.create(kind="complaint", kind_predicted="complaint", text="Sūdzība par Kalniņu",
                              channel="rest", sender_id="x")
    env = {**os.environ, "PALIGS_SECRET": secret, "DATABASE_URL": url, "PALIGS_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "bot.privacy"]
    erased = subprocess.run([*command, "erase", made.reference, "--by", "Pēteris"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert erased.returncode == 0, erased.stderr
    assert register.find(made.reference).text == ERASED
    unknown = subprocess.run([*command, "erase", "S-2000-000001", "--by", "x"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1
    purged = subprocess.run([*command, "purge"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert purged.returncode == 0 and "Purged" in purged.stdout, purged.stderr
