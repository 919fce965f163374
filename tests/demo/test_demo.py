"""The README's demo as a new user runs it, end to end: `make demo` with the documented
PostgreSQL command, the citizen choosing updates in the chat, then "The demo as an official": an
announcement and an emergency alert to the 601 people of Jayanagar. Both reach everyone and no
copy fails; officials see delivered and read counts; the citizen is answered afterwards; an officer
logs in with the password make demo printed and answers the citizen's handoff; the
conversation itself is kept in PostgreSQL. `make demo-test` runs this; it needs the demo's ports
(5005, 5055, 5100, 5200) free and PostgreSQL (NAGARIK_TEST_DATABASE_URL, or the local server).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from harness.stack import DEMO_PHONE, ROOT, SIMULATOR
from nagarik import db
from nagarik.outbound import broadcasts
from tests.support import answers, wait_until

SERVER = os.environ.get("NAGARIK_TEST_DATABASE_URL") or "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
DATABASE = "nagarik_demo_test"
WORK = ROOT / "var" / "demo-test"
PYTHON = str(ROOT / ".venv/bin/python")
RASA = "http://127.0.0.1:5005"


def fresh_database() -> str:
    url = make_url(SERVER).set(database="postgres", query={})
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable: {exc}")
    finally:
        admin.dispose()
    return make_url(SERVER).set(database=DATABASE, query={}).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, str]]:
    """`make demo ENDPOINTS=endpoints.postgres.yml`, as the README's PostgreSQL section says, with
    a chat that only waits (the test talks to the simulator itself), stopped when the test ends."""
    WORK.mkdir(parents=True, exist_ok=True)
    for stale in WORK.glob("*.db*"):
        stale.unlink()
    url = fresh_database()
    parts = make_url(url)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NAGARIK_", "WHATSAPP_", "MAKE", "MFLAGS"))},
        "DATABASE_URL": url,
        "TRACKER_DB_HOST": parts.host or "127.0.0.1",
        "TRACKER_DB_PORT": str(parts.port or 5432),
        "TRACKER_DB_NAME": DATABASE,
        "TRACKER_DB_USER": parts.username or "postgres",
        "TRACKER_DB_PASSWORD": parts.password or "",
        # The demo's own files stay as the developer left them.
        "WHATSAPP_STORE_URL": f"sqlite:///{WORK / 'whatsapp.db'}",
        "NAGARIK_QUEUE_URL": f"sqlite:///{WORK / 'queue.db'}",
        "WHATSAPP_EVIDENCE_DIR": str(WORK / "evidence"),
    }
    log = open(WORK / "make-demo.log", "wb")  # noqa: SIM115 (kept open for the process)
    make = subprocess.Popen(
        ["make", "demo", "ENDPOINTS=endpoints.postgres.yml", "CHAT=cat"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: make.poll() is not None or (answers(f"{SIMULATOR}/_sim/health") and answers(f"{RASA}/")),
            "make demo to start its servers",
            seconds=600,
        )
        assert make.poll() is None, f"make demo exited with {make.returncode}; see {WORK / 'make-demo.log'}"
        yield env
    finally:
        if make.poll() is None:
            make.stdin.close()  # the "chat" ends: the launcher (python -m harness) stops every server, as /quit does
            make.wait(timeout=120)
        log.close()


class Citizen:
    def __init__(self, client: httpx.Client, phone: str) -> None:
        self.client, self.phone = client, phone
        self.seen = max((m["seq"] for m in self.sent()), default=0)

    def sent(self) -> list[dict]:
        return self.client.get("/_sim/sent", params={"to": self.phone}).json()

    def send(self, message: dict) -> list[dict]:
        """Send a message; the replies once the assistant has handled it."""
        wamid = self.client.post("/_sim/inbound", json={"from": self.phone, **message}).json()["wamid"]
        state = wait_until(lambda: self.state(wamid) in ("done", "failed", "ignored") and self.state(wamid), f"{wamid} handled")
        assert state == "done", f"the channel gave up on {wamid}"
        replies = [m for m in self.sent() if m["seq"] > self.seen]
        self.seen = max([self.seen, *(m["seq"] for m in replies)])
        return replies

    def state(self, wamid: str) -> str | None:
        return httpx.get(f"{RASA}/webhooks/whatsapp/", params={"wamid": wamid}, timeout=10).json().get("state")

    def say(self, words: str) -> list[dict]:
        return self.send({"type": "text", "text": words})

    def tap(self, replies: list[dict], row_id: str) -> list[dict]:
        for message in replies:
            action = message["payload"].get("interactive", {}).get("action", {})
            for button in action.get("buttons", []):
                if button["reply"]["id"] == row_id:
                    return self.send({"type": "button_reply", "button_reply": button["reply"]})
            for section in action.get("sections", []):
                for row in section["rows"]:
                    if row["id"] == row_id:
                        return self.send({"type": "list_reply", "list_reply": {"id": row["id"], "title": row["title"]}})
        pytest.fail(f"no choice {row_id!r} in the replies")


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PYTHON, "-m", "nagarik", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_official_demo_reaches_all_601_with_nothing_failed_and_the_chat_keeps_answering(demo):
    with httpx.Client(base_url=SIMULATOR, timeout=30) as client:
        citizen = Citizen(client, DEMO_PHONE)
        notice = citizen.say("hi")  # the README: the privacy notice comes first
        topics = citizen.tap(notice, "/subscribe")
        wards = citizen.tap(topics, '/subscribe{"topic":"water_supply"}')
        citizen.tap(wards, '/choose_ward{"ward":"jayanagar"}')

        started = time.time()
        announce = cli(
            demo, "announce", "--wards", "jayanagar", "--topics", "water_supply", "--yes",
            "--image", "https://demo.nagarik.example/tanker-schedule.jpg",
            "--en", "Water tankers for Jayanagar this week: 7 am at the 4th Block park",
            "--hi", "जयनगर के लिए इस हफ़्ते पानी के टैंकर: सुबह 7 बजे, 4th ब्लॉक पार्क",
            "--kn", "ಈ ವಾರ ಜಯನಗರಕ್ಕೆ ನೀರಿನ ಟ್ಯಾಂಕರ್: ಬೆಳಿಗ್ಗೆ 7ಕ್ಕೆ 4ನೇ ಬ್ಲಾಕ್ ಉದ್ಯಾನ",
        )  # fmt: skip
        alert = cli(
            demo, "alert", "--wards", "jayanagar", "--yes",
            "--en", "Heavy rain warning tonight: keep away from storm drains",
            "--hi", "आज रात भारी बारिश की चेतावनी: नालों से दूर रहें",
            "--kn", "ಇಂದು ರಾತ್ರಿ ಭಾರಿ ಮಳೆಯ ಎಚ್ಚರಿಕೆ: ಚರಂಡಿಗಳಿಂದ ದೂರವಿರಿ",
        )  # fmt: skip
        ids = [int(re.search(r"broadcast (\d+)", output).group(1)) for output in (announce, alert)]

        def progress(broadcast_id: int) -> broadcasts.Progress:
            with db.session_scope(demo["DATABASE_URL"]) as session:
                return broadcasts.progress(session, broadcast_id)

        for broadcast_id in ids:
            done = wait_until(
                lambda b=broadcast_id: (p := progress(b)).total and p.finished == p.total and p, f"broadcast {broadcast_id}", 600
            )
            assert done.total == 601 and not done.failures and done.states["failed"] == 0, done
            assert set(done.states) <= {"sent", "delivered", "read"}, done
            # Meta's statuses reach the officials' counts: the simulator's citizens read what they get.
            read = wait_until(lambda b=broadcast_id: progress(b).states["read"] == 601, f"601 read of {broadcast_id}", 300)
            assert read
        mine = citizen.sent()
        image = next(m for m in mine if m["payload"]["type"] == "image" and "tanker" in m["payload"]["image"]["caption"].lower())
        warning = next(m for m in mine if "storm drains" in str(m["payload"]))
        # How long the demo citizen (the last of the 601) waited, for the README; not asserted.
        (WORK / "timings.txt").write_text(
            f"alert after {warning['time'] - started:.1f} s, announcement after {image['time'] - started:.1f} s\n"
        )

        citizen.seen = max(m["seq"] for m in mine)  # the broadcasts were seen
        answer = citizen.say("what are the office hours")
        assert answer and all(m["payload"]["type"] in ("text", "interactive") for m in answer)

    tracker = create_engine(demo["DATABASE_URL"])
    with tracker.connect() as connection:  # the conversation is in PostgreSQL, as the README says
        events = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :p"), {"p": DEMO_PHONE}).scalar()
    tracker.dispose()
    assert events > 10


CONSOLE = "http://127.0.0.1:5200/console"


def demo_password(username: str) -> str:
    """The password `make demo` printed once for a demo account (the README's way to log in)."""
    printed = (WORK / "make-demo.log").read_text(encoding="utf-8", errors="replace")
    found = re.search(rf"console account {re.escape(username)} \(.*?\) password \(shown once\): (\S+)", printed)
    assert found, f"make demo did not print the password of {username}"
    return found.group(1)


def console_login(username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=CONSOLE, timeout=30, follow_redirects=False)
    assert client.post("/login", data={"username": username, "password": demo_password(username)}).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token
    return client, token.group(1)


def test_an_officer_logs_in_with_the_printed_password_and_answers_the_demo_citizen(demo):
    """The README's "Done means": the demo citizen asks for a person, the health officer replies
    from the console, and the reply reaches the citizen's chat; a supervisor opens the dashboard."""
    with httpx.Client(base_url=SIMULATOR, timeout=30) as client:
        citizen = Citizen(client, DEMO_PHONE)
        asked = " ".join(str(m["payload"]) for m in citizen.say("I want to talk to an officer"))
        reference = re.search(r"HO-\d{4}-\d{6}", asked)
        assert reference, asked
        officer, token = console_login("demo-health-officer")
        assert reference.group(0) in officer.get("/handoffs").text
        path = f"/handoffs/{reference.group(0)}"
        assert officer.post(f"{path}/take", data={"csrf_token": token}).status_code == 303
        answer = "Namaskara, this is the health office. How can we help?"
        assert officer.post(f"{path}/reply", data={"csrf_token": token, "text": answer}).status_code == 303
        wait_until(lambda: any(answer in str(m["payload"]) for m in citizen.sent()), "the officer's reply in the chat", 300)
        assert officer.post(f"{path}/return", data={"csrf_token": token, "outcome": "answered"}).status_code == 303
    supervisor, _ = console_login("demo-supervisor")
    assert supervisor.get("/dashboard").status_code == 200
