"""A local stand-in for the Telegram Bot API (aiohttp on loopback) that records calls."""
from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Any

from aiohttp import web

from tests.e2e.loopback import serve_in_thread


class FakeBotApi:
    """Answers Bot API methods like Telegram does and keeps what the bot sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.pending_updates: list[dict] = []
        self._message_id = 0
        self.port = 0
        self.failures: dict[int, list[int]] = defaultdict(list)  # chat id -> HTTP statuses of its next sends
        self.delays: dict[int, list[float]] = defaultdict(list)  # chat id -> seconds its next sends are held
        self.in_flight: list[dict] = []  # sends held right now, not yet answered
        self.abandoned: list[dict] = []  # held sends whose client hung up first: never delivered
        self.files: dict[str, bytes] = {}  # file_id -> content, served by getFile and /file/bot<token>/<path>
        self.downloads: list[str] = []  # file paths downloaded

    def add_file(self, file_id: str, content: bytes) -> None:
        """A file a user sent, for the bot to fetch with getFile and download."""
        self.files[file_id] = content

    def fail_next(self, chat_id: int, times: int, status: int = 500) -> None:
        """Refuse the chat's next ``times`` sendMessage calls (500, or 429 with retry_after)."""
        self.failures[chat_id].extend([status] * times)

    def delay_next(self, chat_id: int, seconds: float) -> None:
        """Hold the chat's next sendMessage for ``seconds`` before accepting it, as a slow Telegram would.

        A client that hangs up while it is held has not had its message accepted.
        """
        self.delays[chat_id].append(seconds)

    def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self.port = serve_in_thread(app)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v.file.read() if isinstance(v, web.FileField) else _maybe_json(v)
                      for k, v in (await request.post()).items()}
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            if self.failures[chat_id]:
                status = self.failures[chat_id].pop(0)
                retry = {"parameters": {"retry_after": 1}} if status == 429 else {}
                return web.json_response({"ok": False, "error_code": status, "description": "fake failure", **retry},
                                         status=status)
            if self.delays[chat_id] and not await self._held(request, params, self.delays[chat_id].pop(0)):
                return web.Response(status=499)
        self.calls.append((method, params))
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                                         status=400)
            return web.json_response({"ok": True, "result": {
                "file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}.jpg"}})
        if method == "getUpdates":
            updates, self.pending_updates = self.pending_updates, []
            return web.json_response({"ok": True, "result": updates})
        if method in ("sendMessage", "sendPhoto"):
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

    async def _download(self, request: web.Request) -> web.Response:
        """``GET /file/bot<token>/<file_path>``, as Telegram serves a file after getFile."""
        path = request.match_info["path"]
        self.downloads.append(path)
        file_id = path.rsplit("/", 1)[-1].removesuffix(".jpg")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _held(self, request: web.Request, params: dict, seconds: float) -> bool:
        """Hold a send; True if the client still waits for the answer afterwards."""
        self.in_flight.append(params)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:  # the client hung up and aiohttp cancelled the handler
            self.abandoned.append(params)
            raise
        finally:
            self.in_flight.remove(params)
        if request.transport is None or request.transport.is_closing():
            self.abandoned.append(params)
            return False
        return True

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
