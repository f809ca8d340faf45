"""Telegram route: the notification as a message through the Bot API's sendMessage."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from bot.notifier.delivery import DeliveryError
from bot.register.outbox import Delivery


@dataclass(frozen=True)
class TelegramSender:
    """sendMessage through the Bot API (plain HTTP: one request, one answer)."""

    token: str
    api_url: str
    timeout: float

    def send(self, delivery: Delivery) -> None:
        body = json.dumps({"chat_id": int(delivery.address), "text": delivery.text}).encode()
        request = urllib.request.Request(f"{self.api_url}{self.token}/sendMessage", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if json.loads(answer.read()).get("ok"):
                    return
                raise DeliveryError("Telegram answered ok=false")
        except urllib.error.HTTPError as error:
            try:
                details = json.loads(error.read())
            except ValueError:
                details = {}
            retry_after = (details.get("parameters") or {}).get("retry_after")
            reason = f"Telegram HTTP {error.code}: {details.get('description', '')}"[:300]
            raise DeliveryError(reason, permanent=error.code in (400, 403), retry_after=retry_after) from error
        except (OSError, ValueError) as error:
            raise DeliveryError(f"Telegram unreachable: {error}") from error
