"""``make bench``: Palīgs and a stock ``rasa init`` bot under the same load, in one run.

``python -m bot.ops.bench`` builds the stock bot once (``rasa init`` in ``data/bench/stock``,
which trains it), starts it (``rasa run``, REST only; its template has no custom actions,
so no action server) and Palīgs (``bot.ops.run``'s commands, on free ports, with a REST token
and a fresh SQLite register), and drives both over REST with closed-loop users: each user
plays whole dialogues, a new sender per dialogue, without pauses. Palīgs: a complaint,
suggestion or service request, the first kind button, then "/deny" (no contact), until a
reference number; the stock bot: its mood dialogue. For every number of users, each bot in
turn for the same time. Prints a Markdown table: turns/s, latency percentiles, errors
(failed requests and dialogues that did not end as they should), each Rasa server's peak
resident memory, and the CPU time its server processes (Rasa, and Palīgs' action server)
used per turn, which other load on the machine disturbs less than turns/s. ``--url``
drives an already running Palīgs (e.g. ``make cluster``'s nginx) instead; ``--profile FILE``
writes a cProfile of Palīgs' Rasa server.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Optional

import aiohttp

from bot import settings
from bot.ops.ports import free_port
from bot.ops.run import commands, environment
from bot.ops.supervisor import Supervisor
from bot.register import migrate

BENCH_DIR = settings.ROOT / "data" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
RASA = Path(sys.executable).with_name("rasa")
REFERENCE_PREFIXES = ("Numurs: S-", "Numurs: I-", "Numurs: P-")
MAX_TURNS = 6
START_TIMEOUT_SECONDS = 300
PALIGS_MESSAGES = [
    "Jau trešo nedēļu nav izvesti atkritumi, esmu neapmierināta",
    "Esmu sašutis, ka uz manu iesniegumu neviens nav atbildējis jau divus mēnešus",
    "Autobuss nr 5 atkal neapstājās pieturā, un šoferis bija rupjš",
    "Ierosinu bibliotēkā ieviest darba laiku arī svētdienās, tas būtu ērti strādājošajiem",
    "Ierosinu uzstādīt soliņus parkā pie ezera, tur ir grūti atpūsties vecākiem cilvēkiem",
    "Vēlos pieteikt savu meitu bērnudārza rindā, viņai ir divi gadi",
    "Ielas apgaismojums mūsu ielā nedarbojas jau mēnesi, lūdzu salabot",
]
STOCK_DIALOGUES = [["hello", "I am feeling great", "bye"], ["hi", "I am sad", "yes"], ["hey", "very sad", "no"]]

Post = Callable[[str], Awaitable[list[dict]]]


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


async def paligs_dialogue(post: Post, rng: random.Random) -> bool:
    """A cooperative citizen registers something; whether a reference number came back."""
    replies = await post(rng.choice(PALIGS_MESSAGES))
    for _ in range(MAX_TURNS - 1):
        if any(prefix in texts(replies) for prefix in REFERENCE_PREFIXES):
            return True
        payloads = [b["payload"] for r in replies for b in r.get("buttons", [])]
        if not payloads:
            return False
        replies = await post("/deny" if "/deny" in payloads else payloads[0])
    return any(prefix in texts(replies) for prefix in REFERENCE_PREFIXES)


async def stock_dialogue(post: Post, rng: random.Random) -> bool:
    """The ``rasa init`` bot's mood dialogue; whether every turn got an answer."""
    for message in rng.choice(STOCK_DIALOGUES):
        if not await post(message):
            return False
    return True


@dataclass
class Bot:
    name: str
    url: str
    dialogue: Callable[[Post, random.Random], Awaitable[bool]]
    token: Optional[str] = None
    pid: Optional[int] = None  # the Rasa server process, for its memory
    helper_pids: list[int] = field(default_factory=list)  # its action server, for the CPU time

    @property
    def pids(self) -> list[int]:
        return ([self.pid] if self.pid else []) + self.helper_pids


@dataclass
class Result:
    bot: str
    users: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    peak_rss_mb: Optional[float] = None
    cpu_seconds: Optional[float] = None  # used by the bot's server processes during the run

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")

    def row(self) -> str:
        memory = f"{self.peak_rss_mb:.0f}" if self.peak_rss_mb is not None else "–"
        cpu = f"{1000 * self.cpu_seconds / len(self.latencies):.0f}" if self.cpu_seconds and self.latencies else "–"
        turns_per_second = len(self.latencies) / self.seconds
        percentiles = " | ".join(f"{self.percentile(share):.0f}" for share in (0.5, 0.95, 0.99))
        return f"| {self.bot} | {self.users} | {turns_per_second:.1f} | {percentiles} | {self.errors} | {memory} | {cpu} |"


