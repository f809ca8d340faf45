"""Socket.io channel of the web widget, with the same body checks as every other channel.

Rasa's own socket.io channel fails with an exception on a body that is not an object, a
message that is not a string or metadata that is not JSON, and passes client metadata into
the conversation. This one answers such an event with a short error event, keeps only
``message`` and ``session_id``, and keeps session ids in a namespace of their own
(``web-<id>``; a session id is chosen by the client). Each message names the client's address
(the connecting peer, or ``X-Forwarded-For`` behind a trusted proxy) for the door's per-address
limits. Output and configuration are Rasa's.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import settings
from bot.settings import MAX_BODY_BYTES
from connectors.base import OnNewMessage, PaligsInput
from connectors.ingress import CLIENT_ADDRESS, MAX_SENDER_CHARS, body_problem, client_address, namespaced

logger = logging.getLogger(__name__)
ERROR_EVENT = "error_message"
CHANNEL = "socketio"


class SocketIOInput(PaligsInput, RasaSocketIOInput):
    """Rasa's socket.io channel (credentials, output) with checked events."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def routes(self, on_new_message: OnNewMessage) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # Rasa's get_output_channel uses it
        namespace = self.namespace
        trusted_proxies = settings.load().trusted_proxies
        addresses: dict[str, str] = {}

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: dict, auth: Any = None) -> None:
            request = environ.get("sanic.request")
            peer = request.ip if request is not None else environ.get("REMOTE_ADDR")
            addresses[sid] = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), trusted_proxies)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text) -> None:
            addresses.pop(sid, None)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Optional[Any] = None) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SENDER_CHARS:
                session_id = uuid.uuid4().hex
            session_id = namespaced("web", session_id)
            if self.session_persistence:
                sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def user_message(sid: Text, data: Any = None) -> None:
            problem = body_problem(data, sender_key="session_id")
            if problem is None and len(json.dumps(data)) > MAX_BODY_BYTES:
                problem = f"the message is larger than {MAX_BODY_BYTES // 1024} KB"
            if problem:
                await sio.emit(ERROR_EVENT, {"error": problem}, room=sid, namespace=namespace or "/")
                return
            sender = namespaced("web", data["session_id"]) if self.session_persistence else sid
            output = SocketIOOutput(sio, self.bot_message_evt)
            metadata = {CLIENT_ADDRESS: addresses.get(sid, "?")}
            await on_new_message(UserMessage(data["message"], output, sender, input_channel=CHANNEL, metadata=metadata))

        return webhook
