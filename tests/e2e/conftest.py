"""End to end over real HTTP: citizens write through the Cloud API simulator, the Rasa server's
WhatsApp channel receives signed webhooks, the action server answers from the civic database,
and the replies arrive back at the simulator.

The fixture starts all three processes on fresh databases under var/e2e/ and stops them after;
a test may restart the Rasa server. `make e2e-test` runs this directory.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "e2e"
SIMULATOR = "http://127.0.0.1:5100"
RASA = "http://127.0.0.1:5005"
WEBHOOK = f"{RASA}/webhooks/whatsapp/webhook"
DEMO_PHONE = "919876543210"
WAIT_SECONDS = 120.0  # a generous bound on "eventually": a hung process fails the test, never a slow one


def whatsapp_settings() -> dict[str, str]:
    """The simulator settings from scripts/whatsapp-env (one place for them)."""
    text = (ROOT / "scripts" / "whatsapp-env").read_text()
    return dict(re.findall(r'"\$\{(WHATSAPP_\w+):=([^}]*)\}"', text))


class Process:
    def __init__(self, name: str, command: list[str], health: str, env: dict[str, str], start_seconds: float) -> None:
        self.name, self.command, self.health, self.env, self.start_seconds = name, command, health, env, start_seconds
        self.log = VAR / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}; see {self.log}")
            try:
                if httpx.get(self.health, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"{self.name} did not answer at {self.health} within {self.start_seconds:.0f} s; see {self.log}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class Stack:
    def __init__(self) -> None:
        shutil.rmtree(VAR, ignore_errors=True)
        VAR.mkdir(parents=True)
        self.settings = whatsapp_settings()
        self.env = {
            **os.environ,
            **self.settings,
            "DATABASE_URL": f"sqlite:///{VAR / 'nagarik.db'}",
            "WHATSAPP_STORE_URL": f"sqlite:///{VAR / 'whatsapp.db'}",
            "WHATSAPP_EVIDENCE_DIR": str(VAR / "evidence"),
            "WHATSAPP_HTTP_TIMEOUT": "3",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        (VAR / "endpoints.yml").write_text(
            'action_endpoint:\n  url: "http://127.0.0.1:5055/webhook"\n'
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {VAR / 'tracker.db'}\n"
        )
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "nagarik.manage", "init"],
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
        )
        self.actions = Process(
            "actions",
            [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"],
            "http://127.0.0.1:5055/health",
            self.env,
            60,
        )
        self.rasa = Process(
            "rasa",
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "run",
                "--enable-api",
                "--port",
                "5005",
                "--model",
                "models",
                "--endpoints",
                str(VAR / "endpoints.yml"),
                "--credentials",
                "credentials.yml",
            ],
            f"{RASA}/webhooks/whatsapp/",
            self.env,
            240,
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


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    running = Stack()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def sim(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=SIMULATOR, timeout=30) as client:
        yield client
        client.delete("/_sim/faults")
        client.post("/_sim/config", json={"duplicate_rate": 0.0, "reorder_statuses": False})


def message_state(wamid: str) -> str | None:
    try:
        return httpx.get(f"{RASA}/webhooks/whatsapp/", params={"wamid": wamid}, timeout=5).json().get("state")
    except httpx.HTTPError:
        return None  # the Rasa server may be restarting


def wait_until(condition: Any, what: str, seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def text_of(message: dict[str, Any]) -> str:
    payload = message["payload"]
    kind = payload.get("type")
    if kind == "text":
        return payload["text"]["body"]
    if kind == "interactive":
        interactive = payload["interactive"]
        titles = [b["reply"]["title"] for b in interactive.get("action", {}).get("buttons", [])]
        for section in interactive.get("action", {}).get("sections", []):
            titles += [row["title"] for row in section["rows"]]
        return interactive["body"]["text"] + "\n" + " | ".join(titles)
    if kind == "template":
        return f"[template {payload['template']['name']}]"
    return f"[{kind}]"


class Citizen:
    """A person writing to the office's number through the simulator."""

    def __init__(self, sim: httpx.Client, phone: str) -> None:
        self.sim = sim
        self.phone = phone
        self.seen = self._latest_seq()
        self.last: list[dict[str, Any]] = []

    def _latest_seq(self) -> int:
        sent = self.sim.get("/_sim/sent", params={"to": self.phone}).json()
        return max((m["seq"] for m in sent), default=0)

    def send(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one message of any type; return what the office sent back once it was handled."""
        answer = self.sim.post("/_sim/inbound", json={"from": self.phone, **message})
        answer.raise_for_status()
        wamid = answer.json()["wamid"]
        wait_until(lambda: message_state(wamid) in ("done", "failed", "ignored"), f"message {wamid} to be handled")
        assert message_state(wamid) != "failed", f"the connector gave up on {wamid}"
        replies = [m for m in self.sim.get("/_sim/sent", params={"to": self.phone, "after": self.seen}).json()]
        if replies:
            self.seen = max(m["seq"] for m in replies)
        self.last = replies
        return replies

    def say(self, text: str) -> str:
        return "\n".join(text_of(m) for m in self.send({"type": "text", "text": text}))

    def tap(self, title_part: str) -> str:
        """Tap the button or list row (in the last interactive message) whose id is `title_part` or
        whose title contains it."""
        for message in reversed(self.last):
            interactive = message["payload"].get("interactive")
            if not interactive:
                continue
            action = interactive.get("action", {})
            for button in action.get("buttons", []):
                if title_part == button["reply"]["id"] or title_part in button["reply"]["title"]:
                    choice = {"type": "button_reply", "button_reply": button["reply"]}
                    return "\n".join(text_of(m) for m in self.send(choice))
            for section in action.get("sections", []):
                for row in section["rows"]:
                    if title_part == row["id"] or title_part in row["title"]:
                        choice = {"type": "list_reply", "list_reply": {"id": row["id"], "title": row["title"]}}
                        return "\n".join(text_of(m) for m in self.send(choice))
        pytest.fail(f"no button or row titled {title_part!r} in {[text_of(m) for m in self.last]}")


@pytest.fixture
def citizen(sim: httpx.Client):
    def make(phone: str) -> Citizen:
        return Citizen(sim, phone)

    return make
