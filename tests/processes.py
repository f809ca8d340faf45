"""Helpers for tests that start and stop processes the way an operator or systemd would."""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Callable

from tests.conftest import ROOT

STOP_WITHIN_SECONDS = 15


def wait_until(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def started_pids(output: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"started \(PID (\d+)\)", output.read_text())]


def launch(tmp_path: Path, env: dict[str, str], command: list[str]) -> tuple[subprocess.Popen, Path]:
    """Start a command in its own process group, as systemd or a CI runner would."""
    output = tmp_path / "launcher.out"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    return process, output
