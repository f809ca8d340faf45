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
from bot.register.media import MediaStore, open_configured_media
from bot.settings import MAX_BODY_BYTES
from bot.staff.auth import issue_token, token_key, verified_claims
from bot.staff.directory import StaffDirectory, StaffMember, open_directory
from connectors.base import bearer_token
from connectors.ingress import MAX_SENDER_CHARS, client_address, namespaced, read_json
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


class Attempts:
    """Password checks in a sliding window, per key (a login, or a client address)."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window_seconds, clock
        self._at: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        recent = self._at[key]
        while recent and self._clock() - recent[0] > self.window:
            recent.popleft()
        if not recent:
            del self._at[key]
            return self._at[key]
        return recent

    def full(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def take(self, key: str) -> None:
        self._recent(key).append(self._clock())

    def forget(self, key: str) -> None:
        self._at.pop(key, None)


class StaffLogin:
    """``POST /staff/login`` ``{"login", "password"}`` → a short-lived signed token;
    ``POST /staff/logout`` with the token revokes it (and every other token of that login).

    At most five password checks per login and twenty per client address in any five minutes,
    however many requests arrive at once: an attempt is counted before its password is checked,
    in one step with the test of the count (nothing is awaited in between, and one portal process
    serves the page), so a burst of parallel requests cannot slip past the count. A successful
    login forgets its login's and address's attempts; a wrong password is answered after a pause.
    The client address is the peer's, or ``X-Forwarded-For`` when the peer is in TRUSTED_PROXIES.
    """

    FAILURE_PAUSE_SECONDS = 1.0
    PER_LOGIN, PER_ADDRESS, WINDOW_SECONDS = 5, 20, 300.0
    TOO_MANY = "Pārāk daudz neveiksmīgu mēģinājumu. Mēģiniet pēc dažām minūtēm."

    def __init__(self, directory: Optional[StaffDirectory] = None, key: Optional[str] = None,
                 trusted_proxies: Optional[tuple[str, ...]] = None) -> None:
        self._directory = directory
        self._key = key
        self._trusted = trusted_proxies
        self.by_login = Attempts(self.PER_LOGIN, self.WINDOW_SECONDS)
        self.by_address = Attempts(self.PER_ADDRESS, self.WINDOW_SECONDS)

    @property
    def directory(self) -> StaffDirectory:
        if self._directory is None:
            self._directory = open_directory()
        return self._directory

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = token_key(settings.load())
        return self._key

    def client(self, request: web.Request) -> str:
        if self._trusted is None:
            self._trusted = settings.load().trusted_proxies
        return client_address(request.remote, request.headers.get("X-Forwarded-For"), self._trusted) or "?"

    async def handle(self, request: web.Request) -> web.Response:
        address = self.client(request)
        if self.by_address.full(address):
            return web.json_response({"error": self.TOO_MANY}, status=429)
        body, _ = read_json(await request.read())
        login, password = (body.get("login"), body.get("password")) if isinstance(body, dict) else (None, None)
        if not (isinstance(login, str) and isinstance(password, str) and 0 < len(login) <= 64 and len(password) <= 1024):
            return web.json_response({"error": "Vajadzīgs lietotājvārds un parole."}, status=400)
        # Count, then check: no await between the test and the count.
        if self.by_login.full(login) or self.by_address.full(address):
            return web.json_response({"error": self.TOO_MANY}, status=429)
        self.by_login.take(login)
        self.by_address.take(address)
        member = await asyncio.to_thread(self.directory.check_password, login, password)
        if member is None:
            await asyncio.sleep(self.FAILURE_PAUSE_SECONDS)
            return web.json_response({"error": "Nepareizs lietotājvārds vai parole."}, status=401)
        self.by_login.forget(login)
        self.by_address.forget(address)
        generation = await asyncio.to_thread(self.directory.token_generation, login)
        token = issue_token(self.key, login, generation=generation or 0)
        return web.json_response({"token": token, "name": member.name}, headers={"Cache-Control": "no-store"})

    async def member(self, request: web.Request) -> Optional[StaffMember]:
        """The staff member behind the request's token (genuine, unexpired, not logged out), or None."""
        login = await asyncio.to_thread(self.directory.login_of_token, self.key, bearer_token(request))
        return await asyncio.to_thread(self.directory.by_login, login) if login else None

    async def logout(self, request: web.Request) -> web.Response:
        """Revoke the presented token server-side: the staff chat refuses it from now on."""
        token = bearer_token(request)  # the one reader of bearer tokens (it needs only ``headers``)
        claims = verified_claims(self.key, token) if token else None
        if claims is None:
            return web.json_response({"error": "unauthorised"}, status=401)
        await asyncio.to_thread(self.directory.revoke_tokens, claims[0])
        return web.json_response({"status": "logged out"}, headers={"Cache-Control": "no-store"})


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

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    staff = staff or StaffLogin()
    app.router.add_get("/", page("index.html"))
    app.router.add_get("/staff", page("staff.html"))
    app.router.add_post("/staff/login", staff.handle)
    app.router.add_post("/staff/logout", staff.logout)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/widget/news", widget_news)
    app.router.add_get("/widget/{name:[A-Za-z0-9._-]+}", widget_asset)
    app.add_routes(Open311(portal_register, media=portal_media).routes())
    app.add_routes(StaffEntry(portal_register, staff.member).routes())
    app.add_routes(PortalMedia(portal_media).routes())
    return app


def main() -> None:
    config = settings.load()
    logs.configure(config)
    logging.getLogger(__name__).info("Web portal on http://0.0.0.0:%d", config.web_port)
    web.run_app(create_app(config.rasa_port), host="0.0.0.0", port=config.web_port, print=None)


if __name__ == "__main__":
    main()
