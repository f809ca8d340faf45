"""The institution's mailbox over IMAP (``imapclient``): letters not yet handled, their bytes,
the mark once handled, and waiting for new mail (IDLE where offered, polling otherwise).

A handled letter gets the keyword ``$Paligs`` (and ``\\Seen``); one held for staff also
``\\Flagged``. A server that keeps no keywords of ours (Exchange, Microsoft 365) is read by
``\\Seen`` instead: there, a letter someone opens before the bot reads it is not read. The
register's own record of every letter, not the flag, is what keeps a letter from being
handled twice.
"""
from __future__ import annotations

import ssl
import time
from typing import Callable, Optional
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient

KEYWORD = "$Paligs"
HELD_KEYWORD = "$PaligsHeld"
IDLE_RENEW_SECONDS = 9 * 60  # servers may drop an IDLE after 30 min (RFC 2177); renew well before
TIMEOUT_SECONDS = 60


class Mailbox:
    """One IMAP connection to the folder IMAP_URL names (INBOX by default)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or (993 if parts.scheme == "imaps" else 143)
        self.tls = parts.scheme == "imaps"
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.folder = unquote(parts.path.strip("/")) or "INBOX"
        self.client: Optional[IMAPClient] = None
        self.keywords = False

    def connect(self) -> None:
        context = ssl.create_default_context() if self.tls else None
        client = IMAPClient(self.host, port=self.port, ssl=self.tls, ssl_context=context, timeout=TIMEOUT_SECONDS)
        client.login(self.user, self.password)
        selected = client.select_folder(self.folder)
        self.keywords = b"\\*" in (selected.get(b"PERMANENTFLAGS") or ())
        self.client = client

    @property
    def idle(self) -> bool:
        return bool(self.client and self.client.has_capability("IDLE"))

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # the connection may already be gone
                pass
            self.client = None

    def pending(self) -> list[int]:
        """UIDs of letters not yet handled, oldest first."""
        assert self.client is not None
        criteria = ["UNKEYWORD", KEYWORD] if self.keywords else ["UNSEEN"]
        return sorted(self.client.search(criteria))

    def fetch(self, uid: int) -> Optional[bytes]:
        """The whole letter, without setting ``\\Seen``; None when it is gone (moved or deleted meanwhile)."""
        assert self.client is not None
        found = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        return found.get(b"BODY[]") if found else None

    def mark(self, uid: int, outcome: str) -> None:
        """Mark a handled letter: read and ours; held for staff also flagged (and not read)."""
        assert self.client is not None
        held = outcome == "held"
        flags: list = [KEYWORD, HELD_KEYWORD] if self.keywords and held else [KEYWORD] if self.keywords else []
        if held:
            flags.append(b"\\Flagged")
        if not held or not self.keywords:
            flags.append(b"\\Seen")
        self.client.add_flags([uid], flags)

    def wait(self, seconds: float, stopping: Callable[[], bool]) -> None:
        """Until the server says something changed (IDLE, renewed every 9 min), ``seconds`` pass
        (polling), or a stop is asked."""
        assert self.client is not None
        if not self.idle:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not stopping():
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            return
        deadline = time.monotonic() + IDLE_RENEW_SECONDS
        self.client.idle()
        try:
            while time.monotonic() < deadline and not stopping():
                if self.client.idle_check(timeout=1):
                    return
        finally:
            self.client.idle_done()
