"""The systemd units in deploy/systemd are valid and start what `make run` starts."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALL_DIR = "/opt/paligs"


def test_every_process_of_make_run_has_a_unit_with_a_restart_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings
    from bot.ops import run

    monkeypatch.setenv("IMAP_URL", "imaps://paligs:secret@mail.example.lv/INBOX")  # mail intake on: all processes
    units = {path.stem.removeprefix("paligs-"): path.read_text() for path in UNITS.glob("*.service")}
    services = {name: unit for name, unit in units.items() if "Type=oneshot" not in unit}
    assert set(services) == set(run.commands(settings.load(), Path("model")))
    for unit in services.values():
        assert "Restart=on-failure" in unit and "EnvironmentFile=/etc/paligs/paligs.env" in unit


def test_one_shot_jobs_run_from_a_timer_that_the_target_wants() -> None:
    """Jobs that are not long-running processes (the retention purge) run from a timer."""
    jobs = {path.stem for path in UNITS.glob("*.service") if "Type=oneshot" in path.read_text()}
    assert jobs == {"paligs-purge"}
    target = (UNITS / "paligs.target").read_text()
    for job in jobs:
        timer = UNITS / f"{job}.timer"
        assert timer.is_file() and "OnCalendar=" in timer.read_text() and f"Unit={job}.service" in timer.read_text()
        assert f"{job}.timer" in target
        assert "EnvironmentFile=/etc/paligs/paligs.env" in (UNITS / f"{job}.service").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in [*UNITS.glob("*.service"), *UNITS.glob("*.target"), *UNITS.glob("*.timer")]:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALL_DIR, str(ROOT)))
    names = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
