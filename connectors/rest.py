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
import logging
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from connectors.base import OnNewMessage, PaligsInput, bearer_token, error, json_body, unauthorised
from connectors.ingress import body_problem, namespaced

logger = logging.getLogger(__name__)


class RestInput(PaligsInput):
    """POST /webhooks/rest/webhook ``{"sender": "...", "message": "..."}`` → the bot's answers."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(settings.load().rest_token)

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token

    def _authorised(self, request: Request) -> bool:
        if self.token is None:
            return True
        return hmac.compare_digest((bearer_token(request) or "").encode(), self.token.encode())

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        rest = Blueprint("paligs_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return unauthorised()
            data, refusal = json_body(request)
            if refusal:
                return refusal
            problem = body_problem(data, sender_key="sender")
            if problem:
                return error(problem)
            collector = CollectingOutputChannel()
            sender = namespaced(self.name(), data["sender"])
            await on_new_message(UserMessage(data["message"], collector, sender, input_channel=self.name()))
            return response.json(collector.messages)

        return rest
