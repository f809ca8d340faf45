"""Telegram channel for Rasa, built on python-telegram-bot.

Unlike Rasa's built-in (aiogram) channel it makes no call to Telegram at start-up,
checks the webhook secret token, handles each ``update_id`` once (also across
restarts), answers the webhook at once and never with 5xx, and can long-poll for
institutions without a public HTTPS endpoint. It works only in private chats: in a group every
member would read the others' access codes and news, so a group gets one Latvian refusal.

Configuration (environment): TELEGRAM_TOKEN (channel on only when set),
TELEGRAM_SECRET_TOKEN (required in webhook mode), TELEGRAM_API_URL (Bot API base URL,
default https://api.telegram.org/bot), TELEGRAM_MODE (``webhook`` or ``polling``).

A location pin becomes ``/inform{"place": "lat,lon"}``; a photo (or an image sent as a file)
is downloaded (``getFile``, then ``<api base>/file/bot<token>/<file_path>``), checked and
stored by ``bot.register.media`` and becomes ``/inform{"photo": <token>}``; its caption, if
any, goes first as an ordinary message. Refused files are answered here and reach nobody.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import AIORateLimiter, ExtBot

from bot import settings
from bot.register import Register, open_configured_register
from bot.register.media import URL_PREFIX, MediaRefused, MediaStore, open_configured_media, place_payload
from bot.settings import Telegram as TelegramSettings
from bot.staff.commands import is_staff_payload
from connectors.base import OnNewMessage, PaligsInput, json_body

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNEL = "telegram"
UNSUPPORTED_REPLY = (
    "Atvainojiet, saprotu tikai teksta ziņas, pogu nospiešanu, fotogrāfijas un atrašanās vietu. "
    "Lūdzu, uzrakstiet savu jautājumu vai problēmu."
)
PHOTO_FAILED = "Diemžēl foto neizdevās saņemt. Lūdzu, mēģiniet to nosūtīt vēlreiz."
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
EDITED_REPLY = "Labotas ziņas neapstrādāju. Lūdzu, nosūtiet labojumu kā jaunu ziņu."
GROUP_REPLY = ("Es atbildu tikai privātā sarunā, jo pieteikumos un piekļuves kodos ir personīga informācija. "
               "Lūdzu, uzrakstiet man personīgi.")
OLD_BUTTON_REPLY = "Uz šo jautājumu jau ir atbildēts. Lūdzu, izmantojiet pogas pēdējā ziņā vai uzrakstiet, kas jums vajadzīgs."
MAX_CALLBACK_BYTES = 64
DATA_URL_PNG = "data:image/png;base64,"
# Telegram's own commands (also "/start <payload>" from a t.me deep link and "/help@botname"),
# mapped to what the bot understands.
COMMANDS = {"/start": "/greet", "/help": "/greet"}


def command_intent(text: str) -> Optional[str]:
    """The intent a Telegram command stands for, or None when the text is not such a command."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return COMMANDS.get(first.split("@", 1)[0].lower())


def inform_payload(entity: str, value: str) -> str:
    """A message that skips NLU: the ``inform`` intent with one entity."""
    return "/inform" + json.dumps({entity: value})


