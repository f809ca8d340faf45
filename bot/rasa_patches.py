"""The two changes to Rasa 3.6 that have no extension point, made in this one module.

Rasa 3.6 builds a ``RemoteAction`` for every custom action itself, and neither its behaviour
on a failed call nor its response check can be configured or subclassed into use. So, for
Rasa 3.6.21 only (``apply`` refuses any other version, which must be checked anew):

- ``RemoteAction.run``: upstream logs a failed call to the action server and carries on
  without a word to the user. Here the bot says that nothing was saved, stops any active
  form and waits for the user, once per user message; when saving a registration fails
  (its answer may have been lost after the commit), it offers to save it again instead.
- ``RemoteAction._validate_action_result``: upstream calls ``jsonschema.validate`` on every
  action response, which first checks the schema itself against its meta-schema; under
  load that was about 63% of the Rasa server's CPU. Here the validators are built once,
  and each event is checked against the schema of its own kind instead of all 23 (the
  same result; that was still 14% of the server's time under load).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, List

import jsonschema
import rasa
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)
WRITTEN_FOR = "3.6.21"
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
# Saving a registration may have succeeded when its answer is lost: offer to save it again
# (idempotent, the same reference) rather than saying it was not saved.
SAVE_ACTION, UNCONFIRMED_RESPONSE = "action_register", "utter_registration_unconfirmed"
_upstream_run = RemoteAction.run


def _already_apologised(tracker: Any) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.metadata.get("utter_action") == UNAVAILABLE_RESPONSE:
            return True
    return False


async def run_or_apologise(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    """Run the remote action; if the action server fails, apologise instead of going silent."""
    try:
        return await _upstream_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        logger.error("Action server failed on '%s' (%s); the user is told so.", self.name(), error)
    if self.name() == SAVE_ACTION:
        return [FollowupAction(UNCONFIRMED_RESPONSE)]
    events: List[Event] = []
    if not _already_apologised(tracker):
        message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        message["utter_action"] = UNAVAILABLE_RESPONSE
        events.append(create_bot_utterance(message))
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    return events + [FollowupAction("action_listen")]


@lru_cache(maxsize=1)
def action_result_validators() -> tuple[Any, dict[str, Any], Any]:
    """Validators for action server responses, built (and their schemas checked) once.

    Rasa's event schema is a ``oneOf`` over 23 event schemas told apart by their constant
    ``event`` field, so jsonschema tries all 23 on every event. The same check, cheaper:
    the response with its events only checked to be an array, then each event against the
    one schema its ``event`` names (an event naming none: against the whole ``oneOf``).
    Returns (response validator, event validator by kind, any-event validator).
    """
    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)
    event_schema = schema["properties"]["events"]["items"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_kind = {kind["properties"]["event"]["const"]: validator({"allOf": [common, kind]}) for kind in event_schema["oneOf"]}
    response = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    return validator(response), by_kind, validator(event_schema)


def validate_action_result(self: RemoteAction, result: dict) -> bool:
    """Upstream's check of an action server response (``jsonschema.ValidationError`` if invalid)."""
    response, by_kind, any_event = action_result_validators()
    response.validate(result)
    for event in result.get("events") or []:
        kind = event.get("event") if isinstance(event, dict) else None
        validator = by_kind.get(kind, any_event) if isinstance(kind, str) else any_event
        validator.validate(event)
    return True


def apply() -> None:
    """Make both changes; refuses a Rasa other than the one they were written for."""
    if rasa.__version__ != WRITTEN_FOR:
        raise RuntimeError(f"bot.rasa_patches was written for Rasa {WRITTEN_FOR}, found {rasa.__version__}: "
                           "check RemoteAction.run and _validate_action_result anew")
    RemoteAction.run = run_or_apologise  # type: ignore[method-assign]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
