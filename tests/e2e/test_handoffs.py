"""A live handoff end to end: a citizen asks for a person in the chat, an officer takes the
request in the console (a real web server), replies, and the reply reaches the simulator as that
citizen's message through the outbound workers; the assistant stays silent while the officer owns
the conversation and answers again once it is returned."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from conftest import sent_to, text_of, wait_until

from harness.ports import free_port
from harness.servers import console as console_server
from nagarik import db
from nagarik.staff import accounts
from tests.support import serving

PASSWORD = "a long test password for the officer"
PHONE = "919811777001"


@pytest.fixture
def officers(stack, office) -> Iterator[str]:
    """The console's address, with two officers' accounts and the outbound workers running."""
    with db.session_scope(stack.env["DATABASE_URL"]) as session:
        for username in ("ravi", "meena"):
            accounts.create(session, username, "department_officer", PASSWORD, ["health"])
    office.start_worker(threads=2)
    port = free_port()
    env = {**stack.env, "NAGARIK_QUEUE_URL": f"sqlite:///{stack.directory / 'queue.db'}"}
    web = console_server(port, env, stack.directory / "console.log")
    for _ in serving(web):
        yield f"http://127.0.0.1:{port}/console"


def signed_in(base: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token
    return client, token.group(1)


def texts_to(phone: str) -> list[str]:
    return [text_of(message) for message in sent_to(phone)]


def test_an_officer_answers_live_and_the_assistant_waits_its_turn(officers, citizen):
    person = citizen(PHONE)
    asked = person.say("/human_handoff")
    reference = re.search(r"HO-\d{4}-\d{6}", asked)
    assert reference, asked
    reference = reference.group(0)

    ravi, token = signed_in(officers, "ravi")
    assert reference in ravi.get("/handoffs").text
    assert ravi.post(f"/handoffs/{reference}/take", data={"csrf_token": token}).status_code == 303
    meena, meena_token = signed_in(officers, "meena")
    assert meena.post(f"/handoffs/{reference}/take", data={"csrf_token": meena_token}).status_code == 409

    answer = "Your birth certificate is ready at counter 4."
    assert ravi.post(f"/handoffs/{reference}/reply", data={"csrf_token": token, "text": answer}).status_code == 303
    wait_until(lambda: answer in texts_to(PHONE), "the officer's reply to reach the citizen")

    person.seen = max(message["seq"] for message in sent_to(PHONE))
    assert person.say("Thank you. Can I send my father instead?") == ""  # the officer's turn, not the assistant's
    thread = ravi.get(f"/handoffs/{reference}/thread").text
    assert "Can I send my father instead?" in thread and answer in thread

    back = ravi.post(f"/handoffs/{reference}/return", data={"csrf_token": token, "outcome": "answered"})
    assert back.status_code == 303
    wait_until(lambda: any(reference in text and "assistant" in text for text in texts_to(PHONE)), "the citizen to be told")

    person.seen = max(message["seq"] for message in sent_to(PHONE))
    assert person.say("/greet"), "the assistant answers again once the officer returned the conversation"
    assert reference not in ravi.get("/handoffs").text
