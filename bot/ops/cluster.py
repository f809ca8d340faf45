"""The multi-host set-up on one machine, on loopback: ``make cluster`` / ``python -m bot.ops.cluster``.

PostgreSQL (the register and Rasa's conversations, a cluster of its own in the data
folder), Redis (Rasa's lock store), Rasa server replicas, stateless action servers, the
web portal and nginx in front of the replicas and of the action servers, all under
``bot.ops.supervisor``: one log stream, Ctrl-C stops everything. A replica or action server
that dies is reported and the others carry on; anything else that dies stops it all.
Every port is an option, so tests run it on free ports (README, "Growing past one machine").
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import psycopg2
import redis

from bot import settings
from bot.ops.ports import port_problem
from bot.ops.run import PYTHON, ReadyNotice, environment, rasa_command
from bot.ops.supervisor import Child, Supervisor
from bot.register import migrate

ENDPOINTS = settings.ROOT / "deploy" / "cluster" / "endpoints.yml"
NGINX_TEMPLATE = settings.ROOT / "deploy" / "cluster" / "nginx.conf.template"
DATABASE = "paligs"
START_TIMEOUT_SECONDS = 60
PACKAGES = "postgresql redis-server nginx"


@dataclass(frozen=True)
class Ports:
    """Every port the cluster listens on (all on 127.0.0.1)."""

    front: int = 5005  # nginx: REST, socket.io, Telegram, /health, for clients
    actions: int = 5055  # nginx: the action servers, for the replicas
    rasa: tuple[int, ...] = (5011, 5012)
    action_servers: tuple[int, ...] = (5056, 5057)
    postgres: int = 5433
    redis: int = 6380
    web: int = 8080

    def all(self) -> list[int]:
        return [self.front, self.actions, *self.rasa, *self.action_servers, self.postgres, self.redis, self.web]


@dataclass(frozen=True)
class Tools:
    """The Debian programs the cluster runs."""

    postgres_bin: Path
    redis_server: str
    nginx: str


def find_tools() -> Optional[Tools]:
    """The newest PostgreSQL, redis-server and nginx installed; None if one is missing."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    search = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
    redis_server, nginx = shutil.which("redis-server", path=search), shutil.which("nginx", path=search)
    if not versions or not redis_server or not nginx:
        return None
    return Tools(versions[-1].parent, redis_server, nginx)


def database_url(config: settings.Settings, port: int, database: str = DATABASE) -> str:
    """The cluster's PostgreSQL (its password is derived from PALIGS_SECRET)."""
    return f"postgresql://paligs:{config.derived_secret('cluster-postgres')}@127.0.0.1:{port}/{database}"


def redis_url(config: settings.Settings, port: int) -> str:
    return f"redis://:{config.derived_secret('cluster-redis')}@127.0.0.1:{port}/0"


def as_postgres_user() -> list[str]:
    """Run as the ``postgres`` system user when we are root (PostgreSQL refuses root)."""
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if os.geteuid() == 0 else []


def unreachable_for_postgres(folder: Path) -> Optional[Path]:
    """A parent folder the postgres user cannot enter (when we are root), else None."""
    if os.geteuid() != 0:
        return None
    return next((p for p in folder.resolve().parents if p.exists() and not p.stat().st_mode & 0o001), None)


def init_postgres(tools: Tools, folder: Path, password: str) -> None:
    """Create the database cluster in ``folder`` once (password authentication only)."""
    if (folder / "PG_VERSION").exists():
        return
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    password_file = folder.parent / "pg-password"
    password_file.write_text(password)
    password_file.chmod(0o600)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(password_file, "postgres", "postgres")
    try:
        subprocess.run(
            [*as_postgres_user(), str(tools.postgres_bin / "initdb"), "-D", str(folder), "-U", "paligs",
             "--pwfile", str(password_file), "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8"],
            cwd=folder, check=True, stdout=subprocess.DEVNULL,
        )
    finally:
        password_file.unlink()


def postgres_command(tools: Tools, folder: Path, port: int) -> list[str]:
    return [
        *as_postgres_user(), str(tools.postgres_bin / "postgres"), "-D", str(folder), "-p", str(port),
        "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200",
    ]


