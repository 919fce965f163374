"""A government deployment sends nothing to third parties: Rasa's command line, as the project
runs it (scripts/rasa_offline.py), reports no usage telemetry and no crash to Sentry, even on a
machine where Rasa once ran with its defaults (telemetry on, which also turns on Sentry)."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# What Rasa's main() does at every start: telemetry first (it writes its defaults to $HOME the
# first time), then Sentry, which it sets up whenever telemetry is on, with a key in the package.
START = """
import sys
sys.path.insert(0, "scripts")
if sys.argv[1] == "offline":
    import rasa_offline
    rasa_offline.disable_reporting()
import rasa.telemetry, sentry_sdk
telemetry = rasa.telemetry.initialize_telemetry()
rasa.telemetry.initialize_error_reporting()
print("telemetry", bool(telemetry), "sentry", sentry_sdk.Hub.current.client is not None)
"""


def start(how: str, home: Path) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RASA_")}
    env["HOME"] = str(home)
    done = subprocess.run([str(RASA_PYTHON), "-c", START, how], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_rasa_as_the_project_runs_it_reports_nothing(tmp_path):
    assert start("plain", tmp_path) == "telemetry True sentry True"  # Rasa's defaults, on this machine
    assert start("offline", tmp_path) == "telemetry False sentry False"
