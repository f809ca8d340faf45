"""The kind of a letter, decided by the trained model in this process (loaded once).

The same pipeline as chat: its last component's decision (``nlu.routing.Route``) says whether
the text registers and as which kind. When it does not say a kind (unsure, or not a
registration at all) the letter is still registered, as the likeliest kind, marked for
staff to check.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from knowledge_base.catalogue import load_catalogue
from nlu.routing import INFORMATION_REQUEST, KIND_OF_INTENT, ROUTE, Route

MAX_CLASSIFIED_CHARS = 20000
DEFAULT_KIND = "complaint"


@dataclass(frozen=True)
class Verdict:
    kind: str
    unsure: bool
    service_id: Optional[str] = None


def verdict(parsed: dict, text: str) -> Verdict:
    """The register's kind from the pipeline's parse data (``route`` and the intent ranking)."""
    route = Route.from_dict(parsed[ROUTE]) if parsed.get(ROUTE) else None
    if route is not None and route.registers and route.kind:
        kind, unsure = route.kind, False
    else:
        ranked = [KIND_OF_INTENT[r["name"]] for r in parsed.get("intent_ranking") or [] if r.get("name") in KIND_OF_INTENT]
        kind, unsure = (route.kind if route and route.kind else (ranked[0] if ranked else DEFAULT_KIND)), True
    if kind == INFORMATION_REQUEST:
        return Verdict("service_request", unsure, INFORMATION_REQUEST)
    if kind == "service_request":
        service = load_catalogue().identify(text)
        return Verdict(kind, unsure, service.id if service else None)
    return Verdict(kind, unsure)


class Classifier:
    """The trained model (``Agent.load``), one load per process."""

    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(max(logging.getLogger().level, logging.INFO))  # no debug lines with letter texts
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model))

    def classify(self, text: str) -> Verdict:
        text = text[:MAX_CLASSIFIED_CHARS]
        if not text.strip():
            return Verdict(DEFAULT_KIND, True)
        parsed = self._loop.run_until_complete(self._agent.parse_message(text))
        return verdict(parsed, text)
