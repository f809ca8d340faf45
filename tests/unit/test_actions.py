"""Custom actions called directly, for failures that a conversation cannot easily cause."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context, registration
from bot.register import open_register


def tracker_with(slots: dict) -> Tracker:
    return Tracker(
        sender_id="citizen",
        slots=slots,
        latest_message={"text": "", "intent": {"name": "deny"}},
        events=[{"event": "user", "text": "nē", "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="registration_form",
    )


def test_database_unavailable_registers_nothing_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    broken = open_register(f"sqlite:///{tmp_path / 'missing-dir' / 'register.db'}", b"secret")
    monkeypatch.setattr(registration, "register", lambda: broken)
    dispatcher = CollectingDispatcher()
    slots = {"kind_confirmed": "complaint", "kind_predicted": "complaint", "request_text": "Nav izvesti atkritumi"}
    events = asyncio.run(registration.ActionRegister().run(dispatcher, tracker_with(slots), {}))
    assert SlotSet("registration_saved", False) in events
    assert dispatcher.messages == []


def test_working_days_agree_with_the_number() -> None:
    assert [context.working_days(n) for n in (1, 5, 11, 21)] == [
        "1 darba diena", "5 darba dienas", "11 darba dienas", "21 darba diena"
    ]
