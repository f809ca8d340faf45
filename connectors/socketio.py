"""Socket.io channel of the web widget, with the same body checks as every other channel.

Rasa's own socket.io channel fails with an exception on a body that is not an object,
a message that is not a string or metadata that is not JSON, and passes client metadata
into the conversation. This one answers such an event with a short error event, keeps
only ``message`` and ``session_id``, and keeps session ids in a namespace of their own
(``web-<id>``; a session id is chosen by the client).
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

from bot.ingress import MAX_BODY_BYTES, MAX_SENDER_CHARS, body_problem, namespaced

ERROR_EVENT = "error_message"


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel behind the body checks."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        assert self.sio is not None
        sio, namespace = self.sio, self.namespace or "/"
        handlers: Dict[str, Callable] = sio.handlers[namespace]
        user_uttered, session_request = handlers[self.user_message_evt], handlers["session_request"]

        async def checked_message(sid: Text, data: Any = None) -> None:
            problem = body_problem(data, sender_key="session_id")
            if problem is None and len(json.dumps(data)) > MAX_BODY_BYTES:
                problem = f"the message is larger than {MAX_BODY_BYTES // 1024} KB"
            if problem:
                await sio.emit(ERROR_EVENT, {"error": problem}, room=sid, namespace=namespace)
                return
            await user_uttered(sid, {"message": data["message"], "session_id": namespaced("web", data["session_id"])})

        async def checked_session_request(sid: Text, data: Optional[Any] = None) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SENDER_CHARS:
                session_id = uuid.uuid4().hex
            await session_request(sid, {"session_id": namespaced("web", session_id)})

        handlers[self.user_message_evt] = checked_message
        handlers["session_request"] = checked_session_request
        return blueprint
