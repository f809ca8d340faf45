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
    services = {path.stem.removeprefix("paligs-"): path.read_text() for path in UNITS.glob("*.service")}
    assert set(services) == set(run.commands(settings.load(), Path("model")))
    for unit in services.values():
        assert "Restart=on-failure" in unit and "EnvironmentFile=/etc/paligs/paligs.env" in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in [*UNITS.glob("*.service"), *UNITS.glob("*.target")]:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALL_DIR, str(ROOT)))
    names = sorted(p.name for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