def photo_file(message: Message) -> Optional[tuple[str, Optional[int]]]:
    """(file id, announced size) of a photo, or of an image sent as a file; None otherwise."""
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return largest.file_id, largest.file_size
    document = message.document
    if document and ((document.mime_type or "").startswith("image/")
                     or (document.file_name or "").lower().endswith(IMAGE_EXTENSIONS)):
        return document.file_id, document.file_size
    return None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> List[str]:
    """Split a text into Telegram-sized parts, preferring line and word boundaries."""
    parts: List[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    return parts + [text] if text else parts


class CallbackPayloads:
    """Button payloads as ``callback_data`` (at most 64 bytes): long ones by a short key."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._long: "OrderedDict[str, str]" = OrderedDict()
        self._capacity = capacity

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_BYTES:
            return payload
        key = "#" + hashlib.sha256(payload.encode()).hexdigest()[:20]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str) -> Optional[str]:
        return self._long.get(data) if data.startswith("#") else data


class TelegramOutput(OutputChannel):
    """Sends the bot's answers to one Telegram chat."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, bot: ExtBot, chat_id: int, payloads: CallbackPayloads, keyboards: "OpenKeyboards",
                 media: Optional[MediaStore] = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.payloads = payloads
        self.keyboards = keyboards
        self.media = media

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in split_text(text):
            await self.bot.send_message(chat_id=self.chat_id, text=part)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """A photo: a ``data:image/png;base64,…`` URL (a chart made here) and a signed media URL
        (a registration's photo, stored here) are uploaded as bytes."""
        if image.startswith(DATA_URL_PNG):
            await self.bot.send_photo(chat_id=self.chat_id, photo=base64.b64decode(image[len(DATA_URL_PNG):]))
        elif image.startswith(URL_PREFIX):
            path = self.media.file_of_url(image) if self.media else None
            if path is not None:
                await self.bot.send_photo(chat_id=self.chat_id, photo=await asyncio.to_thread(path.read_bytes))
        else:
            await self.bot.send_photo(chat_id=self.chat_id, photo=image)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b["title"], callback_data=self.payloads.encode(b["payload"]))] for b in buttons]
        )
        *leading, last = split_text(text) or [""]
        for part in leading:
            await self.bot.send_message(chat_id=self.chat_id, text=part)
        sent = await self.bot.send_message(chat_id=self.chat_id, text=last or "…", reply_markup=keyboard)
        self.keyboards.opened(self.chat_id, sent.message_id)


