"""Trust on the running stack: huge bodies, odd secret headers, Telegram groups, erasure from the
files themselves, and a staff token that dies at logout."""
from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from connectors.telegram import GROUP_REPLY
from tests.conftest import ROOT
from tests.e2e.conftest import REFERENCE, TELEGRAM_SECRET, Stack
from tests.e2e.fake_telegram import FakeBotApi
from tests.e2e.test_telegram import _update_ids, post, text_update, user, wait_until


def _raw_post(port: int, path: str, declared_length: int) -> str:
    """Send only the headers of a POST declaring a huge body; the server's first answer line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            f"X-Telegram-Bot-Api-Secret-Token: {TELEGRAM_SECRET}\r\n"
                            f"Content-Length: {declared_length}\r\n\r\n").encode())
        return connection.recv(4096).decode(errors="replace").splitlines()[0]


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/telegram/webhook", "/webhooks/staff/webhook"])
def test_a_huge_body_is_refused_by_its_length_before_it_is_read(stack: Stack, path: str) -> None:
    assert " 413 " in _raw_post(stack.rasa_port, path, 1_000_000_000)


@pytest.mark.parametrize("header", ["ā" * 16, "секрет", "webhook-secret-1\u00a0"])
def test_a_non_ascii_telegram_secret_header_gets_403(stack: Stack, header: str) -> None:
    update = text_update(70999, "sveiki")
    answer = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update,
                           headers={"X-Telegram-Bot-Api-Secret-Token": header.encode("utf-8")}, timeout=30)
    assert answer.status_code == 403


def test_a_telegram_group_gets_one_refusal_and_no_conversation(stack: Stack, telegram_api: FakeBotApi) -> None:
    group = -1001234567
    member = 70888
    update = {"update_id": next(_update_ids), "message": {
        "message_id": next(_update_ids), "date": 0, "chat": {"id": group, "type": "group", "title": "Kaimiņi"},
        "from": user(member), "text": "Gribu iesniegt sūdzību par atkritumiem, mans kods 010190-12345"}}
    before = stack.register.count()
    assert post(stack, update).status_code == 200
    wait_until(lambda: len(telegram_api.sent(group)) >= 1)
    assert [m["text"] for m in telegram_api.sent(group)] == [GROUP_REPLY]
    assert telegram_api.sent(member) == []
    assert stack.register.count() == before


def _file_bytes(data_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for name in ("register.db", "conversations.db")
            for path in data_dir.glob(name + "*")}


def test_erase_leaves_none_of_the_erased_text_in_the_database_files(stack: Stack) -> None:
    marker = f"Zvirbulkalns{uuid.uuid4().hex[:8]}"
    contact = f"{marker.lower()}@example.lv"
    chat = stack.chat()
    chat.say(f"Kaimiņš {marker} katru nakti dedzina atkritumus pagalmā, dūmi nāk logos. Lūdzu, rīkojieties")
    chat.say("/affirm")
    chat.text("jā")
    reference = REFERENCE.search(chat.text(contact)).group(0)
    assert stack.register.find(reference).contact == contact
    data_dir = Path(stack.env["PALIGS_DATA_DIR"])
    assert any(marker.encode() in content for content in _file_bytes(data_dir).values()), "the search finds it before"
    erased = subprocess.run([sys.executable, "-m", "bot.privacy", "erase", reference, "--by", "Datu speciālists"],
                            cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=120)
    assert erased.returncode == 0, erased.stderr
    for name, content in _file_bytes(data_dir).items():
        for word in (marker, marker.lower(), contact):
            assert word.encode() not in content, (name, word)
    found = stack.register.find(reference)
    assert found.text == "[dzēsts]" and found.contact is None
    assert stack.register.history(reference)[-1]["changed_by"] == "Datu speciālists"
    assert "Labdien" in chat.text("sveiki"), "the bot carries on"


@pytest.fixture(scope="module")
def portal(stack: Stack) -> Iterator[str]:
    from tests.e2e.test_web_widget import start_portal

    process, url = start_portal(stack, stack.rasa_port)
    yield url
    process.terminate()


def _staff_cli(stack: Stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.staff", *args], cwd=ROOT, env=stack.env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_a_staff_token_is_refused_after_logout(stack: Stack, portal: str) -> None:
    login, password = "maris", "maris-parole-2026"
    added = _staff_cli(stack, "add", "--name", "Māris Kalns", "--login", login, "--password-stdin", stdin=password + "\n")
    assert added.returncode == 0, added.stderr
    token = requests.post(portal + "staff/login", json={"login": login, "password": password}, timeout=30).json()["token"]
    chat_url = f"{stack.rasa_url}/webhooks/staff/webhook"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(chat_url, json={"message": "kopsavilkums"}, headers=auth, timeout=60).status_code == 200
    assert requests.post(portal + "staff/logout", headers=auth, timeout=30).status_code == 200
    assert requests.post(chat_url, json={"message": "kopsavilkums"}, headers=auth, timeout=60).status_code == 401
    entry = {"channel": "in_person", "kind": "complaint", "text": "Pēc izrakstīšanās nedrīkst reģistrēt", "consent": False}
    def registrations() -> int:
        with stack.register.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM registrations").scalar_one()

    before = registrations()
    assert requests.post(portal + "staff/registrations", json=entry, headers=auth, timeout=30).status_code == 401
    assert registrations() == before, "a logged-out token cannot enter a registration"
    assert requests.post(portal + "staff/logout", headers={"Authorization": "Bearer forged.token"},
                         timeout=30).status_code == 401
