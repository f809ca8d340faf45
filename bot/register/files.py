"""Files the register keeps beside its tables (letters' attachments, photos): written once, atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` unless it is there already (content-addressed files never
    change): through a temporary file in the same folder, renamed into place, mode 0600."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
        out.write(data)
    os.chmod(out.name, 0o600)
    os.replace(out.name, target)