class OpenKeyboards:
    """The one keyboard in each chat whose buttons still answer the bot's open question.

    A keyboard stays open until the user's next message or button press; a button on any
    other message is out of date. Chats not seen since start-up accept any button.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._open: "OrderedDict[int, Optional[int]]" = OrderedDict()
        self._capacity = capacity

    def _set(self, chat_id: int, message_id: Optional[int]) -> None:
        self._open[chat_id] = message_id
        self._open.move_to_end(chat_id)
        while len(self._open) > self._capacity:
            self._open.popitem(last=False)

    def opened(self, chat_id: int, message_id: int) -> None:
        self._set(chat_id, message_id)

    def answered(self, chat_id: int) -> None:
        self._set(chat_id, None)

    def is_outdated(self, chat_id: int, message_id: int) -> bool:
        return chat_id in self._open and self._open[chat_id] != message_id


class TelegramInput(PaligsInput):
    """Receives Telegram updates by webhook or long polling and hands them to Rasa."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(settings.load().telegram)

    def __init__(self, config: TelegramSettings, register: Optional[Register] = None) -> None:
        self.config = config
        self.payloads = CallbackPayloads()
        self.keyboards = OpenKeyboards()
        self._register = register
        self._media: Optional[MediaStore] = None
        self._tasks: set[asyncio.Task] = set()
        self.bot: Optional[ExtBot] = (
            ExtBot(config.token, base_url=config.api_url, base_file_url=config.file_url,
                   rate_limiter=AIORateLimiter(max_retries=3))
            if config.token
            else None
        )

    @property
    def register(self) -> Register:
        if self._register is None:
            self._register = open_configured_register()
        return self._register

    @property
    def media(self) -> MediaStore:
        if self._media is None:
            self._media = open_configured_media()
        return self._media

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.bot else "disabled"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.bot is None or self.config.mode != "webhook":
                return response.json({"error": "Telegram channel is not enabled"}, status=404)
            if not self._secret_ok(request.headers.get(SECRET_HEADER)):
                return response.json({"error": "forbidden"}, status=403)
            data, refusal = json_body(request)
            if refusal:
                return refusal
            try:
                update = Update.de_json(data, self.bot)
            except Exception:  # not an Update
                return response.json({"error": "malformed update"}, status=400)
            self._spawn(self.handle(update, on_new_message))
            return response.json({"status": "accepted"})

        @telegram_webhook.listener("after_server_start")
        async def start_polling(*_: Any) -> None:
            if self.bot is not None and self.config.mode == "polling":
                self._spawn(self.poll(on_new_message))

        return telegram_webhook

    @property
    def bot_id(self) -> int:
        """The bot's own id: the number before the colon of its token."""
        assert self.config.token is not None
        return int(self.config.token.split(":", 1)[0])

    def _secret_ok(self, given: Optional[str]) -> bool:
        expected = self.config.secret_token
        # As bytes: compare_digest refuses non-ASCII str (a 500), and such a header is just wrong.
        return bool(expected and given and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def poll(self, on_new_message: OnNewMessage) -> None:
        """Long-poll getUpdates forever, backing off while Telegram is unreachable.

        A webhook left set makes Telegram refuse getUpdates (409), so it is deleted first.
        """
        assert self.bot is not None
        try:
            await self.bot.delete_webhook()
        except Exception as error:
            logger.error("Telegram deleteWebhook failed (%s): while a webhook is set, polling gets nothing", error)
        offset, backoff = None, 1.0
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=30)
                backoff = 1.0
            except Exception as error:
                logger.warning("Telegram getUpdates failed (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            for update in updates:
                offset = update.update_id + 1
                await self.handle(update, on_new_message)

    async def handle(self, update: Update, on_new_message: OnNewMessage) -> None:
        """Process one update once; failures are logged, never raised to Telegram."""
        try:
            if not await asyncio.to_thread(self.register.claim_telegram_update, self.bot_id, update.update_id):
                return
            await self._dispatch(update, on_new_message)
        except Exception:
            logger.exception("Telegram update %s could not be processed", update.update_id)

    async def _dispatch(self, update: Update, on_new_message: OnNewMessage) -> None:
        assert self.bot is not None
        chat = update.effective_chat
        if chat is not None and chat.type != "private":
            if update.message is not None:
                await self.bot.send_message(chat_id=chat.id, text=GROUP_REPLY)
            elif update.callback_query:
                await update.callback_query.answer()
            return
        if update.callback_query:
            query = update.callback_query
            await query.answer()
            payload = self.payloads.decode(query.data or "")
            chat = query.message.chat.id if query.message else query.from_user.id
            standing = is_staff_payload(payload or "")  # staff list and card buttons stay valid
            if query.message and not standing and self.keyboards.is_outdated(chat, query.message.message_id):
                await self.bot.send_message(chat_id=chat, text=OLD_BUTTON_REPLY)
            elif payload:
                await self._to_rasa(payload, query.from_user.id, chat, on_new_message)
            else:
                await self.bot.send_message(chat_id=chat, text="Šī poga vairs nav aktīva. Lūdzu, uzrakstiet atbildi.")
            return
        if update.edited_message:
            await self.bot.send_message(chat_id=update.edited_message.chat.id, text=EDITED_REPLY)
            return
        message = update.message
        if message is None or message.from_user is None:
            return
        if message.location is not None:
            place = place_payload(message.location.latitude, message.location.longitude)
            await self._to_rasa(inform_payload("place", place), message.from_user.id, message.chat.id, on_new_message)
            return
        photo = photo_file(message)
        if photo is not None:
            if message.caption:
                await self._to_rasa(message.caption, message.from_user.id, message.chat.id, on_new_message)
            await self._photo(photo, message.from_user.id, message.chat.id, on_new_message)
            return
        if message.text is None:
            await self.bot.send_message(chat_id=message.chat.id, text=UNSUPPORTED_REPLY)
            return
        text = command_intent(message.text) or message.text
        await self._to_rasa(text, message.from_user.id, message.chat.id, on_new_message)

    async def _photo(self, photo: tuple[str, Optional[int]], user_id: int, chat_id: int,
                     on_new_message: OnNewMessage) -> None:
        """Download, check and store a photo, then hand the conversation its token."""
        assert self.bot is not None
        file_id, size = photo
        try:
            self.media.check_size(size)
            found = await self.bot.get_file(file_id)
            self.media.check_size(found.file_size)
            data = bytes(await found.download_as_bytearray())
            stored = await asyncio.to_thread(self.media.accept, data, CHANNEL)
        except MediaRefused as refused:
            await self.bot.send_message(chat_id=chat_id, text=str(refused))
            return
        except Exception:
            logger.exception("A Telegram photo could not be received")
            await self.bot.send_message(chat_id=chat_id, text=PHOTO_FAILED)
            return
        token = self.media.token(stored, owner=str(user_id))
        await self._to_rasa(inform_payload("photo", token), user_id, chat_id, on_new_message)

    async def _to_rasa(self, text: str, user_id: int, chat_id: int, on_new_message: OnNewMessage) -> None:
        self.keyboards.answered(chat_id)
        output = TelegramOutput(self.bot, chat_id, self.payloads, self.keyboards, self.media)  # type: ignore[arg-type]
        await on_new_message(
            UserMessage(text, output, sender_id=str(user_id), input_channel=CHANNEL, metadata={"chat_id": chat_id})
        )
