"""End to end over real HTTP: citizens write through the Cloud API simulator, the Rasa server's
WhatsApp channel receives signed webhooks, the action server answers from the civic database,
and the replies arrive back at the simulator.

The fixture starts all three processes on fresh databases under var/e2e/ and stops them after;
a test may restart the Rasa server. `make e2e-test` runs this directory.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.stack import DEMO_PHONE, ROOT, SIMULATOR, VAR, WEBHOOK, Stack, message_state
from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.outbound import broadcasts
from tests.support import add_subscriber, serving, wait_until

__all__ = ["DEMO_PHONE", "VAR", "WEBHOOK", "message_state", "wait_until"]  # the tests import these from here
PYTHON = str(ROOT / ".venv/bin/python")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    yield from serving(Stack())


@pytest.fixture
def sim(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=SIMULATOR, timeout=30) as client:
        yield client
        client.delete("/_sim/faults").raise_for_status()
        client.post("/_sim/config", json={"duplicate_rate": 0.0, "reorder_rate": 0.0}).raise_for_status()


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
def citizen(sim: httpx.Client, stack: Stack):
    """A citizen writing to the office. Unless `first_contact`, one who has already seen the
    privacy notice (tests/e2e/test_outreach.py covers the first contact itself)."""

    def make(phone: str, first_contact: bool = False) -> Citizen:
        if not first_contact:
            with db.session_scope(stack.env["DATABASE_URL"]) as session:
                subscriptions.notice_shown(session, phone)
        return Citizen(sim, phone)

    return make


@pytest.fixture
def office(stack, monkeypatch):
    """The civic database the stack uses, a queue of its own, and worker processes on demand."""
    queue = stack.directory / "queue.db"
    queue.unlink(missing_ok=True)
    env = {
        **stack.env,
        "NAGARIK_QUEUE_URL": f"sqlite:///{queue}",
        "NAGARIK_MESSAGES_PER_SECOND": "20",
        "NAGARIK_SEND_LEASE_SECONDS": "3",
    }
    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])
    workers: list[subprocess.Popen[bytes]] = []

    class Office:
        environment = env  # what cli() and start_worker() run with (a test may add to it)

        def citizen(self, phone: str, topics: tuple[str, ...], ward: str, language: str = "en", stop: bool = False) -> None:
            add_subscriber(phone, topics, ward, language, stop)

        def cli(self, *args: str) -> str:
            done = subprocess.run(
                [PYTHON, "-m", "nagarik", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        def start_worker(self, threads: int = 4) -> subprocess.Popen[bytes]:
            log = open(stack.directory / "worker.log", "ab")  # noqa: SIM115 (kept open for the process)
            worker = subprocess.Popen(
                [PYTHON, "-m", "nagarik", "worker", "--workers", str(threads)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
            workers.append(worker)
            return worker

        def wait_done(self, broadcast_id: int) -> broadcasts.Progress:
            def finished() -> broadcasts.Progress | None:
                with db.session_scope() as session:
                    state = broadcasts.progress(session, broadcast_id)
                return state if state.total and state.finished == state.total else None

            return wait_until(finished, f"broadcast {broadcast_id} to finish", seconds=180)

    yield Office()
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def sent_to(phone: str) -> list[dict]:
    return httpx.get(f"{SIMULATOR}/_sim/sent", params={"to": phone}).json()


def broadcast_id(output: str) -> int:
    return int(re.search(r"broadcast (\d+)", output).group(1))
