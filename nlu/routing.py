"""What the bot does with a parsed message: one decision, shared by the dialogue and the evaluation.

The NLU pipeline's last component (``LatvianFallbackClassifier``) calls :func:`decide` and
writes the :class:`Route` into the parse data (``route``); ``action_capture_request`` reads
the proposed kind from it, and ``bot.evaluate`` measures it. So the evaluation reports what
the bot does, not what DIET alone guessed.

A message of substance (several words, not small talk, not a clear guideline question or
status check) is never answered with "nesapratu": when the bot is unsure of its kind, it
offers to register it and asks which kind it is. A message that names a registration's
reference is about that registration: a status check, or more to say about it (the status
action adds a reply to a notification to that registration).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Text

from bot.register.references import parse_reference
from nlu.latvian_text import words

ROUTE = "route"  # parse-data key of the decision
REGISTRATION_KINDS = ("complaint", "suggestion", "service_request")
INFORMATION_REQUEST = "information_request"  # a question to the institution: a service request for that service
ASK_INSTITUTION = "ask_institution"
FAQ = "faq"
FALLBACK = "nlu_fallback"
CHECK_STATUS = "check_status"
# The intent whose rule starts the registration for each proposed kind (all four rules are alike).
INTENT_OF_KIND = {**{kind: kind for kind in REGISTRATION_KINDS}, INFORMATION_REQUEST: ASK_INSTITUTION}
KIND_OF_INTENT = {intent: kind for kind, intent in INTENT_OF_KIND.items()}
# Intents that are never long: a long message that gets one of them was misread.
SHORT_INTENTS = frozenset({"greet", "affirm", "deny", "cancel"})
# Intents an unsure message of substance is not registered from: the bot asks to rephrase instead.
NOT_REGISTERED_WHEN_UNSURE = frozenset({CHECK_STATUS, "inform"})
# A message of substance has at least this many words; a long message at least LONG_WORDS.
SUBSTANCE_WORDS = 5
LONG_WORDS = 12
_MARKUP = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Route:
    """The bot's reaction: ``register`` (proposing ``kind``, or asking which kind when it is
    None), ``answer_guideline``, ``not_understood`` ("nesapratu"), or ``reply`` (the rule of
    ``intent``: status, small talk, handoff, ...)."""

    action: Text
    intent: Optional[Text]
    kind: Optional[Text] = None

    def as_dict(self) -> Dict[Text, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[Text, Any]) -> "Route":
        return cls(data["action"], data.get("intent"), data.get("kind"))

    @property
    def registers(self) -> bool:
        return self.action == "register"


def has_substance(text: str) -> bool:
    """Several words (of letters, outside markup): something that can be registered.
    Whether it is small talk is for the intent to say."""
    lettered = [word for word in words(_MARKUP.sub(" ", text)) if len(word) > 1 and word.isalpha()]
    return len(lettered) >= SUBSTANCE_WORDS


def decide(text: str, ranking: List[Dict[Text, Any]], unsure: bool) -> Route:
    """What the bot does with a message, given the intent ranking (best first) and whether
    the classifier is unsure (low confidence, two intents too close, or no words at all)."""
    intent = ranking[0]["name"] if ranking else None
    if parse_reference(text) and has_substance(text):
        return Route("reply", CHECK_STATUS)
    if not unsure and intent in SHORT_INTENTS and len(words(text)) >= LONG_WORDS:
        unsure = True  # "Labdien! ..." followed by a whole story is not a greeting
    if not unsure:
        if intent == FAQ:
            return Route("answer_guideline", FAQ)
        if intent in KIND_OF_INTENT:
            return Route("register", intent, KIND_OF_INTENT[intent])
        return Route("reply", intent)
    if has_substance(text) and intent not in NOT_REGISTERED_WHEN_UNSURE:
        carrier = next((r["name"] for r in ranking if r["name"] in KIND_OF_INTENT), REGISTRATION_KINDS[0])
        return Route("register", carrier, None)
    return Route("not_understood", FALLBACK)
