"""The base of every Palīgs input channel: messages pass the ingress door before Rasa sees them.

A channel implements ``routes(on_new_message)`` (what ``blueprint`` is for Rasa's own channels);
``blueprint`` hands it an ``on_new_message`` that first applies ``connectors.ingress.Door``.
One door serves every channel of the process, so the flood limit counts across channels.
Also here: the one bearer-token reader and the short JSON answers the channels give.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from connectors.ingress import Door, read_json

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class _LoadedModel:
    """The intents of the model the Rasa server has loaded (known once the server starts)."""

    app: Optional[Sanic] = None

    def attach(self, app: Sanic, _loop: Any = None) -> None:
        self.app = app

    def intents(self) -> frozenset[str]:
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        return frozenset(agent.domain.intents) if agent and agent.domain else frozenset()


_model = _LoadedModel()
_door: Optional[Door] = None


def door() -> Door:
    """The process's ingress door."""
    global _door
    if _door is None:
        config = settings.load()
        _door = Door(config.flood_limit, _model.intents, address_limit=config.address_flood_limit,
                     client_secret=config.derived_secret("client-address").encode())
    return _door


class PaligsInput(InputChannel):
    """An input channel whose messages pass the ingress door."""

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        """The channel's blueprint; ``on_new_message`` already applies the door."""
        raise NotImplementedError

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        gate = door()

        async def through_door(message: UserMessage) -> None:
            if await gate.admit(message):
                await on_new_message(message)

        blueprint = self.routes(through_door)
        blueprint.listener("after_server_start")(_model.attach)
        return blueprint


def error(reason: str, status: int = 400) -> HTTPResponse:
    """A short JSON refusal."""
    return response.json({"error": reason}, status=status)


def unauthorised() -> HTTPResponse:
    return response.json({"error": "unauthorised"}, status=401, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(request: Any) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header, or None (any request with ``headers``)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" and token else None


def json_body(request: Request) -> tuple[Any, Optional[HTTPResponse]]:
    """The request's JSON body, or the 400 answer for one that is too large or not JSON."""
    data, problem = read_json(request.body)
    return data, (error(problem) if problem else None)
