"""The web portal: a demo institution page with the chat widget, all assets served locally.

``python -m connectors.web.server`` listens on WEB_PORT (default 8080). The widget talks
to the Rasa socket.io channel at BOT_URL (default: this host, RASA_PORT).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot import logs, settings

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
    return os.environ.get("BOT_URL") or f"{request.scheme}://{host}:{rasa_port}"


def create_app(rasa_port: int) -> web.Application:
    """The portal application: ``/`` (demo page) and ``/widget/`` (widget and its library)."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    async def index(request: web.Request) -> web.Response:
        url = bot_url(request, rasa_port)
        csp = f"default-src 'self'; connect-src 'self' {url} {url.replace('http', 'ws', 1)}; style-src 'self' 'unsafe-inline'"
        return web.Response(
            text=page.replace("{{BOT_URL}}", url),
            content_type="text/html",
            headers={**SECURITY_HEADERS, "Content-Security-Policy": csp},
        )

    async def widget_asset(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = VENDOR.get(name) or STATIC / name
        if name not in VENDOR and (name == "index.html" or not path.is_file()):
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={**SECURITY_HEADERS, "Access-Control-Allow-Origin": "*"})

    async def no_favicon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_favicon)
    app.router.add_get("/widget/{name:[A-Za-z0-9._-]+}", widget_asset)
    return app


def main() -> None:
    logs.configure()
    config = settings.load()
    logging.getLogger(__name__).info("Web portal on http://0.0.0.0:%d", config.web_port)
    web.run_app(create_app(config.rasa_port), host="0.0.0.0", port=config.web_port, print=None)


if __name__ == "__main__":
    main()