def redis_command(tools: Tools, folder: Path, port: int, password: str) -> list[str]:
    """redis-server in the foreground; its password is in a config file only we can read."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "redis.conf"
    conf.touch(mode=0o600)
    conf.write_text(
        f"bind 127.0.0.1\nport {port}\nprotected-mode yes\nrequirepass {password}\n"
        f'save ""\nappendonly no\ndaemonize no\nlogfile ""\ndir {folder}\n'
    )
    return [tools.redis_server, str(conf)]


def nginx_config(folder: Path, ports: Ports) -> str:
    """nginx in front of the replicas (clients) and of the action servers (replicas)."""
    rasa = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in ports.rasa)
    actions = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in ports.action_servers)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "".join(f"  {kind}_temp_path {folder / 'tmp' / kind};\n" for kind in kinds)
    return NGINX_TEMPLATE.read_text().format(
        pid_file=folder / "nginx.pid", temp=temp, rasa=rasa, actions=actions,
        front_port=ports.front, actions_port=ports.actions,
    )


def nginx_command(tools: Tools, folder: Path, ports: Ports) -> list[str]:
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(folder, ports))
    return [tools.nginx, "-c", str(conf), "-p", str(folder), "-e", "stderr"]


def wait_until(supervisor: Supervisor, child: Child, ready: Callable[[], bool], what: str) -> None:
    """Wait for a service to answer; fail when it exits, time runs out or a stop is requested."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not supervisor.stop_requested:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited during start-up (status {child.process.returncode})")
        try:
            if ready():
                return
        except Exception:  # not up yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT_SECONDS} s")
        time.sleep(0.3)
    raise RuntimeError("stop requested during start-up")


def postgres_answers(url: str) -> bool:
    psycopg2.connect(url, connect_timeout=2).close()
    return True


def create_database(admin_url: str) -> None:
    """The ``paligs`` database, if it is not there yet."""
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        conn.close()


def create_conversation_table(url: str) -> None:
    """Rasa's conversation table, made here once: replicas that start together race to create
    it, and the loser logs the clash and waits 5 s."""
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def start_stores(supervisor: Supervisor, tools: Tools, config: settings.Settings, ports: Ports) -> None:
    """PostgreSQL (the database created and migrated) and Redis, both answering."""
    folder = config.data_dir
    init_postgres(tools, folder / "pg", config.derived_secret("cluster-postgres"))
    postgres = supervisor.start(
        "postgres", postgres_command(tools, folder / "pg", ports.postgres), dict(os.environ), settings.ROOT,
        stop_signal=signal.SIGINT,  # "fast" shutdown: close the sessions, then stop
    )
    admin_url = database_url(config, ports.postgres, "postgres")
    wait_until(supervisor, postgres, lambda: postgres_answers(admin_url), "PostgreSQL")
    create_database(admin_url)
    migrate.upgrade(database_url(config, ports.postgres))
    create_conversation_table(database_url(config, ports.postgres))
    store = supervisor.start(
        "redis", redis_command(tools, folder / "redis", ports.redis, config.derived_secret("cluster-redis")),
        dict(os.environ), settings.ROOT,
    )
    wait_until(supervisor, store, lambda: bool(redis.Redis.from_url(redis_url(config, ports.redis)).ping()), "Redis")


