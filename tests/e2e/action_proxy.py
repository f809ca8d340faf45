"""A loopback proxy between the Rasa server and the action server, to lose an answer on purpose."""
from __future__ import annotations

import asyncio
import json
from typing import Callable, Optional

import aiohttp
from aiohttp import web

from tests.e2e.loopback import serve_in_thread


class ActionProxy:
    """Forwards every call; when armed, lets one action's call commit, runs a hook, then drops the answer."""

    def __init__(self, target: str) -> None:
        self.target = target  # e.g. http://127.0.0.1:5055
        self.port = 0
        self._armed: Optional[tuple[str, Callable[[], None]]] = None

    def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self.port = serve_in_thread(app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def lose_answer_of(self, action: str, after_commit: Callable[[], None]) -> None:
        """The next call of ``action`` runs for real; then ``after_commit`` runs and the answer is lost."""
        self._armed = (action, after_commit)

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        try:
            async with aiohttp.ClientSession() as session:
                async with session.request(request.method, f"{self.target}{request.path_qs}", data=body,
                                           headers=headers) as answer:
                    payload, status = await answer.read(), answer.status
                    content_type = answer.headers.get("Content-Type", "application/json")
        except aiohttp.ClientError:
            return web.json_response({"error": "action server unreachable"}, status=502)
        if self._armed and body and json.loads(body).get("next_action") == self._armed[0]:
            _, after_commit = self._armed
            self._armed = None
            await asyncio.to_thread(after_commit)
            assert request.transport is not None
            request.transport.close()  # the answer is lost on the way back
        return web.Response(body=payload, status=status, headers={"Content-Type": content_type})
