"""The Telegram channel, speaking real Bot API JSON with a local fake Bot API server."""
from __future__ import annotations

import itertools
import time
from typing import Callable

import pytest
import requests

from connectors.telegram import MAX_CALLBACK_BYTES, CallbackPayloads, split_text
from tests.e2e.conftest import REFERENCE, TELEGRAM_SECRET, Stack
from tests.e2e.fake_telegram import FakeBotApi

_update_ids = itertools.count(1000)
_user_ids = itertools.count(70001)


def user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": "lv"}


def message(user_id: int, **content: object) -> dict:
    return {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Anna"},
        "from": user(user_id),
        **content,
    }


def text_update(user_id: int, text: str) -> dict:
    return {"update_id": next(_update_ids), "message": message(user_id, text=text)}


def button_update(user_id: int, data: str, message_id: int) -> dict:
    """A press of a button on the bot's message ``message_id``."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user(user_id),
            "chat_instance": "42",
            "data": data,
            "message": {**message(user_id, text="…"), "message_id": message_id},
        },
    }


def post(stack: Stack, update: dict, secret: str | None = TELEGRAM_SECRET) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=30)


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the bot")


class TelegramUser:
    """A Telegram user chatting with the bot through webhook updates."""

    def __init__(self, stack: Stack, api: FakeBotApi) -> None:
        self.stack, self.api, self.id = stack, api, next(_user_ids)

    def send(self, update: dict, replies: int = 1) -> list[dict]:
        before = len(self.api.sent(self.id))
        assert post(self.stack, update).status_code == 200
        wait_until(lambda: len(self.api.sent(self.id)) >= before + replies)
        while True:  # the rest of this turn's messages: until none arrives for half a second
            count = len(self.api.sent(self.id))
            time.sleep(0.5)
            if len(self.api.sent(self.id)) == count:
                return self.api.sent(self.id)[before:]

    def say(self, text: str) -> list[dict]:
        return self.send(text_update(self.id, text))

    def press(self, reply: dict, title_part: str) -> list[dict]:
        keyboard = reply["reply_markup"]["inline_keyboard"]
        button = next(row[0] for row in keyboard if title_part in row[0]["text"])
        return self.send(button_update(self.id, button["callback_data"], reply["message_id"]))


@pytest.fixture()
def tg_user(stack: Stack, telegram_api: FakeBotApi) -> TelegramUser:
    return TelegramUser(stack, telegram_api)


def test_text_message_is_answered(tg_user: TelegramUser) -> None:
    assert "Labdien" in tg_user.say("sveiki")[0]["text"]


@pytest.mark.parametrize("command", ["/start", "/start kampana42", "/help@paligs_bot", "/START"])
def test_telegram_commands_greet(tg_user: TelegramUser, command: str) -> None:
    assert "Labdien" in tg_user.say(command)[0]["text"]


def test_a_button_on_an_answered_question_gets_a_short_explanation(stack: Stack, tg_user: TelegramUser) -> None:
    question = tg_user.say("Ierosinu pie bibliotēkas uzstādīt velosipēdu novietni, tas būtu ērti")[-1]
    consent = tg_user.press(question, "Jā")[-1]
    done = tg_user.press(consent, "Nē")
    assert REFERENCE.search(done[0]["text"])
    before = stack.register.count()
    again = tg_user.press(consent, "Nē")
    assert len(again) == 1 and "jau ir atbildēts" in again[0]["text"]
    assert tg_user.press(question, "Jā")[0]["text"] == again[0]["text"]
    assert stack.register.count() == before


def test_registration_and_status_check_over_telegram(stack: Stack, telegram_api: FakeBotApi, tg_user: TelegramUser) -> None:
    replies = tg_user.say("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma, esmu neapmierināts")
    question = replies[-1]
    assert "Reģistrēšu to kā sūdzību" in question["text"]
    assert all(len(row[0]["callback_data"].encode()) <= MAX_CALLBACK_BYTES for row in question["reply_markup"]["inline_keyboard"])
    answered_before = len(telegram_api.called("answerCallbackQuery"))
    consent = tg_user.press(question, "Jā")[-1]
    assert len(telegram_api.called("answerCallbackQuery")) == answered_before + 1
    confirmation = tg_user.press(consent, "Nē")
    reference = REFERENCE.search(confirmation[0]["text"]).group(0)
    stored = stack.register.find(reference)
    assert stored.channel == "telegram" and stored.kind == "complaint"
    status = tg_user.say(f"statuss {reference}")[0]["text"]
    assert reference in status and "reģistrēts" in status


def test_sticker_and_voice_get_a_polite_reply(tg_user: TelegramUser) -> None:
    sticker = {"file_id": "CAAC", "file_unique_id": "u1", "width": 512, "height": 512, "is_animated": False,
               "is_video": False, "type": "regular"}
    reply = tg_user.send({"update_id": next(_update_ids), "message": message(tg_user.id, sticker=sticker)})
    assert "saprotu tikai teksta ziņas" in reply[0]["text"]
    voice = {"file_id": "AwAC", "file_unique_id": "u2", "duration": 3}
    reply = tg_user.send({"update_id": next(_update_ids), "message": message(tg_user.id, voice=voice)})
    assert "saprotu tikai teksta ziņas" in reply[0]["text"]


def test_edited_message_gets_a_polite_reply(tg_user: TelegramUser) -> None:
    edited = message(tg_user.id, text="labots teksts", edit_date=int(time.time()))
    reply = tg_user.send({"update_id": next(_update_ids), "edited_message": edited})
    assert "Labotas ziņas" in reply[0]["text"]


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_missing_or_wrong_secret_is_refused_and_changes_nothing(
    stack: Stack, telegram_api: FakeBotApi, secret: str | None
) -> None:
    user_id, before = next(_user_ids), stack.register.count()
    update = text_update(user_id, "Jau trešo nedēļu neviens nav izvedis atkritumus, esmu neapmierināts")
    assert post(stack, update, secret=secret).status_code == 403
    time.sleep(1)
    assert telegram_api.sent(user_id) == [] and stack.register.count() == before


def test_malformed_update_is_rejected_without_5xx(stack: Stack) -> None:
    response = requests.post(
        f"{stack.rasa_url}/webhooks/telegram/webhook", data="{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}, timeout=30,
    )
    assert response.status_code == 400
    assert post(stack, {"update_id": next(_update_ids)}).status_code == 200


def test_redelivered_update_is_processed_once(stack: Stack, telegram_api: FakeBotApi, tg_user: TelegramUser) -> None:
    question = tg_user.say("Ierosinu uzstādīt vairāk soliņu pilsētas parkā, būtu jauki")[-1]
    consent = tg_user.press(question, "Jā")[-1]
    button = next(row[0] for row in consent["reply_markup"]["inline_keyboard"] if "Nē" in row[0]["text"])
    final = button_update(tg_user.id, button["callback_data"], consent["message_id"])
    before = stack.register.count()
    tg_user.send(final)
    sent = len(telegram_api.sent(tg_user.id))
    assert post(stack, final).status_code == 200
    time.sleep(2)
    assert stack.register.count() == before + 1
    assert len(telegram_api.sent(tg_user.id)) == sent


def test_update_ids_are_remembered_across_restarts_per_bot(stack: Stack) -> None:
    from bot.register import open_register

    update_id = next(_update_ids)
    assert stack.register.claim_telegram_update(123456, update_id)
    reopened = open_register(stack.env["DATABASE_URL"], b"other-process")
    assert not reopened.claim_telegram_update(123456, update_id)
    assert reopened.claim_telegram_update(654321, update_id), "another bot's update with the same id is new"


def test_long_texts_are_split_within_telegram_limits() -> None:
    text = ("Garš teikums par pakalpojumiem. " * 400).strip()
    parts = split_text(text)
    assert len(parts) == 4 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text


def test_long_button_payloads_fit_callback_data() -> None:
    payloads = CallbackPayloads()
    long_payload = '/inform{"service": "' + "x" * 80 + '"}'
    encoded = payloads.encode(long_payload)
    assert len(encoded.encode()) <= MAX_CALLBACK_BYTES and payloads.decode(encoded) == long_payload
    assert payloads.encode("/affirm") == "/affirm"


def test_polling_mode_delivers_each_update_once(telegram_api: FakeBotApi, tmp_path) -> None:
    import asyncio

    from bot.register import migrate, open_register
    from bot.settings import Telegram as TelegramSettings
    from connectors.telegram import TelegramInput

    url = f"sqlite:///{tmp_path / 'register.db'}"
    migrate.upgrade(url)
    config = TelegramSettings(token="42:POLL", secret_token=None, api_url=telegram_api.base_url, mode="polling")
    channel = TelegramInput(config, register=open_register(url, b"secret"))
    user_id = next(_user_ids)
    update = text_update(user_id, "sveiki")
    telegram_api.pending_updates = [update, update]
    received: list[tuple[str, str, str]] = []

    async def on_new_message(message) -> None:  # type: ignore[no-untyped-def]
        received.append((message.text, message.sender_id, message.input_channel))

    async def poll_briefly() -> None:
        task = asyncio.ensure_future(channel.poll(on_new_message))
        await asyncio.sleep(2)
        task.cancel()

    calls_before = len(telegram_api.calls)
    asyncio.run(poll_briefly())
    assert received == [("sveiki", str(user_id), "telegram")]
    polling_calls = [method for method, _ in telegram_api.calls[calls_before:]]
    assert polling_calls[0] == "deleteWebhook" and "getUpdates" in polling_calls
