"""The action server, reachable only by the Rasa server.

Rasa SDK's own server listens on every interface and runs any action for any caller.
This one binds to ACTIONS_HOST (loopback by default) and refuses, before any action runs,
every request without the shared token (``X-Action-Token``, sent by Rasa from
``endpoints.yml``); only ``GET /health`` stays open. Errors never echo the request.
Usage: ``python -m bot.action_server``.
"""
from __future__ import annotations

import hmac
import json
import logging
import zlib
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logs, settings

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})
logger = logging.getLogger(__name__)


def token_ok(given: Optional[str], expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def action_call(request: Request) -> Any:
    """The JSON body of an action call (Rasa may deflate it), or None when it is not one."""
    try:
        body = request.body
        if request.headers.get("Content-Encoding") == "deflate":
            body = zlib.decompress(body)
        call = json.loads(body)
    except (ValueError, zlib.error):
        return None
    valid = isinstance(call, dict) and isinstance(call.get("next_action"), str) and isinstance(call.get("tracker"), dict)
    return call if valid else None


def create_action_server(token: str) -> Sanic:
    """Rasa SDK's application with the token check in front of every action."""
    app = create_app("actions", cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if not token_ok(request.headers.get(TOKEN_HEADER), token):
            logger.warning("Refused a call to %s without a valid token from %s", request.path, request.ip)
            return response.json({"error": "forbidden"}, status=403)
        if request.path == "/webhook" and action_call(request) is None:
            return response.json({"error": "the body is not an action call"}, status=400)
        return None

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            logger.exception("Action call failed", exc_info=exception)
        return response.json({"error": "bad request" if status < 500 else "internal error"}, status=status)

    app.error_handler.add(Exception, failed)
    return app


def main() -> None:
    config = settings.load()
    logs.configure(config)
    app = create_action_server(config.actions_token())
    app.run(config.actions_host, config.actions_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
