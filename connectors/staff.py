"""The staff chat channel of the portal's staff page (``/staff``).

Every message must carry ``Authorization: Bearer <token>``, a short-lived token the
portal signed at login (``bot.staff``). The token is verified on every message, the
login it names must still be in the staff directory and the token must not have been revoked
by a logout (its generation is the login's current one); the sender is taken from the token,
never from the body. Bodies: a JSON object ``{"message": "..."}`` of at most 64 KB.

``POST /webhooks/staff/classify`` ``{"text": "..."}`` (same token) answers the kind the
classifier suggests for a registration staff are entering and the catalogue service the
text names: ``{"kind": "complaint" | "suggestion" | "service_request" | null, "service": id | null}``.
Nothing is stored and no conversation is touched.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.staff.auth import token_key
from bot.staff.directory import StaffDirectory, open_directory
from connectors.base import OnNewMessage, PaligsInput, bearer_token, error, json_body, unauthorised
from connectors.ingress import clean_text, namespaced
from knowledge_base.catalogue import load_catalogue
from nlu.routing import INFORMATION_REQUEST, ROUTE, Route

CHANNEL = "staff"


class StaffInput(PaligsInput):
    """POST /webhooks/staff/webhook with a staff token → the bot's answers."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(token_key(settings.load()))

    def __init__(self, key: str, directory: Optional[StaffDirectory] = None) -> None:
        self.key = key
        self._directory = directory

    @property
    def directory(self) -> StaffDirectory:
        if self._directory is None:
            self._directory = open_directory()
        return self._directory

    async def staff_login(self, request: Request) -> Optional[str]:
        """The verified login behind the request's token, or None."""
        return await asyncio.to_thread(self.directory.login_of_token, self.key, bearer_token(request))

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        staff = Blueprint("paligs_staff", __name__)

        @staff.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            login = await self.staff_login(request)
            if login is None:
                return unauthorised()
            data, refusal = json_body(request)
            if refusal:
                return refusal
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return error("'message' must be a string")
            collector = CollectingOutputChannel()
            sender = namespaced(CHANNEL, login)
            await on_new_message(UserMessage(data["message"], collector, sender, input_channel=CHANNEL))
            return response.json(collector.messages)

        @staff.route("/classify", methods=["POST"])
        async def classify(request: Request) -> HTTPResponse:
            if await self.staff_login(request) is None:
                return unauthorised()
            data, refusal = json_body(request)
            if refusal:
                return refusal
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                return error("'text' must be a string")
            text = clean_text(data["text"]).strip()
            agent = getattr(request.app.ctx, "agent", None)
            if not text or agent is None or not agent.is_ready():
                return response.json({"kind": None, "service": None})
            return response.json(await suggestion(agent, text))

        return staff

        return staff


async def suggestion(agent: Any, text: str) -> Dict[str, Optional[str]]:
    """The kind the classifier proposes for a text (a question: a request for information) and its service."""
    parsed = await agent.parse_message(text)
    route = Route.from_dict(parsed[ROUTE]) if parsed.get(ROUTE) else None
    kind = route.kind if route is not None and route.registers else None
    service = load_catalogue().identify(text)
    if kind == INFORMATION_REQUEST:
        return {"kind": "service_request", "service": INFORMATION_REQUEST}
    return {"kind": kind, "service": service.id if service else None}
