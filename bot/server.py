"""The Rasa server: ``python -m bot.server <rasa arguments>`` (the same arguments as ``rasa``).

Before Rasa starts: every formatted log line is masked (``bot.logs``); Rasa's telemetry is
off and the settings ``endpoints.yml`` reads are resolved (``bot.settings.export_for_rasa``);
and ``bot.rasa_patches`` makes the two changes Rasa has no extension point for. Everything
else Palīgs adds goes through Rasa's own extension points: input channels
(``credentials.yml``: the ingress door, ``/health``), NLU components (``config.yml``), the
tracker and lock stores (``endpoints.yml``).

With ``PALIGS_PROFILE=<file>`` the whole server run is profiled (cProfile) and the
statistics are written to the file when it stops (``make bench`` uses it).
"""
from __future__ import annotations

import cProfile
import sys

from bot import logs, rasa_patches, settings


def main() -> None:
    config = settings.load()
    logs.install_masking()
    settings.export_for_rasa(config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    if config.profile_to is None:
        rasa_main()
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        rasa_main()
    finally:
        profiler.disable()
        profiler.dump_stats(config.profile_to)


if __name__ == "__main__":
    main()
