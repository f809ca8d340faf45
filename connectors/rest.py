"""REST channel for trusted integrations (the portal back end, tests, other systems).

Rasa's own REST channel takes any body (an empty one gives 500), trusts the client's
``input_channel`` and ``metadata`` and has no authentication. This one: with REST_TOKEN
set, requires ``Authorization: Bearer <token>`` (401 otherwise); without it, answers only
clients on this host (the peer's address, or ``X-Forwarded-For`` behind a trusted proxy;
401 otherwise) and counts them by address (``connectors.ingress``); accepts only a JSON
object of at most 64 KB with string ``sender`` and ``message`` (400 with a short JSON
error otherwise); keeps senders in a namespace of their own (``rest-<sender>``); and always
records the channel as ``rest``, without client metadata.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.settings import is_loopback
from connectors.base import OnNewMessage, PaligsInput, bearer_token, error, json_body, unauthorised
from connectors.ingress import CLIENT_ADDRESS, body_problem, client_address, namespaced

logger = logging.getLogger(__name__)
LOOPBACK_ONLY = ("REST_TOKEN is not set, so the REST channel answers only clients on this host; "
                 "the operator must set REST_TOKEN to let other clients in")


class RestInput(PaligsInput):
    """POST /webhooks/rest/webhook ``{"sender": "...", "message": "..."}`` → the bot's answers."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        config = settings.load()
        return cls(config.rest_token, config.trusted_proxies)

    def __init__(self, token: Optional[str] = None, trusted_proxies: Tuple[str, ...] = ()) -> None:
        self.token = token
        self.trusted_proxies = trusted_proxies

    def _refusal(self, request: Request) -> Optional[HTTPResponse]:
        """The 401 for a request this channel does not serve, else None."""
        if self.token is not None:
            given = (bearer_token(request) or "").encode()
            return None if hmac.compare_digest(given, self.token.encode()) else unauthorised()
        if is_loopback(self._client(request)):
            return None
        return response.json({"error": LOOPBACK_ONLY}, status=401)

    def _client(self, request: Request) -> str:
        return client_address(request.ip, request.headers.get("X-Forwarded-For"), self.trusted_proxies)

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        rest = Blueprint("paligs_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = self._refusal(request)
            if refusal:
                return refusal
            data, refusal = json_body(request)
            if refusal:
                return refusal
            problem = body_problem(data, sender_key="sender")
            if problem:
                return error(problem)
            collector = CollectingOutputChannel()
            sender = namespaced(self.name(), data["sender"])
            # Without a token the client is anonymous: the door counts it by address.
            metadata = {CLIENT_ADDRESS: self._client(request)} if self.token is None else None
            await on_new_message(UserMessage(data["message"], collector, sender, input_channel=self.name(),
                                             metadata=metadata))
            return response.json(collector.messages)

        return rest
