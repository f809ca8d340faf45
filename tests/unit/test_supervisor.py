"""The supervisor behind `make run`: a child that ignores SIGTERM is killed, a dying child is named."""
from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import STOP_WITHIN_SECONDS, alive, launch, started_pids, wait_until

SUPERVISED = textwrap.dedent(
    """
    import sys
    from bot.ops.supervisor import Supervisor

    python = sys.executable
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('stubborn up', flush=True); time.sleep(600)"
    crasher = "import time; print('loading', flush=True); time.sleep(float(sys.argv[1])); print('cannot open the register', flush=True); raise SystemExit(3)"
    supervisor = Supervisor()
    supervisor.start("stubborn", [python, "-c", stubborn], {}, ".")
    supervisor.start("sleeper", [python, "-c", "import time; time.sleep(600)"], {}, ".")
    supervisor.start("crasher", [python, "-c", "import sys; " + crasher, sys.argv[1]], {}, ".")
    raise SystemExit(supervisor.run())
    """
)


def test_a_child_that_ignores_sigterm_is_killed_in_time(tmp_path: Path) -> None:
    process, output = launch(tmp_path, {**os.environ, "PYTHONPATH": str(ROOT)}, [sys.executable, "-c", SUPERVISED, "600"])
    wait_until(lambda: "stubborn up" in output.read_text() and len(started_pids(output)) == 3, 30, "not started")
    children = started_pids(output)
    os.killpg(process.pid, signal.SIGTERM)
    os.killpg(process.pid, signal.SIGTERM)
    started = time.monotonic()
    process.wait(timeout=STOP_WITHIN_SECONDS)
    wait_until(lambda: not any(alive(pid) for pid in children), STOP_WITHIN_SECONDS - (time.monotonic() - started),
               "a child survived")
    assert "stubborn did not stop" in output.read_text()


def test_when_a_child_dies_the_launcher_names_it_shows_why_and_stops_the_rest(tmp_path: Path) -> None:
    process, output = launch(tmp_path, {**os.environ, "PYTHONPATH": str(ROOT)}, [sys.executable, "-c", SUPERVISED, "2"])
    assert process.wait(timeout=60) == 1
    text = output.read_text()
    assert "crasher stopped (exit status 3); its last lines:" in text
    assert "crasher: cannot open the register" in text
    assert not any(alive(pid) for pid in started_pids(output))
