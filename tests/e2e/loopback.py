"""Serve an aiohttp application on a free loopback port, from a thread of the test process."""
from __future__ import annotations

import asyncio
import threading

from aiohttp import web


def serve_in_thread(app: web.Application) -> int:
    """Start the application on its own event loop in a daemon thread; the port it listens on."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    return port[0]
