"""Run a few processes as one service: one log stream, and nothing left behind on stop.

Each child runs in its own session (process group), so a terminal's Ctrl-C or a group
SIGTERM reaches only this supervisor, which then stops every child's whole group: SIGTERM,
and SIGKILL for whatever is still running after the grace period. Signal handlers only
set a flag, so a second signal during the stop changes nothing. If a child exits on its
own, the supervisor names it, shows its last log lines and stops the others, unless the
child is one of a redundant group (replicas) of which another member still runs.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO

from bot.privacy import mask_personal_codes

GRACE_SECONDS = 8.0
TAIL_LINES = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    tail: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    reader: Optional[threading.Thread] = None
    stop_signal: int = signal.SIGTERM
    group: Optional[str] = None
    reported: bool = False

    def group_alive(self) -> bool:
        """Whether any process of the child's group still runs (reaping the leader)."""
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


class Supervisor:
    """Starts named commands and stops them all together."""

    def __init__(self, out: TextIO = sys.stdout, log_dir: Optional[Path] = None, grace: float = GRACE_SECONDS) -> None:
        self.children: list[Child] = []
        self._out = out
        self._log_dir = log_dir
        self._grace = grace
        self._lock = threading.Lock()
        self._stop_signal: Optional[int] = None
        if log_dir:
            log_dir.mkdir(parents=True, exist_ok=True)

    def say(self, name: str, line: str) -> None:
        """One line of one process's output (masked) to the common stream and its log file."""
        line = mask_personal_codes(line.rstrip("\n"))
        with self._lock:
            print(f"{name:<8}| {line}", file=self._out, flush=True)
            if self._log_dir:
                with open(self._log_dir / f"{name}.log", "a", encoding="utf-8") as log:
                    log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")

    def start(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path,
        stop_signal: int = signal.SIGTERM, group: Optional[str] = None,
    ) -> Child:
        """Start a command; ``stop_signal`` asks it to stop, ``group`` names its redundant group."""
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, text=True, encoding="utf-8", errors="replace",
        )
        child = Child(name, process, stop_signal=stop_signal, group=group)
        child.reader = threading.Thread(target=self._relay, args=(child,), daemon=True)
        child.reader.start()
        self.children.append(child)
        self.say("paligs", f"{name} started (PID {process.pid}).")
        return child

    def _relay(self, child: Child) -> None:
        assert child.process.stdout is not None
        for line in child.process.stdout:
            child.tail.append(line.rstrip("\n"))
            self.say(child.name, line)

    def _request_stop(self, signum: int, _frame: object) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def handle_signals(self) -> None:
        """From now on a stop signal only sets ``stop_requested`` (``run`` then stops everything)."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._request_stop)

    @property
    def stop_requested(self) -> bool:
        return self._stop_signal is not None

    def _fatal_exit(self) -> Optional[Child]:
        """Report children that exited; the first whose exit ends the service (None: all is well)."""
        for child in self.children:
            if child.reported or child.process.poll() is None:
                continue
            child.reported = True
            peers = [c for c in self.children if child.group and c.group == child.group and c.process.poll() is None]
            self._report_exit(child, len(peers))
            if not peers:
                return child
        return None

    def run(self, every_second: Callable[[], None] = lambda: None) -> int:
        """Wait until a stop signal or a fatal child exit; then stop everything. The exit status."""
        self.handle_signals()
        status = 0
        try:
            while self._stop_signal is None:
                if self._fatal_exit():
                    status = 1
                    break
                every_second()
                time.sleep(1.0)
            else:
                self.say("paligs", f"{signal.Signals(self._stop_signal).name} received; stopping.")
        finally:
            self.stop()
        return status

    def _report_exit(self, child: Child, peers_running: int) -> None:
        code = child.process.returncode
        reason = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        self.say("paligs", f"{child.name} stopped ({reason}); its last lines:")
        for line in list(child.tail):
            self.say("paligs", f"  {child.name}: {line}")
        if peers_running:
            self.say("paligs", f"{peers_running} other {child.group} process(es) still run; carrying on without it.")
        else:
            self.say("paligs", "stopping the other processes.")

    def stop(self) -> None:
        """Each group's stop signal, SIGKILL what is left after the grace period, wait for all."""
        for child in self.children:
            child.signal_group(child.stop_signal)
        deadline = time.monotonic() + self._grace
        while time.monotonic() < deadline and any(c.group_alive() for c in self.children):
            time.sleep(0.1)
        for child in self.children:
            if child.group_alive():
                self.say("paligs", f"{child.name} did not stop in {self._grace:.0f} s; killing it.")
                child.signal_group(signal.SIGKILL)
        for child in self.children:
            child.process.wait()
            if child.reader:
                child.reader.join(timeout=2)
