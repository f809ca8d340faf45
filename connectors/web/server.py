"""The web portal: a demo institution page with the chat widget, all assets served locally.

``python -m connectors.web.server`` listens on WEB_PORT (default 8080). The widget talks
to the Rasa socket.io channel at BOT_URL (default: this host, RASA_PORT).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Awaitable, Callable, Optional
from urllib.parse import urlsplit

from aiohttp import web

from bot import logs, settings
from bot.register import Register, open_configured_register
from bot.staff.auth import issue_token, token_key
from bot.staff.directory import StaffDirectory, open_directory
from connectors.ingress import MAX_SENDER_CHARS, namespaced, read_json
from bot.register.media import MediaStore, open_configured_media
from connectors.web.entry import StaffEntry
from connectors.web.media import PortalMedia
from connectors.web.open311 import Open311

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
VENDOR = {"socket.io.min.js": HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
}


def bot_url(request: web.Request, rasa_port: int) -> str:
    """BOT_URL if set, else the Rasa port on the host the visitor used for the portal."""
    host = urlsplit(f"//{request.host}").hostname or "localhost"
    return settings.load().bot_url or f"{request.scheme}://{host}:{rasa_port}"


class StaffLogin:
    """``POST /staff/login`` ``{"login", "password"}`` → a short-lived signed token.

    A wrong password is answered only after a pause, and an address with five failures in
    five minutes is refused (429) until they age out.
    """

    FAILURE_PAUSE_SECONDS = 1.0
    MAX_FAILURES, WINDOW_SECONDS = 5, 300.0

    def __init__(self, directory: Optional[StaffDirectory] = None, key: Optional[str] = None) -> None:
        self._directory = directory
        self._key = key
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent_failures(self, address: str) -> deque[float]:
        failures = self._failures[address]
        while failures and time.monotonic() - failures[0] > self.WINDOW_SECONDS:
            failures.popleft()
        return failures

    async def handle(self, request: web.Request) -> web.Response:
        address = request.remote or "?"
        if len(self._recent_failures(address)) >= self.MAX_FAILURES:
            return web.json_response({"error": "Pārāk daudz neveiksmīgu mēģinājumu. Mēģiniet pēc dažām minūtēm."},
                                     status=429)
        body, _ = read_json(await request.read())
        login, password = (body.get("login"), body.get("password")) if isinstance(body, dict) else (None, None)
        if not (isinstance(login, str) and isinstance(password, str) and 0 < len(login) <= 64 and len(password) <= 1024):
            return web.json_response({"error": "Vajadzīgs lietotājvārds un parole."}, status=400)
        if self._directory is None:
            self._directory = open_directory()
        member = await asyncio.to_thread(self._directory.check_password, login, password)
        if member is None:
            self._recent_failures(address).append(time.monotonic())
            await asyncio.sleep(self.FAILURE_PAUSE_SECONDS)
            return web.json_response({"error": "Nepareizs lietotājvārds vai parole."}, status=401)
        self._failures.pop(address, None)
        token = issue_token(self._key or token_key(settings.load()), login)
        return web.json_response({"token": token, "name": member.name}, headers={"Cache-Control": "no-store"})


@functools.lru_cache(maxsize=1)
def portal_register() -> Register:
    return open_configured_register()


@functools.lru_cache(maxsize=1)
def portal_media() -> MediaStore:
    return open_configured_media()


def create_app(rasa_port: int, staff: Optional[StaffLogin] = None) -> web.Application:
    """The portal: ``/`` (demo page), ``/staff`` (staff page and its login), ``/widget/`` (assets
    and a web conversation's news) ``/open311/v2/`` (the register as GeoReport v2), the staff entry form's routes and photos
(the widget's upload, signed URLs for staff)."""
    pages = {name: (STATIC / name).read_text(encoding="utf-8") for name in ("index.html", "staff.html")}

    def page(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            url = bot_url(request, rasa_port)
            csp = (f"default-src 'self'; connect-src 'self' {url} {url.replace('http', 'ws', 1)}; "
                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:")  # data: for the staff report chart
            return web.Response(
                text=pages[name].replace("{{BOT_URL}}", url),
                content_type="text/html",
                headers={**SECURITY_HEADERS, "Content-Security-Policy": csp, "Cache-Control": "no-store"},
            )

        return handler

    async def widget_asset(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = VENDOR.get(name) or STATIC / name
        if name not in VENDOR and (not name.endswith((".js", ".css")) or not path.is_file()):
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={**SECURITY_HEADERS, "Access-Control-Allow-Origin": "*"})

    async def widget_news(request: web.Request) -> web.Response:
        """``GET /widget/news?session=<id>``: the news of that web conversation only, each handed over once.

        The session id (random, kept in the visitor's tab) is what identifies the conversation to
        the bot as well; nothing else is needed and nothing else is told.
        """
        session = request.query.get("session", "")
        if not 0 < len(session) <= MAX_SENDER_CHARS:
            return web.json_response({"error": "session is required"}, status=400)
        register = portal_register()
        sender_hash = register.sender_hash("socketio", namespaced("web", session))
        news = await asyncio.to_thread(register.outbox.take_web_news, sender_hash)
        return web.json_response({"news": news}, headers={**SECURITY_HEADERS, "Access-Control-Allow-Origin": "*",
                                                          "Cache-Control": "no-store"})

    async def no_favicon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application(client_max_size=16 * 1024)
    app.router.add_get("/", page("index.html"))
    app.router.add_get("/staff", page("staff.html"))
    app.router.add_post("/staff/login", (staff or StaffLogin()).handle)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/widget/news", widget_news)
    app.router.add_get("/widget/{name:[A-Za-z0-9._-]+}", widget_asset)
    app.add_routes(Open311(portal_register).routes())
    app.add_routes(StaffEntry(portal_register).routes())
    app.add_routes(PortalMedia(portal_media).routes())
    return app


def main() -> None:
    config = settings.load()
    logs.configure(config)
    logging.getLogger(__name__).info("Web portal on http://0.0.0.0:%d", config.web_port)
    web.run_app(create_app(config.rasa_port), host="0.0.0.0", port=config.web_port, print=None)


if __name__ == "__main__":
    main()
