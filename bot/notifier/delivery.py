"""What every route's sender is: one ``send`` that delivers or raises ``DeliveryError``."""
from __future__ import annotations

from typing import Optional, Protocol

from bot.register.outbox import Delivery


class DeliveryError(Exception):
    """A failed attempt; ``permanent`` when retrying cannot help, ``retry_after`` when the server said."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: Optional[float] = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None: ...
