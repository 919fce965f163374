"""Rasa's command line with nothing sent to third parties: `.venv-rasa/bin/python scripts/rasa_offline.py ARGS`.

Rasa 3.6 turns usage telemetry (Segment) on by default: its first run writes "enabled: true" to
~/.config/rasa/global.yml and prints a banner, and with telemetry on it also sets up Sentry crash
reporting with a key shipped inside the package, so an uncaught exception would go to sentry.io.
A government deployment sends nothing to anyone: every Rasa command of the project (the
Makefile, the launcher harness/servers.py, the bench) goes through here, which turns both off and
writes nothing to $HOME. `RASA_TELEMETRY_ENABLED=false` covers Rasa used as a library
(bench/nlu_cv.py). tests/unit/test_offline.py checks it.
"""

from __future__ import annotations

import os
import sys


def disable_reporting() -> None:
    """Telemetry off (and no first-run banner, no config written to $HOME), error reporting off."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa pins SQLAlchemy 1.4; nothing to act on
    import rasa.telemetry

    rasa.telemetry.initialize_telemetry = lambda: False
    rasa.telemetry.initialize_error_reporting = lambda: None


def main() -> None:
    disable_reporting()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
