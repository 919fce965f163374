"""Rasa's command line with nothing sent to third parties: `.venv-rasa/bin/python scripts/rasa_offline.py ARGS`.

Rasa 3.6 turns usage telemetry (Segment) on by default: its first run writes "enabled: true" to
~/.config/rasa/global.yml and prints a banner, and with telemetry on it also sets up Sentry crash
reporting with a key shipped inside the package, so an uncaught exception would go to sentry.io.
A government deployment sends nothing to anyone: every Rasa command of the project (the
Makefile, the launcher harness/servers.py, the bench) goes through here, which turns both off and
writes nothing to $HOME. `RASA_TELEMETRY_ENABLED=false` covers Rasa used as a library
(bench/nlu_cv.py). tests/unit/test_offline.py checks it.

Nor does anything personal reach its logs: nagarik.shared.log_privacy is installed before Rasa
configures logging and again after each of its set-ups (`rasa run --debug` replaces the handlers
and configures structlog). tests/unit/test_log_privacy.py checks it.

And the action server's answers are validated against a schema checked once, not at every call
(nagarik.shared.rasa_action_calls: half of a turn's CPU otherwise), over kept-alive connections.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def disable_reporting() -> None:
    """Telemetry off (and no first-run banner, no config written to $HOME), error reporting off."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa pins SQLAlchemy 1.4; nothing to act on
    import rasa.telemetry

    rasa.telemetry.initialize_telemetry = lambda: False
    rasa.telemetry.initialize_error_reporting = lambda: None


def keep_logs_private() -> None:
    """Phone numbers masked, texts, slot values and dates left out of every log line (nagarik.shared.log_privacy)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # this script runs from scripts/; Rasa adds the project only later
    from nagarik.shared import log_privacy

    log_privacy.install()
    import rasa.__main__
    import rasa.utils.io

    def then_install(configure: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(configure)
        def configured(*args: Any, **kwargs: Any) -> Any:
            result = configure(*args, **kwargs)
            log_privacy.install()
            return result

        return configured

    # The names rasa.__main__.main calls: its logging and warnings, coloredlogs, then structlog.
    for module, name in ((rasa.__main__, "configure_logging_and_warnings"), (rasa.__main__, "configure_structlog")):
        setattr(module, name, then_install(getattr(module, name)))
    rasa.utils.io.configure_colored_logging = then_install(rasa.utils.io.configure_colored_logging)


def main() -> None:
    disable_reporting()
    keep_logs_private()
    from nagarik.shared import rasa_action_calls

    rasa_action_calls.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
