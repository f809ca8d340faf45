"""`make cluster`: PostgreSQL, Redis, two Rasa replicas, two action servers and nginx.

The web widget's socket.io channel works through nginx (WebSocket). Then 50 citizens
register at once through nginx while one replica is killed with SIGKILL; a turn whose
request failed is sent again, as a client would. The register must end with
exactly one registration per dialogue, and stopping the cluster must leave nothing behind.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from bot import settings
from bot.ops.cluster import database_url, find_tools
from bot.ops.ports import free_ports
from tests.conftest import MODEL, ROOT
from tests.e2e.conftest import REFERENCE, REST_AUTH

pytestmark = pytest.mark.skipif(
    find_tools() is None,
    reason="needs the Debian packages postgresql, redis-server and nginx (.ci/run installs them)",
)

SECRET = "cluster-test-secret-0123456789abcdef01234567"
DIALOGUES = 50
KILL_AFTER_TURNS = 60  # of 150: the middle of the run
TURN_ATTEMPTS = 6
COMPLAINTS = [
    "Jau trešo nedēļu nav izvesti atkritumi, esmu neapmierināta",
    "Esmu sašutis, ka uz manu iesniegumu neviens nav atbildējis jau divus mēnešus",
    "Sūdzos par darbinieci, kura klientu centrā bija rupja un atteicās palīdzēt",
    "Kāpēc pagalmā jau mēnesi nedeg ielu apgaismojums? Neviens neko nedara, esmu dusmīgs",
    "Ceļš uz skolu ir pilns ar bedrēm, bet pašvaldība to ignorē jau pusgadu",
]


@dataclass
class Cluster:
    process: subprocess.Popen
    output: Path
    folder: Path
    front: int
    rasa_ports: tuple[int, int]
    postgres_port: int
    ports: list[int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.front}"

    def pids(self) -> dict[str, int]:
        """The PID of each process the cluster started, by name."""
        return {name: int(pid) for name, pid in re.findall(r"(\S+) started \(PID (\d+)\)", self.output.read_text())}

    def register_url(self) -> str:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PALIGS_SECRET", SECRET)
            return database_url(replace(settings.load(), data_dir=self.folder), self.postgres_port)



def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run the tests with `make test`.")
    folder = Path(tempfile.mkdtemp(prefix="paligs-cluster-"))
    folder.chmod(0o711)  # the postgres user must reach its cluster inside
    front, actions, rasa1, rasa2, actions1, actions2, postgres, redis, web = free_ports(9)
    output = folder / "cluster.out"
    env = {
        **os.environ, "PALIGS_SECRET": SECRET, "REST_TOKEN": REST_AUTH["Authorization"].split()[1],
        "TICKET_LOCK_LIFETIME": "15",  # a turn retried after the kill waits this long for the dead replica's lock
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    command = [
        sys.executable, "-m", "bot.ops.cluster", "--data-dir", str(folder / "data"), "--port", str(front),
        "--actions-port", str(actions), "--rasa-ports", f"{rasa1},{rasa2}",
        "--action-server-ports", f"{actions1},{actions2}", "--postgres-port", str(postgres),
        "--redis-port", str(redis), "--web-port", str(web),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    running = Cluster(process, output, folder / "data", front, (rasa1, rasa2), postgres,
                      [front, actions, rasa1, rasa2, actions1, actions2, postgres, redis, web])
    try:
        deadline = time.monotonic() + 400
        while not all(healthy(f"http://127.0.0.1:{port}") for port in running.rasa_ports):
            assert process.poll() is None, f"the cluster exited:\n{output.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the replicas did not become healthy:\n{output.read_text()[-3000:]}"
            time.sleep(1)
        yield running
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for pid in running.pids().values():
            try:
                os.killpg(pid, signal.SIGKILL)  # only if the test failed before checking the stop
            except ProcessLookupError:
                pass
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Run:
    """The load: dialogues, counted turns, retried turns, and the replica killed in the middle."""

    cluster: Cluster
    turns: int = 0
    retried: list[str] = field(default_factory=list)
    killed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def turn(self, session: requests.Session, sender: str, message: str) -> list[dict]:
        """One turn; a failed request (the replica died under it) is sent again."""
        for attempt in range(TURN_ATTEMPTS):
            try:
                answer = session.post(f"{self.cluster.url}/webhooks/rest/webhook",
                                      json={"sender": sender, "message": message}, headers=REST_AUTH, timeout=120)
                if answer.status_code == 200:
                    break
                failure = f"HTTP {answer.status_code}"
            except requests.RequestException as error:
                failure = type(error).__name__
            with self.lock:
                self.retried.append(f"{message[:20]!r}: {failure}")
            time.sleep(1 + attempt)
        else:
            raise AssertionError(f"{sender}: {message!r} failed {TURN_ATTEMPTS} times")
        with self.lock:
            self.turns += 1
            kill_now = self.turns == KILL_AFTER_TURNS
        if kill_now:
            threading.Thread(target=self.kill_a_replica).start()
        return answer.json()

    def kill_a_replica(self) -> None:
        os.kill(self.cluster.pids()["rasa1"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while port_open(self.cluster.rasa_ports[0]) and time.monotonic() < deadline:
            time.sleep(0.01)  # its threads take a moment to go, and its socket with them
        self.killed.set()

    def dialogue(self, number: int) -> str:
        time.sleep(random.uniform(0, 6))  # citizens do not all start at once
        sender = f"citizen-{number}-{uuid.uuid4().hex[:8]}"
        with requests.Session() as session:
            replies = self.turn(session, sender, COMPLAINTS[number % len(COMPLAINTS)])
            buttons = [b for r in replies for b in r.get("buttons", [])]
            assert buttons, f"{sender}: no kind buttons in {replies}"
            self.turn(session, sender, buttons[0]["payload"])
            replies = self.turn(session, sender, "/deny")
        answer = "\n".join(r.get("text", "") for r in replies)
        found = REFERENCE.search(answer)
        assert found, f"{sender}: no reference in {answer!r}"
        return found.group()


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def process_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


async def widget_turn(url: str, message: str) -> dict:
    """One turn over socket.io as the widget does it: WebSocket, a persistent session."""
    client, answers = socketio.AsyncClient(), asyncio.Queue()
    client.on("session_confirm", answers.put)
    client.on("bot_uttered", answers.put)
    await client.connect(url, transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(answers.get(), 30)
        await client.emit("user_uttered", {"message": message, "session_id": session_id})
        return await asyncio.wait_for(answers.get(), 60)
    finally:
        await client.disconnect()


def test_the_widget_channel_works_through_nginx(cluster: Cluster) -> None:
    answer = asyncio.run(widget_turn(cluster.url, COMPLAINTS[0]))
    assert "sūdzīb" in answer["text"] and answer.get("quick_replies")


def test_registrations_survive_a_killed_replica(cluster: Cluster) -> None:
    """50 concurrent registration dialogues; replica 1 is killed after 60 of the 150 turns.

    The kill lands wherever the dialogues are, "/deny" turns included: a replica killed
    after the register was written but before the conversation was saved makes the client
    send "/deny" again to the other replica, which finishes the same form submission again,
    and the register's submission key returns the registration stored the first time.
    """
    run = Run(cluster)
    with ThreadPoolExecutor(max_workers=DIALOGUES) as pool:
        references = list(pool.map(run.dialogue, range(DIALOGUES)))

    assert run.killed.is_set()
    pids = cluster.pids()
    assert not process_alive(pids["rasa1"])
    assert healthy(cluster.url) and healthy(f"http://127.0.0.1:{cluster.rasa_ports[1]}")
    print(f"{run.turns} turns, {len(run.retried)} retried: {run.retried}")

    assert len(set(references)) == DIALOGUES
    engine = create_engine(cluster.register_url())
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT reference FROM registrations")).scalars().all()
    engine.dispose()
    assert sorted(stored) == sorted(references), "lost or duplicated registrations"

    os.kill(cluster.process.pid, signal.SIGTERM)
    assert cluster.process.wait(timeout=30) == 0
    leftovers = [name for name, pid in pids.items() if process_alive(pid)]
    assert not leftovers, f"still running after the stop: {leftovers}"
    held = [port for port in cluster.ports if port_open(port)]
    assert not held, f"ports still open after the stop: {held}"
