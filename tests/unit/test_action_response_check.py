"""The Rasa server's cheaper check of action server responses accepts and refuses exactly
what upstream Rasa's ``jsonschema.validate`` accepts and refuses."""
from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_patches import validate_action_result

RESPONSES: list[Any] = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "kind", "value": "complaint", "timestamp": None}],
     "responses": [{"text": "Paldies!", "buttons": []}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None},
                {"event": "followup", "name": "action_listen"}, {"event": "bot", "text": "Labdien", "metadata": {}}]},
    {"events": [{"event": "user", "text": "sveiki", "parse_data": {"intent": {"name": "greet", "confidence": 1.0}}}]},
    {"events": [{"event": "slot", "name": "kind"}]},  # no value
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "kind", "value": 1}]},  # no "event"
    {"events": [{"event": 5}]},
    {"events": [{"event": ["slot"]}]},
    {"events": ["slot"]},
    {"events": [{"event": "slot", "name": "kind", "value": 1, "timestamp": "now"}]},
    {"events": [{"event": "user", "parse_data": {"intent": {"name": 3}}}]},
    {"events": {"event": "slot"}},
    {"events": None},
    {"responses": ["text"]},
    [],
    "events",
]


def upstream_accepts(response: Any) -> bool:
    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


def accepts(response: Any) -> bool:
    try:
        return validate_action_result(RemoteAction("action_x", None), response)
    except jsonschema.ValidationError:
        return False


@pytest.mark.parametrize("response", RESPONSES, ids=range(len(RESPONSES)))
def test_same_verdict_as_upstream(response: Any) -> None:
    assert accepts(response) == upstream_accepts(response)
