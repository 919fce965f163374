"""The whole assistant on this machine: the Cloud API simulator, the action server and the Rasa
server with its WhatsApp channel, on fresh databases in one directory. Used by the end-to-end
tests and by `make bench`; a caller may restart the Rasa server (or kill it) mid-run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx


class StackError(RuntimeError):
    """A process would not start or answer; the message names its log."""


ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "e2e"
SIMULATOR = "http://127.0.0.1:5100"
RASA = "http://127.0.0.1:5005"
WEBHOOK = f"{RASA}/webhooks/whatsapp/webhook"
DEMO_PHONE = "919876543210"


def whatsapp_settings() -> dict[str, str]:
    """The simulator settings from scripts/whatsapp-env (one place for them)."""
    text = (ROOT / "scripts" / "whatsapp-env").read_text()
    return dict(re.findall(r'"\$\{(WHATSAPP_\w+):=([^}]*)\}"', text))


class Process:
    def __init__(self, name: str, command: list[str], health: str, env: dict[str, str], start_seconds: float, log: Path) -> None:
        self.name, self.command, self.health, self.env, self.start_seconds = name, command, health, env, start_seconds
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise StackError(f"{self.name} exited with {self.popen.returncode}; see {self.log}")
            try:
                if httpx.get(self.health, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise StackError(f"{self.name} did not answer at {self.health} within {self.start_seconds:.0f} s; see {self.log}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class Stack:
    def __init__(self, directory: Path = VAR, **extra_env: str) -> None:
        self.directory = directory
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        self.settings = whatsapp_settings()
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
        (directory / "endpoints.yml").write_text(
            'action_endpoint:\n  url: "http://127.0.0.1:5055/webhook"\n'
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {directory / 'tracker.db'}\n"
        )
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "nagarik", "init"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.simulator = Process(
            "simulator",
            [
                str(ROOT / ".venv/bin/python"),
                "-m",
                "simulator",
                "--port",
                "5100",
                "--webhook-url",
                WEBHOOK,
                "--retry-attempts",
                "12",
                "--retry-base",
                "0.5",
                "--timeout-hold",
                "5",
                "--seed",
                "7",
            ],
            f"{SIMULATOR}/_sim/health",
            self.env,
            30,
            directory / "simulator.log",
        )
        self.actions = Process(
            "actions",
            [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"],
            "http://127.0.0.1:5055/health",
            self.env,
            60,
            directory / "actions.log",
        )
        self.rasa = Process(
            "rasa",
            [
                str(ROOT / ".venv-rasa/bin/python"),
                str(ROOT / "scripts/rasa_offline.py"),  # no telemetry, no crash reports to third parties
                "run",
                "--enable-api",
                "--port",
                "5005",
                "--model",
                "models",
                "--endpoints",
                str(directory / "endpoints.yml"),
                "--credentials",
                "credentials.yml",
            ],
            f"{RASA}/webhooks/whatsapp/",
            self.env,
            240,
            directory / "rasa.log",
        )

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
