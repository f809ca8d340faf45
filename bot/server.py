"""Start the Rasa server so that an unreachable action server is never answered with silence.

Rasa logs a failed custom action and carries on without a word to the user. Here a
failed call to the action server makes the bot say that nothing was saved, stops any
active form and waits for the user, once per user message.
Usage: ``python -m bot.server <rasa arguments>`` (the same arguments as ``rasa``).
"""
from __future__ import annotations

import logging
import sys
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
_run_remote_action = RemoteAction.run


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
        return await _run_remote_action(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        logger.error("Action server failed on '%s' (%s); the user is told so.", self.name(), error)
    events: List[Event] = []
    if not _already_apologised(tracker):
        message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        message["utter_action"] = UNAVAILABLE_RESPONSE
        events.append(create_bot_utterance(message))
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    return events + [FollowupAction("action_listen")]


def main() -> None:
    RemoteAction.run = run_or_apologise  # type: ignore[method-assign]
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
