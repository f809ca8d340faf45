"""REST channel for trusted integrations (the portal back end, tests, other systems).

Rasa's own REST channel takes any body (an empty one gives 500), trusts the client's
``input_channel`` and ``metadata`` and has no authentication. This one: with REST_TOKEN
set, requires ``Authorization: Bearer <token>`` (401 otherwise); accepts only a JSON
object of at most 64 KB with string ``sender`` and ``message`` (400 with a short JSON
error otherwise); keeps senders in a namespace of their own (``rest-<sender>``); and always
records the channel as ``rest``, without client metadata.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ingress import MAX_BODY_BYTES, body_problem, namespaced

logger = logging.getLogger(__name__)


def bad_request(reason: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def json_body(request: Request) -> tuple[Any, Optional[HTTPResponse]]:
    """The request's JSON body, or the 400 answer for one that is too large or not JSON."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return None, bad_request(f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    try:
        return json.loads(request.body or b""), None
    except (ValueError, UnicodeDecodeError):
        return None, bad_request("the body is not JSON")


class RestInput(InputChannel):
    """POST /webhooks/rest/webhook ``{"sender": "...", "message": "..."}`` → the bot's answers."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(os.environ.get("REST_TOKEN") or None)

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token

    def _authorised(self, request: Request) -> bool:
        if self.token is None:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("paligs_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401, headers={"WWW-Authenticate": "Bearer"})
            data, refusal = json_body(request)
            if refusal:
                return refusal
            problem = body_problem(data, sender_key="sender")
            if problem:
                return bad_request(problem)
            collector = CollectingOutputChannel()
            sender = namespaced(self.name(), data["sender"])
            await on_new_message(UserMessage(data["message"], collector, sender, input_channel=self.name()))
            return response.json(collector.messages)

        return rest
