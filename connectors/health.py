"""``GET /health`` for operators and load balancers, served by a channel blueprint.

200 only when the model is loaded and both the action server and the register answer, else
503; the body says which part is down.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot import settings
from bot.register import create_register_engine
from connectors.base import OnNewMessage

TIMEOUT_SECONDS = 3


async def health_report(app: Sanic, actions_url: str, engine: Engine) -> dict:
    """Whether the model is loaded and the action server and the register answer."""
    agent = getattr(app.ctx, "agent", None)
    report = {"model": bool(agent and agent.is_ready())}
    health_url = actions_url.rsplit("/", 1)[0] + "/health"
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(health_url) as answer:
            report["action_server"] = answer.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        report["action_server"] = False

    def register_answers() -> bool:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one() == 1

    try:
        report["register"] = await asyncio.wait_for(asyncio.to_thread(register_answers), TIMEOUT_SECONDS)
    except Exception:  # any failure of the database is "not healthy"
        report["register"] = False
    return report


class HealthInput(InputChannel):
    """Not a chat channel: the blueprint of ``GET /health`` (mounted at the server's root)."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        config = settings.load()
        return cls(config.actions_url, create_register_engine(config.database_url))

    def __init__(self, actions_url: str, engine: Engine) -> None:
        self.actions_url = actions_url
        self.engine = engine

    def url_prefix(self) -> Text:
        return "/health"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        health = Blueprint("paligs_health", __name__)

        @health.route("", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            found = await health_report(request.app, self.actions_url, self.engine)
            return response.json(found, status=200 if all(found.values()) else 503)

        return health
