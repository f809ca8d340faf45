"""A local stand-in for the Telegram Bot API (aiohttp on loopback) that records calls."""
from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from tests.loopback import serve_in_thread


class FakeBotApi:
    """Answers Bot API methods like Telegram does and keeps what the bot sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.pending_updates: list[dict] = []
        self._message_id = 0
        self.port = 0

    def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.port = serve_in_thread(app)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: _maybe_json(v) for k, v in (await request.post()).items()}
        self.calls.append((method, params))
        if method == "getUpdates":
            updates, self.pending_updates = self.pending_updates, []
            return web.json_response({"ok": True, "result": updates})
        if method == "sendMessage":
            self._message_id += 1
            params["message_id"] = self._message_id  # what the bot was told, for pressing its buttons later
            result: Any = {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
            return web.json_response({"ok": True, "result": result})
        return web.json_response({"ok": True, "result": True})

    def sent(self, chat_id: int) -> list[dict]:
        return [p for m, p in self.calls if m == "sendMessage" and int(p["chat_id"]) == chat_id]

    def called(self, method: str) -> list[dict]:
        return [p for m, p in self.calls if m == method]


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