def rss_mb(pid: int) -> Optional[float]:
    """The process's resident memory now (VmRSS), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


async def drive(bot: Bot, users: int, seconds: float, seed: int = 0) -> Result:
    """``users`` closed-loop users play dialogues for ``seconds``; turns are timed one by one."""
    result = Result(bot.name, users, seconds)
    headers = {"Authorization": f"Bearer {bot.token}"} if bot.token else {}
    timeout = aiohttp.ClientTimeout(total=60)
    stop_at = time.monotonic() + seconds

    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:

        async def user(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            while time.monotonic() < stop_at:
                sender = f"bench-{number}-{secrets.token_hex(6)}"

                async def post(message: str) -> list[dict]:
                    started = time.perf_counter()
                    async with session.post(f"{bot.url}/webhooks/rest/webhook",
                                            json={"sender": sender, "message": message}) as answer:
                        answer.raise_for_status()
                        replies = await answer.json()
                    result.latencies.append(time.perf_counter() - started)
                    return replies

                try:
                    if not await bot.dialogue(post, rng):
                        result.errors += 1
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    result.errors += 1

        async def sample_memory() -> None:
            while bot.pid and time.monotonic() < stop_at:
                now = rss_mb(bot.pid)
                if now is not None:
                    result.peak_rss_mb = max(result.peak_rss_mb or 0.0, now)
                await asyncio.sleep(0.5)

        started, cpu_before = time.monotonic(), cpu_seconds(bot.pids)
        await asyncio.gather(sample_memory(), *(user(n) for n in range(users)))
        result.seconds = time.monotonic() - started
        result.cpu_seconds = cpu_seconds(bot.pids) - cpu_before if bot.pids else None
    return result


def build_stock_bot() -> Path:
    """The stock bot's model, built by ``rasa init`` (which trains it) the first time."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if not models:
        shutil.rmtree(STOCK_DIR, ignore_errors=True)
        STOCK_DIR.mkdir(parents=True)
        print(f"Building the stock bot in {STOCK_DIR} (rasa init, about a minute)...", file=sys.stderr)
        subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
        models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    return models[-1]


def start_stock(supervisor: Supervisor) -> Bot:
    model, port = build_stock_bot(), free_port()
    command = [str(RASA), "run", "--model", str(model), "--port", str(port), "--credentials", "credentials.yml",
               "--endpoints", "endpoints.yml"]
    child = supervisor.start("stock", command, {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, STOCK_DIR)
    return Bot("stock rasa init", f"http://127.0.0.1:{port}", stock_dialogue, pid=child.process.pid)


def start_paligs(supervisor: Supervisor, model: Path, profile: Optional[Path]) -> Bot:
    """Palīgs with ``bot.ops.run``'s commands on free ports, a fresh register and a REST token."""
    data = BENCH_DIR / "paligs"
    shutil.rmtree(data, ignore_errors=True)
    token = secrets.token_hex(16)
    os.environ.update({
        "PALIGS_DATA_DIR": str(data), "RASA_PORT": str(free_port()), "ACTIONS_PORT": str(free_port()),
        "WEB_PORT": str(free_port()), "REST_TOKEN": token, "PALIGS_SECRET": secrets.token_hex(32),
    })
    for name in ("DATABASE_URL", "TRACKER_URL", "ACTIONS_URL", "ACTIONS_TOKEN", "TELEGRAM_TOKEN"):
        os.environ.pop(name, None)
    config = settings.load()
    migrate.upgrade(config.database_url)
    env = environment(config)
    if profile:
        env["PALIGS_PROFILE"] = str(profile.resolve())
    processes = commands(config, model)
    actions = supervisor.start("actions", processes["actions"], env, settings.ROOT)
    rasa = supervisor.start("paligs", processes["rasa"], env, settings.ROOT)
    return Bot("Palīgs", f"http://127.0.0.1:{config.rasa_port}", paligs_dialogue, token, rasa.process.pid,
               [actions.process.pid])


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def wait_ready(bot: Bot) -> None:
    """Until a whole dialogue works (the model is loaded and warm)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not all(running(pid) for pid in bot.pids):
            raise RuntimeError(f"{bot.name} exited during start-up (see {BENCH_DIR / 'servers.log'})")
        result = await drive(bot, 1, 0.1, seed=99)
        if result.latencies and not result.errors:
            return
        await asyncio.sleep(2)
    raise RuntimeError(f"{bot.name} did not answer at {bot.url} within {START_TIMEOUT_SECONDS} s")


async def bench(bots: list[Bot], users: list[int], seconds: float) -> list[Result]:
    for bot in bots:
        await wait_ready(bot)
    results = []
    for count in users:  # the bots take turns at each load, so both see the same machine
        for bot in bots:
            results.append(await drive(bot, count, seconds))
            print(results[-1].row(), file=sys.stderr, flush=True)
    return results


def table(results: list[Result]) -> str:
    lines = [
        "| bot | users | turns/s | p50 ms | p95 ms | p99 ms | errors | Rasa RSS peak MB | server CPU ms/turn |",
        "|---|---|---|---|---|---|---|---|---|",
        *(r.row() for r in results),
    ]
    return "\n".join(lines)


def arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.ops.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,30", help="comma-separated numbers of concurrent users")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each load")
    parser.add_argument("--model", type=Path, default=settings.ROOT / "models" / "paligs.tar.gz")
    parser.add_argument("--url", help="drive a running Palīgs here (REST_TOKEN from the environment) instead")
    parser.add_argument("--no-stock", action="store_true", help="leave the stock bot out")
    parser.add_argument("--profile", type=Path, help="write a cProfile of Palīgs' Rasa server here")
    return parser.parse_args(argv)


def stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # like Ctrl-C: the ``finally`` stops the bots


def main(argv: Optional[list[str]] = None) -> int:
    args = arguments(argv)
    users = [int(n) for n in args.users.split(",")]
    if not args.url and not args.model.exists():
        print(f"No trained model at {args.model}: `make train` builds it.", file=sys.stderr)
        return 2
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(out=(BENCH_DIR / "servers.log").open("w", encoding="utf-8"))
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        bots = [] if args.no_stock or args.url else [start_stock(supervisor)]
        if args.url:
            bots.append(Bot("Palīgs", args.url.rstrip("/"), paligs_dialogue, os.environ.get("REST_TOKEN")))
        else:
            bots.append(start_paligs(supervisor, args.model, args.profile))
        results = asyncio.run(bench(bots, users, args.seconds))
    finally:
        supervisor.stop()
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
