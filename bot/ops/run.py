"""Start every process of Palīgs on embedded defaults and stop them all together.

``python -m bot.ops.run [model]`` refuses to start when one of its ports is taken, migrates
the register, then runs the action server, the Rasa server (REST, socket.io and, when
TELEGRAM_TOKEN is set, Telegram), the web portal, the notifier and, when IMAP_URL is set, mail intake under ``bot.ops.supervisor`` until
Ctrl-C / SIGTERM, or until one of them exits (then it says which, shows its last log
lines and stops the rest).
"""
from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from bot import settings
from bot.ops.ports import port_problem
from bot.ops.supervisor import Supervisor
from bot.register import migrate

PYTHON = sys.executable


def rasa_command(model: Path, port: int, endpoints: Path = settings.ROOT / "endpoints.yml",
                 cors: tuple[str, ...] = ()) -> list[str]:
    """The Rasa server's command line (``bot.server``); browsers may call it from the ``cors`` origins
    (CORS_ORIGINS: by default the portal's own origin)."""
    return [
        PYTHON, "-m", "bot.server", "run",
        "--model", str(model),
        "--port", str(port),
        "--credentials", str(settings.ROOT / "credentials.yml"),
        "--endpoints", str(endpoints),
        *(["--cors", *cors] if cors else []),
    ]


def commands(config: settings.Settings, model: Path) -> dict[str, list[str]]:
    """The command line of each process, by name (mail intake only when IMAP_URL is set)."""
    found = {
        "actions": [PYTHON, "-m", "bot.action_server"],
        "rasa": rasa_command(model, config.rasa_port, cors=config.cors_origins),
        "web": [PYTHON, "-m", "connectors.web.server"],
        "notifier": [PYTHON, "-m", "bot.notifier"],
    }
    if config.mail.imap_url:
        found["mail"] = [PYTHON, "-m", "bot.mail", str(model)]
    return found


def environment(config: settings.Settings) -> dict[str, str]:
    """The children's environment: the settings, resolved once, so every process agrees."""
    return {
        **os.environ,
        "ACTIONS_HOST": config.actions_host,
        "ACTIONS_PORT": str(config.actions_port),
        "ACTIONS_URL": config.actions_url,
        "ACTIONS_TOKEN": config.actions_token(),
        "DATABASE_URL": config.database_url,
        "TRACKER_URL": config.tracker_url,
        "PALIGS_DATA_DIR": str(config.data_dir),
        "RASA_PORT": str(config.rasa_port),
        "WEB_PORT": str(config.web_port),
        "PYTHONUNBUFFERED": "1",
    }


def ports(config: settings.Settings) -> dict[int, str]:
    return {config.rasa_port: "0.0.0.0", config.actions_port: config.actions_host, config.web_port: "0.0.0.0"}


class ReadyNotice:
    """Says once when the Rasa server's health check first answers 200."""

    def __init__(self, supervisor: Supervisor, url: str) -> None:
        self.supervisor, self.url, self.done = supervisor, url, False

    def __call__(self) -> None:
        if self.done:
            return
        try:
            with urllib.request.urlopen(self.url, timeout=1) as answer:
                self.done = answer.status == 200
        except OSError:
            return
        if self.done:
            self.supervisor.say("paligs", f"ready: {self.url} answers 200.")


def main() -> int:
    config = settings.load()
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else settings.ROOT / "models" / "paligs.tar.gz"
    problems = [p for port, host in ports(config).items() if (p := port_problem(host, port))]
    if config.mail.imap_url and (problem := settings.imap_problem(config.mail.imap_url)):
        problems.append(problem)
    if problems:
        for problem in problems:
            print(f"Palīgs cannot start: {problem}.", file=sys.stderr)
        return 2
    migrate.upgrade(config.database_url)
    log_dir = config.log_dir if config.log_dir is None or config.log_dir.is_absolute() else config.data_dir / config.log_dir
    supervisor = Supervisor(log_dir=log_dir)
    if config.rest_token is None:
        supervisor.say("paligs", "WARNING: REST_TOKEN is not set: the REST channel answers only clients on this host. "
                                 "Set it to let other systems in.")
    env = environment(config)
    for name, command in commands(config, model).items():
        supervisor.start(name, command, env, settings.ROOT)
    supervisor.say(
        "paligs",
        f"web portal http://localhost:{config.web_port}, Rasa http://localhost:{config.rasa_port} "
        f"(REST /webhooks/rest/webhook, socket.io, health /health), actions {config.actions_url}. Ctrl-C stops everything.",
    )
    return supervisor.run(every_second=ReadyNotice(supervisor, f"http://127.0.0.1:{config.rasa_port}/health"))


if __name__ == "__main__":
    raise SystemExit(main())
