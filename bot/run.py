"""Start every process of Palīgs on embedded defaults and stop them all together.

``python -m bot.run`` migrates the register, then runs the action server, the Rasa
server (REST, socket.io and, when TELEGRAM_TOKEN is set, Telegram) and the web portal
until Ctrl-C or until one of them exits.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot import migrate, settings

PYTHON = sys.executable


def commands(config: settings.Settings, model: Path) -> dict[str, list[str]]:
    """The command line of each process, by name."""
    return {
        "actions": [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(config.actions_port)],
        "rasa": [
            PYTHON, "-m", "bot.server", "run",
            "--model", str(model),
            "--port", str(config.rasa_port),
            "--credentials", str(settings.ROOT / "credentials.yml"),
            "--endpoints", str(settings.ROOT / "endpoints.yml"),
            "--cors", "*",
        ],
        "web": [PYTHON, "-m", "connectors.web.server"],
    }


def start(config: settings.Settings, model: Path) -> dict[str, subprocess.Popen]:
    """Start the processes with the settings in their environment."""
    env = {
        **os.environ,
        "ACTIONS_PORT": str(config.actions_port),
        "DATABASE_URL": config.database_url,
        "PALIGS_DATA_DIR": str(config.data_dir),
        "RASA_PORT": str(config.rasa_port),
        "WEB_PORT": str(config.web_port),
    }
    return {
        name: subprocess.Popen(cmd, cwd=settings.ROOT, env=env, start_new_session=True)
        for name, cmd in commands(config, model).items()
    }


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """Terminate every process (and its children), killing those that do not stop in time."""
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    config = settings.load()
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else settings.ROOT / "models" / "paligs.tar.gz"
    migrate.upgrade(config.database_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the children on SIGTERM too
    processes = start(config, model)
    print(
        f"Palīgs: web portal http://localhost:{config.web_port}, Rasa http://localhost:{config.rasa_port} "
        f"(REST /webhooks/rest/webhook, socket.io), actions http://localhost:{config.actions_port}. "
        "Ctrl-C stops everything.",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        failed = [name for name, p in processes.items() if p.returncode]
        print(f"Palīgs: {', '.join(failed) or 'a process'} exited; stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    raise SystemExit(main())
