"""`make run`'s launcher behaves like a service: clean stops, clear refusals, a health check."""
from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.ops.ports import port_problem
from tests.conftest import MODEL
from tests.e2e.conftest import REFERENCE, REST_AUTH, TELEGRAM_SECRET, Stack, free_port
from tests.e2e.fake_telegram import FakeBotApi
from tests.processes import STOP_WITHIN_SECONDS, alive, launch, started_pids, wait_until


def port_is_free(port: int) -> bool:
    return port_problem("0.0.0.0", port) is None


@pytest.fixture()
def launcher_env(tmp_path: Path, telegram_api: FakeBotApi) -> dict[str, str]:
    return {
        **os.environ,
        "PALIGS_DATA_DIR": str(tmp_path / "data"),
        "PALIGS_SECRET": "launcher-secret-0123456789abcdef0123456789",
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "REST_TOKEN": REST_AUTH["Authorization"].split()[1],
        "TELEGRAM_TOKEN": "987654:LAUNCHER",
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram_api.base_url,
        "PALIGS_LOG_DIR": "logs",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def test_make_run_serves_and_stops_completely_on_a_double_sigterm(
    tmp_path: Path, launcher_env: dict[str, str], telegram_api: FakeBotApi
) -> None:
    process, output = launch(tmp_path, launcher_env, [sys.executable, "-m", "bot.ops.run", str(MODEL)])
    rasa = f"http://127.0.0.1:{launcher_env['RASA_PORT']}"
    ports = [int(launcher_env[name]) for name in ("RASA_PORT", "ACTIONS_PORT", "WEB_PORT")]
    try:
        wait_until(lambda: "ready:" in output.read_text(), 240, f"never ready:\n{output.read_text()[-3000:]}")
        assert "REST_TOKEN" not in output.read_text(), "no warning when the REST token is set"
        chat = {"sender": "launcher-citizen"}
        say = lambda text: requests.post(f"{rasa}/webhooks/rest/webhook", json={**chat, "message": text},  # noqa: E731
                                         headers=REST_AUTH, timeout=60).json()
        question = say("Jau trešo nedēļu nav izvesti atkritumi, esmu neapmierināta. Mans personas kods 010190-12345.")
        say(question[-1]["buttons"][0]["payload"])
        assert REFERENCE.search(say("/deny")[0]["text"])
        update = {"update_id": 5001, "message": {"message_id": 1, "date": int(time.time()), "text": "sveiki",
                                                 "chat": {"id": 88001, "type": "private"},
                                                 "from": {"id": 88001, "is_bot": False, "first_name": "Jānis"}}}
        requests.post(f"{rasa}/webhooks/telegram/webhook", json=update,
                      headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=30)
        wait_until(lambda: bool(telegram_api.sent(88001)), 60, "Telegram got no answer")
        children = started_pids(output)
        assert len(children) == 4  # actions, rasa, web, notifier
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        time.sleep(0.3)
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    stopped_at = time.monotonic()
    process.wait(timeout=STOP_WITHIN_SECONDS)
    wait_until(lambda: not any(alive(pid) for pid in children) and all(port_is_free(p) for p in ports),
               STOP_WITHIN_SECONDS - (time.monotonic() - stopped_at), "processes or ports left behind")
    logs = "\n".join(p.read_text() for p in (Path(launcher_env["PALIGS_DATA_DIR"]) / "logs").glob("*.log"))
    combined = output.read_text()
    assert {"actions", "rasa", "web"} <= {line.split("|")[0].strip() for line in combined.splitlines() if "|" in line}
    assert "010190" not in combined and "010190" not in logs
    assert "Rasa server is up and running" in logs or "Starting Rasa server" in logs


def test_start_refuses_when_a_port_is_taken_and_leaves_nothing_running(
    tmp_path: Path, launcher_env: dict[str, str]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("0.0.0.0", int(launcher_env["RASA_PORT"])))
        squatter.listen()
        process, output = launch(tmp_path, launcher_env, [sys.executable, "-m", "bot.ops.run", str(MODEL)])
        assert process.wait(timeout=60) == 2
    text = output.read_text()
    assert f"port {launcher_env['RASA_PORT']} is in use by PID {os.getpid()}" in text
    assert "started (PID" not in text
    assert port_is_free(int(launcher_env["ACTIONS_PORT"])) and port_is_free(int(launcher_env["WEB_PORT"]))


def test_health_is_503_while_the_action_server_is_down_and_200_when_it_is_up(stack: Stack) -> None:
    assert requests.get(f"{stack.rasa_url}/health", timeout=30).status_code == 200
    stack.stop_actions()
    try:
        answer = requests.get(f"{stack.rasa_url}/health", timeout=30)
        assert answer.status_code == 503
        assert answer.json() == {"model": True, "action_server": False, "register": True}
    finally:
        stack.start_actions()
    assert requests.get(f"{stack.rasa_url}/health", timeout=30).status_code == 200
