"""The whole assistant on this machine: the Cloud API simulator, the action server and the Rasa
server with its WhatsApp channel, on fresh databases in one directory. Used by the end-to-end
tests and by `make bench`; a caller may restart the Rasa server (or kill it) mid-run. The
processes themselves are started by harness/servers.py, the one launcher.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx

from harness.servers import PYTHON, ROOT, action_server, rasa_server, run_secrets, simulator, simulator_settings, write_endpoints

VAR = ROOT / "var" / "e2e"
SIMULATOR = "http://127.0.0.1:5100"
RASA = "http://127.0.0.1:5005"
WEBHOOK = f"{RASA}/webhooks/whatsapp/webhook"
DEMO_PHONE = "919876543210"


class Stack:
    def __init__(self, directory: Path = VAR, **extra_env: str) -> None:
        self.directory = directory
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        self.settings = simulator_settings()
        self.env = {
            **os.environ,
            **self.settings,
            "DATABASE_URL": f"sqlite:///{directory / 'nagarik.db'}",
            "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
            "WHATSAPP_EVIDENCE_DIR": str(directory / "evidence"),
            "WHATSAPP_HTTP_TIMEOUT": "3",
            "WHATSAPP_RETRY_SECONDS": "0.2",  # a failing turn is given up on in seconds, not a minute
            "NAGARIK_SAMPLE_DIR": str(ROOT / "tests" / "fixtures" / "seed"),  # never the demo's rows
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            **extra_env,
        }
        self.env.update(run_secrets(self.env))
        subprocess.run([PYTHON, "-m", "nagarik", "init"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        self.simulator = simulator(
            5100, WEBHOOK, self.env, directory / "simulator.log",
            *("--retry-attempts", "12", "--retry-base", "0.5", "--timeout-hold", "5", "--seed", "7"),
        )  # fmt: skip
        self.actions = action_server(5055, self.env, directory / "actions.log")
        self.rasa = rasa_server(5005, write_endpoints(directory, 5055), self.env, directory / "rasa.log")

    def start(self) -> None:
        for process in (self.simulator, self.actions, self.rasa):
            process.start()

    def stop(self) -> None:
        for process in (self.rasa, self.actions, self.simulator):
            process.stop()

    def restart_rasa(self, sig: int = signal.SIGTERM) -> None:
        self.rasa.stop(sig)
        self.rasa.start()


def message_state(wamid: str) -> str | None:
    """Where the connector is with one inbound message: pending, processing, done, failed, ignored."""
    try:
        return httpx.get(f"{RASA}/webhooks/whatsapp/", params={"wamid": wamid}, timeout=5).json().get("state")
    except httpx.HTTPError:
        return None  # the Rasa server may be restarting
