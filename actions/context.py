"""What the actions share: the register, the staff directory, the catalogue and small message helpers."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from rasa_sdk import Tracker

from bot.register import Register, open_configured_register
from bot.staff.directory import StaffDirectory
from knowledge_base.catalogue import Catalogue, load_catalogue
from nlu.routing import KIND_OF_INTENT, ROUTE, Route

# Intents that interrupt a form instead of answering its question.
INTERRUPTIONS = frozenset({"faq", "cancel", "check_status", "human_handoff", "bot_challenge"})


@lru_cache(maxsize=1)
def register() -> Register:
    return open_configured_register()


@lru_cache(maxsize=1)
def staff_directory() -> StaffDirectory:
    """The staff directory, on the register's database engine."""
    return StaffDirectory(register().engine)


def catalogue() -> Catalogue:
    return load_catalogue()


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_route(tracker: Tracker) -> Optional[Route]:
    """The NLU pipeline's decision for the latest message (``nlu.routing``), if it has one."""
    data = tracker.latest_message.get(ROUTE)
    return Route.from_dict(data) if data else None


def proposed_kind(tracker: Tracker) -> Optional[str]:
    """The kind the bot proposes for the latest message; None when it asks which kind it is.

    A message typed by the citizen has the pipeline's route; a button payload such as
    ``/complaint`` (which skips the pipeline) is taken at its intent.
    """
    route = latest_route(tracker)
    if route is not None:
        return route.kind if route.registers else None
    return KIND_OF_INTENT.get(latest_intent(tracker) or "")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def latest_entity(tracker: Tracker, entity: str) -> Optional[Any]:
    return next(tracker.get_latest_entity_values(entity), None)


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "unknown"


def working_days(days: int) -> str:
    """“1 darba diena”, “21 darba diena”, “5 darba dienas” (Latvian agreement with numbers)."""
    singular = days % 10 == 1 and days % 100 != 11
    return f"{days} darba {'diena' if singular else 'dienas'}"