def start_services(supervisor: Supervisor, tools: Tools, config: settings.Settings, ports: Ports, model: Path) -> None:
    """The action servers, nginx, the Rasa replicas, the portal and the notifier, all with the same secrets."""
    env = {
        **environment(config),
        "PALIGS_SECRET": config.secret().decode(),
        "DATABASE_URL": database_url(config, ports.postgres),
        "TRACKER_URL": database_url(config, ports.postgres),
        "REDIS_URL": redis_url(config, ports.redis),
        "ACTIONS_HOST": "127.0.0.1",
        "ACTIONS_URL": f"http://127.0.0.1:{ports.actions}/webhook",
    }
    for number, port in enumerate(ports.action_servers, 1):
        supervisor.start(f"actions{number}", [PYTHON, "-m", "bot.action_server"], {**env, "ACTIONS_PORT": str(port)},
                         settings.ROOT, group="action server")
    nginx = supervisor.start("nginx", nginx_command(tools, config.data_dir / "nginx", ports), dict(os.environ),
                             settings.ROOT)
    wait_until(supervisor, nginx, lambda: port_problem("127.0.0.1", ports.front) is not None, "nginx")
    cluster_origins = (f"http://localhost:{ports.web}", f"http://127.0.0.1:{ports.web}", *config.cors_origins)
    for number, port in enumerate(ports.rasa, 1):
        supervisor.start(f"rasa{number}", rasa_command(model, port, ENDPOINTS, cors=cluster_origins),
                         {**env, "RASA_PORT": str(port)}, settings.ROOT,
                         group="Rasa replica")
    web_env = {**env, "RASA_PORT": str(ports.front), "WEB_PORT": str(ports.web)}
    supervisor.start("web", [PYTHON, "-m", "connectors.web.server"], web_env, settings.ROOT)
    supervisor.start("notifier", [PYTHON, "-m", "bot.notifier"], env, settings.ROOT)


def parse_ports(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(","))


def arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    defaults = Ports()
    parser = argparse.ArgumentParser(prog="python -m bot.ops.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=settings.ROOT / "models" / "paligs.tar.gz")
    parser.add_argument("--data-dir", type=Path, help="default: the data folder's cluster/")
    parser.add_argument("--port", type=int, default=defaults.front, help="nginx, for clients")
    parser.add_argument("--actions-port", type=int, default=defaults.actions, help="nginx, for the replicas")
    parser.add_argument("--rasa-ports", type=parse_ports, default=defaults.rasa,
                        help="one per replica, comma-separated")
    parser.add_argument("--action-server-ports", type=parse_ports, default=defaults.action_servers)
    parser.add_argument("--postgres-port", type=int, default=defaults.postgres)
    parser.add_argument("--redis-port", type=int, default=defaults.redis)
    parser.add_argument("--web-port", type=int, default=defaults.web)
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = arguments(argv)
    ports = Ports(args.port, args.actions_port, args.rasa_ports, args.action_server_ports,
                  args.postgres_port, args.redis_port, args.web_port)
    base = settings.load()
    config = replace(base, data_dir=(args.data_dir or base.data_dir / "cluster").resolve())
    tools = find_tools()
    if tools is None:
        print(f"The cluster needs the Debian packages {PACKAGES}: `make cluster` installs them.", file=sys.stderr)
        return 2
    problems = [p for port in ports.all() if (p := port_problem("127.0.0.1", port))]
    blocked = unreachable_for_postgres(config.data_dir)
    if blocked:
        problems.append(f"the postgres user cannot enter {blocked} (chmod o+x it or choose another --data-dir)")
    if problems:
        for problem in problems:
            print(f"The cluster cannot start: {problem}.", file=sys.stderr)
        return 2
    config.data_dir.mkdir(parents=True, exist_ok=True)
    if config.rest_token is None:
        print("WARNING: REST_TOKEN is not set: the REST channel accepts any client.", file=sys.stderr)
    log_dir = config.log_dir
    if log_dir is not None and not log_dir.is_absolute():
        log_dir = config.data_dir / log_dir
    supervisor = Supervisor(log_dir=log_dir)
    supervisor.handle_signals()
    try:
        start_stores(supervisor, tools, config, ports)
        start_services(supervisor, tools, config, ports, args.model)
    except Exception as problem:  # any start-up failure: stop what already runs
        supervisor.say("paligs", f"the cluster did not start: {problem}")
        supervisor.stop()
        return 1
    supervisor.say(
        "paligs",
        f"nginx http://127.0.0.1:{ports.front} (REST, socket.io, /health) in front of Rasa on {list(ports.rasa)}; "
        f"web portal http://127.0.0.1:{ports.web}; Ctrl-C stops everything.",
    )
    notices = [ReadyNotice(supervisor, f"http://127.0.0.1:{port}/health") for port in ports.rasa]

    def every_second() -> None:
        for notice in notices:
            notice()

    return supervisor.run(every_second=every_second)


if __name__ == "__main__":
    raise SystemExit(main())
