"""Start the Rasa server with Palīgs' changes to Rasa's behaviour, all made here.

Usage: ``python -m bot.server <rasa arguments>`` (the same arguments as ``rasa``).
Each change says why and what upstream Rasa 3.6 does:

- ``RemoteAction.run``: upstream logs a failed call to the action server and carries on
  without a word to the user. Here the bot says that nothing was saved, stops any active
  form and waits for the user, once per user message; when saving a registration fails
  (its answer may have been lost after the commit), it offers to save it again instead.
- ``Agent.handle_message``: upstream hands a channel's message straight to NLU and the
  conversation store. Here every message first passes ``bot.ingress`` (cleaned, personal
  codes masked, Rasa's internal intents such as "/restart" not typeable, a verified staff
  member's command routed to the staff dialogue, flood limit per sender).
- ``RemoteAction._validate_action_result``: upstream calls ``jsonschema.validate`` on every
  action response, which first checks the schema itself against its meta-schema; under
  load that was about 63% of the Rasa server's CPU. Here the validators are built once,
  and each event is checked against the schema of its own kind instead of all 23 (the
  same result; that was still 14% of the server's time under load).
- ``rasa.core.run.configure_app``: upstream has no health check that covers the action
  server and the register. Here ``GET /health`` answers 200 only when the model is loaded
  and both answer, else 503.
- Lock store: Rasa's Redis lock store takes a host, port and password, not a URL. Here
  ``REDIS_URL`` is split into the variables ``deploy/cluster/endpoints.yml`` reads.
- Logging: every formatted log line is masked (``bot.logs``).
- Telemetry: upstream sends usage data and crash reports (with tracebacks) to Rasa's
  servers unless told not to; here it is off.

With ``PALIGS_PROFILE=<file>`` the whole server run is profiled (cProfile) and the
statistics are written to the file when it stops (``make bench`` uses it).
"""
from __future__ import annotations

import asyncio
import cProfile
import logging
import os
import sys
from functools import lru_cache
from typing import Any, List, Optional
from urllib.parse import unquote, urlsplit

import aiohttp
import jsonschema
from rasa.core import run as rasa_run
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text

from bot import ingress, logs, settings
from bot.register import create_register_engine
from bot.staff import VERIFIED_CHANNELS, StaffDirectory, open_directory, verified_staff

logger = logging.getLogger(__name__)
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
# Saving a registration may have succeeded when its answer is lost: offer to save it again
# (idempotent, the same reference) rather than saying it was not saved.
SAVE_ACTION, UNCONFIRMED_RESPONSE = "action_register", "utter_registration_unconfirmed"
HEALTH_TIMEOUT_SECONDS = 3
_run_remote_action = RemoteAction.run
_handle_message = Agent.handle_message
_configure_app = rasa_run.configure_app


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


class Ingress:
    """``Agent.handle_message`` behind the ingress door (see ``bot.ingress``)."""

    def __init__(self, flood_limit: int) -> None:
        self.flood = ingress.FloodLimit(flood_limit)
        self._directory: Optional[StaffDirectory] = None

    async def is_staff(self, message: UserMessage) -> bool:
        if message.input_channel not in VERIFIED_CHANNELS:
            return False
        if self._directory is None:
            self._directory = open_directory()
        return await asyncio.to_thread(verified_staff, self._directory, message.input_channel, message.sender_id) is not None

    async def handle_message(self, agent: Agent, message: UserMessage) -> Optional[List[dict]]:
        text = ingress.clean_text(message.text)
        intents = frozenset(agent.domain.intents) if agent.domain else frozenset()
        if await self.is_staff(message):
            message.text = ingress.as_plain_text_unless_allowed(ingress.as_staff_command(text), intents)
        else:
            message.text = ingress.as_plain_text_unless_allowed(ingress.without_staff_payload(text), intents)
        admitted, warn = self.flood.admit((message.input_channel, message.sender_id))
        if not admitted:
            logger.warning("Flood limit: dropped a message from a %s sender", message.input_channel)
            if warn:
                await message.output_channel.send_text_message(message.sender_id, ingress.SLOW_DOWN)
            return None
        return await _handle_message(agent, message)


async def health_report(app: Sanic, config: settings.Settings, engine: Any) -> dict:
    """Whether the model is loaded and the action server and the register answer."""
    agent = getattr(app.ctx, "agent", None)
    report = {"model": bool(agent and agent.is_ready())}
    health_url = config.actions_url.rsplit("/", 1)[0] + "/health"
    try:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(health_url) as answer:
            report["action_server"] = answer.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        report["action_server"] = False

    def register_answers() -> bool:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one() == 1

    try:
        report["register"] = await asyncio.wait_for(asyncio.to_thread(register_answers), HEALTH_TIMEOUT_SECONDS)
    except Exception:  # any failure of the database is "not healthy"
        report["register"] = False
    return report


def configure_app_with_health(*args: Any, **kwargs: Any) -> Sanic:
    """Rasa's application plus ``GET /health`` for operators and load balancers."""
    app = _configure_app(*args, **kwargs)
    config = settings.load()
    engine = create_register_engine(config.database_url)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        report = await health_report(app, config, engine)
        return response.json(report, status=200 if all(report.values()) else 503)

    return app


def redis_variables(url: str) -> dict[str, str]:
    """``REDIS_URL`` (``redis://:password@host:port/db``) as the lock store's settings."""
    parts = urlsplit(url)
    return {
        "REDIS_HOST": parts.hostname or "127.0.0.1",
        "REDIS_PORT": str(parts.port or 6379),
        "REDIS_PASSWORD": unquote(parts.password or ""),
        "REDIS_DB": parts.path.strip("/") or "0",
    }


def install(config: settings.Settings) -> None:
    """Apply every change listed in the module docstring."""
    logs.install_masking()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage or crash reports leave the host
    os.environ.setdefault("ACTIONS_URL", config.actions_url)
    os.environ.setdefault("ACTIONS_TOKEN", config.actions_token())
    os.environ.setdefault("TRACKER_URL", config.tracker_url)
    for name, value in redis_variables(config.redis_url).items() if config.redis_url else ():
        os.environ.setdefault(name, value)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    gate = Ingress(config.flood_limit)

    async def handle_message(agent: Agent, message: UserMessage) -> Optional[List[dict]]:
        return await gate.handle_message(agent, message)

    RemoteAction.run = run_or_apologise  # type: ignore[method-assign]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Agent.handle_message = handle_message  # type: ignore[method-assign]
    rasa_run.configure_app = configure_app_with_health


def main() -> None:
    install(settings.load())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    profile_to = os.environ.get("PALIGS_PROFILE")
    if not profile_to:
        rasa_main()
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        rasa_main()
    finally:
        profiler.disable()
        profiler.dump_stats(profile_to)


if __name__ == "__main__":
    main()
