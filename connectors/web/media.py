"""Photos on the portal: the widget's upload and the signed, expiring URLs staff see them by.

``POST /widget/photo?session=<widget session id>`` with the image as the body (any image
type, at most ``MEDIA_MAX_MB``): the photo is checked, cleaned and stored
(``bot.register.media``) and the answer carries a token only that web conversation can
attach: ``{"token", "bytes", "width", "height", "place"}``; refusals are 400 or 413 with a
Latvian ``error`` and store nothing. ``GET /media/<sha256>.jpg?e=&s=`` serves a stored photo
to whoever holds a URL the register signed (see ``MediaStore.url``).
"""
from __future__ import annotations

import asyncio
from typing import Callable

from aiohttp import web

from bot.register.media import MediaRefused, MediaStore, too_large
from connectors.ingress import MAX_SENDER_CHARS, namespaced

CORS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
CHUNK = 64 * 1024


class PortalMedia:
    def __init__(self, store: Callable[[], MediaStore]) -> None:
        self._store = store

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/widget/photo", self.upload), web.options("/widget/photo", self.preflight),
                web.get(r"/media/{name:[0-9a-f]{64}\.jpg}", self.serve)]

    async def preflight(self, _: web.Request) -> web.Response:
        return web.Response(status=204, headers={**CORS, "Access-Control-Allow-Methods": "POST",
                                                 "Access-Control-Allow-Headers": "Content-Type"})

    async def upload(self, request: web.Request) -> web.Response:
        session = request.query.get("session", "")
        if not 0 < len(session) <= MAX_SENDER_CHARS:
            return web.json_response({"error": "Nav sarunas: atveriet tērzēšanu no jauna."}, status=400, headers=CORS)
        store = self._store()
        announced = request.content_length
        if announced is not None and announced > store.max_bytes:
            return web.json_response({"error": too_large(announced, store.max_bytes)}, status=413, headers=CORS)
        data = bytearray()
        while True:  # read at most one byte over the cap, whatever the client announced
            chunk = await request.content.read(CHUNK)
            if not chunk:
                break
            data.extend(chunk)
            if len(data) > store.max_bytes:
                return web.json_response({"error": too_large(len(data), store.max_bytes)}, status=413, headers=CORS)
        try:
            stored = await asyncio.to_thread(store.accept, bytes(data), "web")
        except MediaRefused as refused:
            return web.json_response({"error": str(refused)}, status=400, headers=CORS)
        place = None if stored.latitude is None else {"latitude": stored.latitude, "longitude": stored.longitude}
        token = store.token(stored, owner=namespaced("web", session))
        return web.json_response({"token": token, "bytes": stored.bytes, "width": stored.width,
                                  "height": stored.height, "place": place}, headers=CORS)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        path = self._store().file_of_url(str(request.rel_url))
        if path is None:
            raise web.HTTPForbidden(text="Saite nav derīga vai ir novecojusi.")
        return web.FileResponse(path, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=600",
                                               "X-Content-Type-Options": "nosniff"})
