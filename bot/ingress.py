"""The one door every user message passes before NLU, the conversation store and the actions.

Every channel (REST, socket.io, Telegram, the staff chat and any to come) hands its messages
to Rasa's ``Agent.handle_message``; ``bot.server.Ingress`` puts the functions here in front
of it. The text is cleaned (control and zero-width characters removed, length capped) and
its personal codes are masked; typed internal intents and anyone else's staff payloads
become plain text, a verified staff member's command becomes a staff payload; and a sender
who writes faster than the flood limit gets one "please write slower" per minute while the
excess is dropped.
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections import deque
from typing import Any, Hashable, Optional

from bot import staff_commands
from bot.privacy import mask_personal_codes

MAX_MESSAGE_CHARS = 20_000
SLOW_DOWN = "Lūdzu, rakstiet lēnāk: saņēmu pārāk daudz ziņu īsā laikā. Pēc brīža varēsim turpināt."
WINDOW_SECONDS = 60.0
_KEEP = {"\n", "\t"}
# Rasa's own intents a user must not trigger by typing "/restart" and the like.
INTERNAL_INTENTS = frozenset({"restart", "back", "session_start", "nlu_fallback"})
_TYPED_INTENT = re.compile(r"^\s*/([^\s{@]+)")


def clean_text(text: Optional[str]) -> str:
    """The text as the bot may see it: NFC, no control or invisible characters, capped, masked."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c for c in text if c in _KEEP or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return mask_personal_codes(text[:MAX_MESSAGE_CHARS])


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


MAX_BODY_BYTES = 64 * 1024


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
