"""Staff work the register in chat: verified identity only, on Telegram and on the /staff page."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import update

from bot.register import Register, StatusChanged
from bot.register.lifecycle import OPEN_STATUSES
from bot.register.schema import registrations
from bot.staff.auth import issue_token, verify_token
from bot.staff.commands import staff_payload
from tests.conftest import ROOT
from tests.e2e.conftest import REFERENCE, REST_AUTH, SECRET, Stack
from tests.e2e.fake_telegram import FakeBotApi
from tests.e2e.test_telegram import TelegramUser

STAFF_TELEGRAM_ID = 424242
STAFF_LOGIN, STAFF_PASSWORD = "ilze", "pareiza-parole-2026"


def staff_cli(stack: Stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.staff", *args], cwd=ROOT, env=stack.env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def staff_member(stack: Stack) -> str:
    """Ilze Ozola, known by a Telegram id and a web login, added with the command line."""
    assert staff_cli(stack, "add", "--name", "Ilze Ozola", "--telegram", str(STAFF_TELEGRAM_ID)).returncode == 0
    added = staff_cli(stack, "add", "--name", "Ilze Ozola", "--login", STAFF_LOGIN, "--password-stdin",
                      stdin=STAFF_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    listing = staff_cli(stack, "list").stdout
    assert f"telegram={STAFF_TELEGRAM_ID}" in listing and f"login={STAFF_LOGIN}" in listing
    stored = (Path(stack.env["PALIGS_DATA_DIR"]) / "register.db").read_bytes()
    assert STAFF_PASSWORD.encode() not in stored, "passwords are stored only as scrypt hashes"
    return "Ilze Ozola"


@pytest.fixture(scope="module")
def complaints(stack: Stack) -> list[str]:
    """Twelve complaints from citizens (more than a page) and one overdue service request."""
    refs = [stack.register.create(kind="complaint", kind_predicted="suggestion" if i % 4 == 0 else "complaint",
                                  text=f"Sūdzība nr. {i} par neizvestiem atkritumiem", channel="rest",
                                  sender_id=f"citizen-{i}")[0].reference for i in range(12)]
    late, _ = stack.register.create(kind="service_request", kind_predicted="service_request",
                                    text="Nedeg laterna pie skolas", channel="rest", sender_id="late",
                                    service_id="street_lighting")
    with stack.register.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.reference == late.reference)
                     .values(created_at=datetime.now(timezone.utc) - timedelta(days=60)))
    return refs + [late.reference]


@pytest.fixture()
def staff_tg(stack: Stack, telegram_api: FakeBotApi, staff_member: str) -> TelegramUser:
    user = TelegramUser(stack, telegram_api)
    user.id = STAFF_TELEGRAM_ID
    return user


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_staff_on_telegram_open_list_count_and_move(stack: Stack, staff_tg: TelegramUser, complaints: list[str]) -> None:
    newest, late = complaints[-2], complaints[-1]
    opened = texts(staff_tg.say(newest.lower()))
    assert newest in opened and "sūdzība" in opened and "Vēsture:" in opened and "reģistrēts" in opened

    open_complaints = [r.reference for r in _all(stack.register) if r.kind == "complaint" and r.status in OPEN_STATUSES]
    first_page = staff_tg.say("atvērtās sūdzības")
    assert f"Atrasti {len(open_complaints)}; rādu 1–10" in texts(first_page) and newest in texts(first_page)
    assert late not in texts(first_page), "the filter keeps to complaints"
    second_page = staff_tg.press(first_page[-1], "Vēl")
    assert f"rādu 11–{min(20, len(open_complaints))}" in texts(second_page)
    shown = [set(REFERENCE.findall(texts(page))) for page in (first_page, second_page)]
    assert shown[0] == set(open_complaints[:10]) and shown[1] == set(open_complaints[10:20]), "newest first, no repeats"

    overdue = texts(staff_tg.say("kavētie pakalpojumu pieprasījumi"))
    assert late in overdue and "KAVĒTS" in overdue

    counts = texts(staff_tg.say("cik sūdzību šomēnes?"))
    total = sum(1 for r in _all(stack.register) if r.kind == "complaint" and r.created_at.month == datetime.now().month)
    assert f"Kopā: {total}" in counts and "labojuši bota ieteikto veidu" in counts and "veidu bots jautāja" in counts

    ask_note = staff_tg.say(f"mainīt {newest} statusu uz izvērtēšanā")
    assert "piezīmi" in texts(ask_note)
    confirm = staff_tg.say("Sākta izvērtēšana, pārbaudīsim uz vietas")
    assert "Mainīt" in texts(confirm)
    done = staff_tg.press(confirm[-1], "Jā, mainīt")
    assert "Saglabāts" in texts(done) and "izvērtēšanā" in texts(done)
    last = stack.register.history(newest)[-1]
    assert (last["from_status"], last["to_status"]) == ("registered", "in_review")
    assert "Ilze Ozola" in last["changed_by"] and last["note"] == "Sākta izvērtēšana, pārbaudīsim uz vietas"


def test_a_decision_needs_a_note(stack: Stack, staff_tg: TelegramUser, complaints: list[str]) -> None:
    reference = complaints[3]
    ask = staff_tg.say(f"mainīt {reference} uz lēmums pieņemts")
    assert "obligāta" in texts(ask) and "Bez piezīmes" not in json.dumps(ask, ensure_ascii=False)
    assert "obligāta" in texts(staff_tg.say("-"))
    confirm = staff_tg.say("Lēmums: konteineri tiks izvesti divreiz nedēļā")
    declined = staff_tg.press(confirm[-1], "Nē, atcelt")
    assert "nemainīju" in texts(declined)
    assert stack.register.find(reference).status == "registered"


def _all(register: Register) -> list:
    from bot.register.queries import Filters, matching

    return matching(register.engine, Filters(), lambda _: 21, datetime.now().date())


@pytest.mark.parametrize("how", ["telegram stranger", "rest with a staff id", "rest with forged metadata",
                                 "typed intent over rest", "typed intent over telegram"])
def test_staff_commands_from_anyone_else_are_refused_and_change_nothing(
    stack: Stack, telegram_api: FakeBotApi, staff_member: str, complaints: list[str], how: str
) -> None:
    reference = complaints[5]
    move = f"mainīt {reference} statusu uz slēgts"
    typed = staff_payload(move)
    before = stack.register.history(reference)
    if how.startswith("telegram"):
        stranger = TelegramUser(stack, telegram_api)
        answers = [texts(stranger.say(text)) for text in ("atvērtās sūdzības", typed if "typed" in how else move)]
    else:
        sender = str(STAFF_TELEGRAM_ID) if "staff id" in how else f"stranger-{how}"
        extra = {"metadata": {"staff": True, "input_channel": "telegram"}, "input_channel": "telegram"} \
            if "metadata" in how else {}
        answers = []
        for text in ("atvērtās sūdzības", typed if "typed" in how else move):
            response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", headers=REST_AUTH, timeout=60,
                                     json={"sender": sender, "message": text, **extra})
            answers.append(texts(response.json()))
    assert not any("Atrasti" in a or "Mainīt" in a or "piezīmi" in a for a in answers), answers
    assert stack.register.history(reference) == before


def test_concurrent_moves_one_wins_the_other_is_told(stack: Stack, complaints: list[str]) -> None:
    reference = complaints[7]

    def move(who: str):
        try:
            return stack.register.change_status(reference, "in_review", who, expected_status="registered")
        except StatusChanged as error:
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(move, ["Ilze", "Jānis"]))
    assert sum(isinstance(o, StatusChanged) for o in outcomes) == 1
    rows = [h for h in stack.register.history(reference) if h["to_status"] == "in_review"]
    assert len(rows) == 1


def test_staff_tokens_expire_and_cannot_be_forged(stack: Stack, staff_member: str) -> None:
    import os
    from unittest import mock

    from bot import settings
    from bot.staff.auth import token_key

    with mock.patch.dict(os.environ, {"PALIGS_SECRET": SECRET}):
        key = token_key(settings.load())
    url = f"{stack.rasa_url}/webhooks/staff/webhook"
    good = issue_token(key, STAFF_LOGIN)
    assert verify_token(key, good) == STAFF_LOGIN
    cases = {
        "expired": issue_token(key, STAFF_LOGIN, now=time.time() - 3600),
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other key": issue_token("not-the-key", STAFF_LOGIN),
        "unknown login": issue_token(key, "nobody"),
        "garbage": "abc.def",
    }
    for name, token in cases.items():
        answer = requests.post(url, json={"message": "kopsavilkums"}, headers={"Authorization": f"Bearer {token}"},
                               timeout=30)
        assert answer.status_code == 401, name
    assert requests.post(url, json={"message": "kopsavilkums"}, timeout=30).status_code == 401
    answer = requests.post(url, json={"message": "kopsavilkums"}, headers={"Authorization": f"Bearer {good}"}, timeout=60)
    assert answer.status_code == 200 and "Kopā:" in texts(answer.json())


@pytest.fixture(scope="module")
def staff_portal(stack: Stack, staff_member: str) -> Iterator[str]:
    from tests.e2e.test_web_widget import start_portal

    process, url = start_portal(stack, stack.rasa_port)
    yield url
    process.terminate()


def test_staff_page_login_and_chat_in_chromium(staff_portal: str, complaints: list[str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_web_widget import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(staff_portal + "staff")
        page.get_by_label("Lietotājvārds").fill(STAFF_LOGIN)
        page.get_by_label("Parole").fill("nepareiza-parole")
        page.keyboard.press("Enter")
        expect(page.locator("#login-status")).to_contain_text("Nepareizs", timeout=15_000)
        expect(page.locator("#chat")).to_be_hidden()
        page.get_by_label("Parole").fill(STAFF_PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator("#chat")).to_be_visible(timeout=15_000)
        expect(page.locator("#who")).to_contain_text("Ilze Ozola")
        page.get_by_label("Komanda vai jautājums").fill("atvērtās sūdzības")
        page.keyboard.press("Enter")
        expect(page.locator("#log")).to_contain_text("Atrasti", timeout=30_000)
        page.get_by_role("button", name=complaints[-2]).click()
        expect(page.locator("#log")).to_contain_text("Vēsture:", timeout=30_000)
        browser.close()


def test_wrong_passwords_are_slowed_down_and_then_refused(staff_portal: str) -> None:
    url = staff_portal + "staff/login"
    for bad in [b"", b"[]", b'{"login": 5, "password": "x"}', b"not json"]:
        assert requests.post(url, data=bad, timeout=30).status_code == 400
    started = time.monotonic()
    statuses = [requests.post(url, json={"login": STAFF_LOGIN, "password": f"wrong-{i}"}, timeout=30).status_code
                for i in range(6)]
    assert statuses[:4] == [401] * 4 and statuses[-1] == 429
    assert time.monotonic() - started >= 4, "each failure is answered after a pause"
