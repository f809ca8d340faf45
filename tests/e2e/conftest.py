"""End-to-end fixtures: a real trained model served by a real Rasa server, the real action
server and a real SQLite register, all on loopback ports of their own."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests

from bot.ops.ports import free_port
from bot.ops.run import rasa_command
from bot.register import Register, migrate, open_register
from tests.conftest import MODEL, ROOT
from tests.e2e.action_proxy import ActionProxy
from tests.e2e.fake_telegram import FakeBotApi

SECRET = "e2e-test-secret-0123456789abcdef0123456789"
TELEGRAM_TOKEN = "123456:TEST-TOKEN"
TELEGRAM_SECRET = "webhook-secret-1"
REST_TOKEN = "rest-token-1"
REST_AUTH = {"Authorization": f"Bearer {REST_TOKEN}"}
REFERENCE = re.compile(r"\b[SIP]-\d{4}-\d{6}\b")
ACCESS_CODE = re.compile(r"Piekļuves kods: ([A-Z0-9]{8})")


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


@dataclass
class Stack:
    """The running bot: Rasa server, action server and the register they write to."""

    env: dict
    rasa_port: int
    actions_port: int
    register: Register
    proxy: ActionProxy
    processes: dict = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _start(self, name: str, command: list[str], health_url: str) -> None:
        log = open(Path(self.env["PALIGS_DATA_DIR"]) / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        wait_for(health_url, process)

    def start_actions(self) -> None:
        self._start(
            "actions",
            [sys.executable, "-m", "bot.action_server"],
            f"http://127.0.0.1:{self.actions_port}/health",
        )

    def stop_actions(self) -> None:
        self._stop("actions")

    def kill_actions(self) -> None:
        """SIGKILL: the action server gets no chance to finish anything."""
        self.processes.pop("actions").kill()

    def stop_rasa(self) -> None:
        self._stop("rasa")

    def _stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(timeout=30)

    def start_rasa(self) -> None:
        self._start(
            "rasa",
            rasa_command(MODEL, self.rasa_port, cors=("*",)),  # the tests' portals listen on random ports
            f"http://127.0.0.1:{self.rasa_port}/",
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=30)

    def chat(self, sender: Optional[str] = None) -> "Chat":
        return Chat(self, sender or f"citizen-{uuid.uuid4().hex[:12]}")


@dataclass
class Chat:
    """One citizen's conversation over the REST channel."""

    stack: Stack
    sender: str

    def say(self, text: str) -> list[dict]:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            headers=REST_AUTH,
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    def text(self, message: str) -> str:
        """Say something; the bot's answer as one text."""
        return "\n".join(m.get("text", "") for m in self.say(message))

    def register_anything(self, message: str, kind_payload: Optional[str] = None) -> str:
        """Register a message accepting the proposed kind, without contact; the answer."""
        replies = self.say(message)
        button = kind_payload or replies[-1]["buttons"][0]["payload"]
        self.say(button)
        return self.text("/deny")


def buttons(replies: list[dict]) -> list[dict]:
    return [b for m in replies for b in m.get("buttons", [])]


@pytest.fixture(scope="session")
def telegram_api() -> FakeBotApi:
    api = FakeBotApi()
    api.start()
    return api


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeBotApi) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run the tests with `make test`.")
    data_dir = tmp_path_factory.mktemp("data")
    database_url = f"sqlite:///{data_dir / 'register.db'}"
    migrate.upgrade(database_url)
    actions_port = free_port()
    proxy = ActionProxy(f"http://127.0.0.1:{actions_port}")
    proxy.start()
    env = {
        **os.environ,
        "PALIGS_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "PALIGS_SECRET": SECRET,
        "ACTIONS_PORT": str(actions_port),
        "ACTIONS_URL": proxy.url,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram_api.base_url,
        "TELEGRAM_MODE": "webhook",
        "REST_TOKEN": REST_TOKEN,
        "LOG_LEVEL": "DEBUG",
    }
    running = Stack(env, free_port(), actions_port, open_register(database_url, SECRET.encode()), proxy)
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop()
