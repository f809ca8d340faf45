"""The one door every user message passes before NLU, the conversation store and the actions.

Every channel (REST, socket.io, Telegram, the staff chat and any to come) is a
``connectors.base.PaligsInput``, which hands each message to ``Door.admit`` before Rasa sees
it. The text is cleaned (control and zero-width characters removed, length capped) and
its personal codes are masked; typed internal intents and anyone else's staff payloads
become plain text, a verified staff member's command becomes a staff payload; and a sender
who writes faster than the flood limit gets one "please write slower" per minute while the
excess is dropped. Doors without authentication (socket.io, REST without a token) also name
the client's address (``CLIENT_ADDRESS``, set by the channel from the connection, never from
the body): it is counted against a per-address limit too, and replaced before Rasa sees the
message by a keyed hash (``CLIENT``) that the registration action counts new registrations by.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import time
import unicodedata
from collections import deque
from typing import Any, Callable, Hashable, Optional

from rasa.core.channels.channel import UserMessage

from bot.privacy import keyed_hash, mask_personal_codes
from bot.register import MAX_TEXT_LENGTH
from bot.settings import MAX_BODY_BYTES
from bot.staff import commands as staff_commands
from bot.staff.directory import VERIFIED_CHANNELS, StaffDirectory, open_directory, verified_staff

logger = logging.getLogger(__name__)
SLOW_DOWN = "Lūdzu, rakstiet lēnāk: saņēmu pārāk daudz ziņu īsā laikā. Pēc brīža varēsim turpināt."
WINDOW_SECONDS = 60.0
_KEEP = {"\n", "\t"}
# Rasa's own intents a user must not trigger by typing "/restart" and the like.
INTERNAL_INTENTS = frozenset({"restart", "back", "session_start", "nlu_fallback"})
_TYPED_INTENT = re.compile(r"^\s*/([^\s{@]+)")
CLIENT_ADDRESS = "client_address"  # metadata a channel sets: the client's address (never stored)
CLIENT = "client"  # metadata the door puts in its place: the address's keyed hash


def _in_any(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)
    except ValueError:
        return False


def client_address(peer: Optional[str], forwarded_for: Optional[str], trusted_proxies: tuple[str, ...]) -> str:
    """The address of the client behind a request.

    The connecting peer's, unless the peer is a trusted proxy (TRUSTED_PROXIES, addresses or
    networks): then ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and
    the first other address is the client. A client can prepend anything to the header, so
    nothing left of that address is believed.
    """
    address = (peer or "").strip()
    if not _in_any(address, trusted_proxies):
        return address
    for hop in reversed([hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]):
        address = hop
        if not _in_any(hop, trusted_proxies):
            break
    return address


def clean_text(text: Optional[str]) -> str:
    """The text as the bot may see it: NFC, no control or invisible characters, capped, masked."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c for c in text if c in _KEEP or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return mask_personal_codes(text[:MAX_TEXT_LENGTH])


def as_plain_text_unless_allowed(text: str, allowed_intents: frozenset[str]) -> str:
    """A typed "/intent" the domain does not offer (or one of Rasa's internal ones) is just text.

    Buttons send "/affirm", "/inform{...}" and the like, so those stay as they are.
    """
    match = _TYPED_INTENT.match(text)
    if match and (match.group(1) not in allowed_intents or match.group(1) in INTERNAL_INTENTS):
        return text.replace("/", "", 1)
    return text


def as_staff_command(text: str) -> str:
    """A verified staff member's message that reads as a staff command, as a staff payload.

    The original text travels as the ``staff_query`` entity; anything else is left as it is
    (staff may ask what citizens ask).
    """
    if text.lstrip().startswith("/") or staff_commands.parse(text) is None:
        return text
    return staff_commands.staff_payload(text)


def without_staff_payload(text: str) -> str:
    """Anyone else's typed staff payload is plain text."""
    return text.replace("/", "", 1) if staff_commands.is_staff_payload(text) else text


class FloodLimit:
    """At most ``per_minute`` messages per sender in any sliding minute."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.per_minute = per_minute
        self._clock = clock
        self._recent: dict[Hashable, deque[float]] = {}
        self._warned_at: dict[Hashable, float] = {}

    def admit(self, sender: Hashable) -> tuple[bool, bool]:
        """(admitted, warn): whether to process the message, and whether to say "slower" now."""
        now = self._clock()
        if len(self._recent) > 10_000:
            self._forget_idle(now)
        recent = self._recent.setdefault(sender, deque())
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) < self.per_minute:
            recent.append(now)
            return True, False
        warned = self._warned_at.get(sender)
        if warned is not None and now - warned < WINDOW_SECONDS:
            return False, False
        self._warned_at[sender] = now
        return False, True

    def _forget_idle(self, now: float) -> None:
        for sender in [s for s, r in self._recent.items() if not r or now - r[-1] >= WINDOW_SECONDS]:
            self._recent.pop(sender, None)
            self._warned_at.pop(sender, None)


def read_json(raw: Optional[bytes]) -> tuple[Any, Optional[str]]:
    """A request body as JSON: (value, None), or (None, why it is refused) for one too large or not JSON."""
    if len(raw or b"") > MAX_BODY_BYTES:
        return None, f"the body is larger than {MAX_BODY_BYTES // 1024} KB"
    try:
        return json.loads(raw or b""), None
    except (ValueError, UnicodeDecodeError):
        return None, "the body is not JSON"


def namespaced(channel_prefix: str, sender: str) -> str:
    """A client-chosen sender id in its channel's own namespace.

    Rasa keys conversations by sender id alone, so a REST ``sender`` or a socket.io session id
    chosen as "424242" would otherwise join the Telegram conversation of user 424242.
    Telegram ids are digits and never carry a prefix.
    """
    prefix = f"{channel_prefix}-"
    return sender if sender.startswith(prefix) else prefix + sender


MAX_SENDER_CHARS = 128


def body_problem(data: Any, *, sender_key: str) -> Optional[str]:
    """Why a channel's message body is unacceptable (a short English reason), or None."""
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    sender = data.get(sender_key)
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return f"'{sender_key}' must be a non-empty string of at most {MAX_SENDER_CHARS} characters"
    if not isinstance(data.get("message"), str):
        return "'message' must be a string"
    return None


class Door:
    """The checks above, applied to one message on its way to Rasa.

    ``intents`` answers the intents of the loaded model's domain (a button may send those).
    """

    def __init__(self, flood_limit: int, intents: Callable[[], frozenset[str]],
                 directory: Optional[StaffDirectory] = None, address_limit: int = 60,
                 client_secret: bytes = b"") -> None:
        self.flood = FloodLimit(flood_limit)
        self.address_flood = FloodLimit(address_limit)
        self.intents = intents
        self._directory = directory
        self._client_secret = client_secret

    def client_of(self, message: UserMessage) -> Optional[str]:
        """Take the channel's client address off the message; put its keyed hash in its place."""
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        address = metadata.pop(CLIENT_ADDRESS, None)
        if not address:
            return None
        metadata[CLIENT] = keyed_hash(self._client_secret, f"client:{address}")[:32]
        message.metadata = metadata
        return address

    async def is_staff(self, message: UserMessage) -> bool:
        if message.input_channel not in VERIFIED_CHANNELS:
            return False
        if self._directory is None:
            self._directory = open_directory()
        return await asyncio.to_thread(verified_staff, self._directory, message.input_channel, message.sender_id) is not None

    async def admit(self, message: UserMessage) -> bool:
        """Clean the message in place; False when it is dropped (the sender was told if need be)."""
        text = clean_text(message.text)
        intents = self.intents()
        if await self.is_staff(message):
            message.text = as_plain_text_unless_allowed(as_staff_command(text), intents)
        else:
            message.text = as_plain_text_unless_allowed(without_staff_payload(text), intents)
        address = self.client_of(message)
        admitted, warn = self.flood.admit((message.input_channel, message.sender_id))
        if admitted and address is not None:
            admitted, warn = self.address_flood.admit(address)
        if admitted:
            return True
        logger.warning("Flood limit: dropped a message from a %s sender", message.input_channel)
        if warn:
            await message.output_channel.send_text_message(message.sender_id, SLOW_DOWN)
        return False
