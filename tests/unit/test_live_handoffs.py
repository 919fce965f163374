"""Live handoffs without Rasa: one owner at a time, the officer's reply as a broadcast of kind
"reply" (free-form in the window, the approved template outside it), the hold the channel reads,
giving the citizen back, and the console's queue and handoff page (scoping, CSRF, escaping).
The channel's side, with a real Rasa server, is tests/e2e/test_handoffs.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import handoffs
from nagarik.db import models
from nagarik.outbound import broadcasts, consent, live_handoffs, media_upload, messages
from nagarik.shared import clock
from nagarik.shared.clock import frozen
from nagarik.web import console
from nagarik.web.app import create_app
from simulator.templates import TemplateRegistry
from tests.unit.staff_helpers import PASSWORD, START, add_official
from whatsapp.cloud.store import HELD, RELEASED, Store, windows
from whatsapp.inbound import parse

ROOT = Path(__file__).resolve().parents[2]
PHONE = "919845000111"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'whatsapp.db'}")


def ask(phone: str = PHONE, text: str = "I want to talk to an officer", department: str | None = None) -> str:
    with db.session_scope() as session:
        request = handoffs.request_handoff(session, phone, "kn", text, now=START)
        request.handoff.department_key = department
        return request.handoff.reference


def official(session, username: str) -> models.Official:
    return session.execute(select(models.Official).where(models.Official.username == username)).scalar_one()


def handoff(session, reference: str) -> models.Handoff:
    found = handoffs.handoff_by_reference(session, reference)
    assert found is not None
    return found


def citizen_writes(store: Store, text: str, at: dt.datetime, phone: str = PHONE, wamid: str = "wamid.in1") -> None:
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "1", "phone_number_id": "PNID"},
            "contacts": [{"wa_id": phone, "profile": {"name": "A"}}],
            "messages": [{"from": phone, "id": wamid, "timestamp": str(int(clock.epoch_of(at))), "type": "text",
                          "text": {"body": text}}],
        }}]}],
    }  # fmt: skip
    store.accept(parse(body, phone_number_id="PNID"), now=clock.epoch_of(at))


# --- the service -----------------------------------------------------------------------------


def test_only_one_officer_takes_a_handoff_and_the_assistant_falls_silent(database, store):
    add_official("ravi", "department_officer", ["health"])
    add_official("meena", "department_officer", ["health"])
    reference = ask()
    with frozen(START), db.session_scope() as session:
        live_handoffs.take(session, store, handoff(session, reference), official(session, "ravi"))
    assert store.hold_state(PHONE) == HELD
    with frozen(START), db.session_scope() as session, pytest.raises(handoffs.HandoffTakenError):
        live_handoffs.take(session, store, handoff(session, reference), official(session, "meena"))
    with db.session_scope() as session:
        taken = handoff(session, reference)
        assert (taken.status, taken.owner.username, taken.taken_at) == ("taken", "ravi", START)


def test_the_reply_is_free_form_inside_the_window_and_the_template_outside(database, store):
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    with frozen(START), db.session_scope() as session:
        ravi = official(session, "ravi")
        live_handoffs.take(session, store, handoff(session, reference), ravi)
        reply = live_handoffs.reply(session, handoff(session, reference), ravi, "  Your certificate is ready at counter 4.  ")
        expected = ("reply", broadcasts.PRIORITY["reply"], handoff(session, reference).id)
        assert (reply.kind, reply.priority, reply.handoff_id) == expected
        assert broadcasts.recipients_of(session, reply.kind, broadcasts.Audience.from_dict(reply.audience)) == [(PHONE, None)]
        inside = messages.message_body(reply, "kn", True, {})
        outside = messages.message_body(reply, "kn", False, {})
        assert handoff(session, reference).first_reply_at == START
    assert inside == {"type": "text", "text": {"body": "Your certificate is ready at counter 4.", "preview_url": False}}
    assert outside["type"] == "template" and outside["template"]["name"] == "officer_reply"
    assert outside["template"]["language"]["code"] == "kn"
    parameters = [p["text"] for p in outside["template"]["components"][0]["parameters"]]
    assert parameters == [reference, "Your certificate is ready at counter 4."]
    registry = TemplateRegistry.load(ROOT / "config" / "templates.yml")  # what the simulator, like Meta, checks
    _, shown, _ = registry.check_send(outside["template"])
    assert "Your certificate is ready at counter 4." in shown and reference in shown


def test_a_reply_reaches_a_citizen_who_said_stop_and_chose_no_topics(database, store):
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    with db.session_scope() as session:
        session.add(models.Citizen(phone=PHONE, opted_out_at=START))
    with frozen(START), db.session_scope() as session:
        ravi = official(session, "ravi")
        live_handoffs.take(session, store, handoff(session, reference), ravi)
        reply = live_handoffs.reply(session, handoff(session, reference), ravi, "Noted.")
        assert consent.withdrawn(session, [(1, reply.id, PHONE)]) == {}


def test_only_the_owner_replies_or_gives_back_and_a_reply_has_words(database, store):
    add_official("ravi", "department_officer", ["health"])
    add_official("meena", "department_officer", ["health"])
    reference = ask()
    with frozen(START), db.session_scope() as session:
        ravi, meena = official(session, "ravi"), official(session, "meena")
        with pytest.raises(handoffs.HandoffTakenError):  # nobody took it yet
            live_handoffs.reply(session, handoff(session, reference), ravi, "Hello")
        live_handoffs.take(session, store, handoff(session, reference), ravi)
        with pytest.raises(handoffs.HandoffTakenError):
            live_handoffs.reply(session, handoff(session, reference), meena, "Hello")
        with pytest.raises(handoffs.HandoffTakenError):
            live_handoffs.give_back(session, store, handoff(session, reference), meena, "answered")
        with pytest.raises(ValueError, match="write the reply"):
            live_handoffs.reply(session, handoff(session, reference), ravi, "   ")
        with pytest.raises(ValueError, match="at most"):
            live_handoffs.reply(session, handoff(session, reference), ravi, "x" * 1001)
        with pytest.raises(ValueError, match="outcome"):
            live_handoffs.give_back(session, store, handoff(session, reference), ravi, "bored")


def test_giving_back_closes_releases_the_hold_and_tells_the_citizen_in_their_language(database, store):
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    with frozen(START), db.session_scope() as session:
        ravi = official(session, "ravi")
        live_handoffs.take(session, store, handoff(session, reference), ravi)
        told = live_handoffs.give_back(session, store, handoff(session, reference), ravi, "answered")
        closed = handoff(session, reference)
        assert (closed.status, closed.outcome, closed.closed_at) == ("closed", "answered", START)
        assert told.kind == "reply" and told.handoff_id == closed.id
        kannada = messages.message_body(told, "kn", True, {})["text"]["body"]
        assert reference in kannada and "ಸಹಾಯಕ" in kannada
        assert messages.message_body(told, "kn", False, {})["template"]["name"] == "handoff_returned"
    assert store.hold_state(PHONE) == RELEASED
    store.forget_hold(PHONE)
    assert store.hold_state(PHONE) is None


def test_a_hold_taken_again_before_the_channel_resumed_is_kept(store):
    store.hold(PHONE, by="ravi")
    store.release(PHONE)
    store.hold(PHONE, by="meena")  # another request, taken before the citizen wrote again
    store.forget_hold(PHONE)
    assert store.hold_state(PHONE) == HELD


def test_the_thread_holds_the_citizen_the_assistant_and_the_officer_in_order(database, store):
    add_official("ravi", "department_officer", ["health"])
    citizen_writes(store, "Before: what are the office hours?", START - dt.timedelta(hours=1), wamid="wamid.a")
    citizen_writes(store, "Long before", START - dt.timedelta(hours=5), wamid="wamid.b")
    store.record_send(recipient=PHONE, body={"type": "text", "text": {"body": "10 to 5"}}, state="accepted", wamid="wamid.o")
    reference = ask()
    with frozen(START + dt.timedelta(minutes=5)), db.session_scope() as session:
        ravi = official(session, "ravi")
        live_handoffs.take(session, store, handoff(session, reference), ravi)
        live_handoffs.reply(session, handoff(session, reference), ravi, "How can I help?")
    citizen_writes(store, "My certificate <script>", START + dt.timedelta(minutes=7), wamid="wamid.c")
    with frozen(START + dt.timedelta(minutes=8)), db.session_scope() as session:
        turns = live_handoffs.thread(session, store, handoff(session, reference))
    texts = [(turn.who, turn.text) for turn in turns if turn.who != "assistant"]
    assert texts == [
        ("citizen", "Before: what are the office hours?"),
        ("officer", "How can I help?"),
        ("citizen", "My certificate <script>"),
    ]
    assert "Long before" not in [turn.text for turn in turns]


def test_the_window_left_counts_from_the_citizen_s_last_message(store):
    with frozen(START):
        assert live_handoffs.window_left(store, PHONE) is None
        with store.engine.begin() as connection:
            connection.execute(windows.insert().values(sender=PHONE, last_inbound_at=clock.epoch_of(START) - 3600))
        assert live_handoffs.window_left(store, PHONE) == dt.timedelta(hours=23)


# --- the console -------------------------------------------------------------------------------


@pytest.fixture
def client(database: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")
    monkeypatch.setattr("nagarik.web.console.handoff_pages.window_store", lambda: store)
    started: list[int] = []
    app = create_app(enqueue=lambda broadcast_id, priority: started.append(broadcast_id))
    app.state.started = started
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    assert client.post("/console/login", data={"username": username, "password": PASSWORD}).status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert match
    return match.group(1)


def test_the_queue_shows_waiting_time_window_and_what_they_asked_escaped(client):
    add_official("ravi", "department_officer", ["health"])
    reference = ask(text="<img src=x onerror=alert(1)> need help")
    with frozen(START + dt.timedelta(minutes=75)):
        login(client, "ravi")
        page = client.get("/console/handoffs").text
    assert reference in page and "1:15" in page
    assert "&lt;img src=x onerror=alert(1)&gt; need help" in page and "<img src=x" not in page
    assert "91984•••0111" in page and PHONE not in page


def test_an_officer_sees_the_general_desk_and_their_departments_only(client):
    add_official("ravi", "department_officer", ["health"])
    general = ask("919845000001")
    health, revenue = ask("919845000002", department="health"), ask("919845000003", department="revenue")
    login(client, "ravi")
    page = client.get("/console/handoffs").text
    assert general in page and health in page and revenue not in page
    assert client.get(f"/console/handoffs/{revenue}").status_code == 404
    assert client.get(f"/console/handoffs/{revenue}/thread").status_code == 404
    assert client.get("/console/handoffs/HO-2030-999999").status_code == 404


def test_take_reply_and_return_from_the_console(client, store):
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    token = login(client, "ravi")
    assert client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": token}).status_code == 303
    assert store.hold_state(PHONE) == HELD
    answer = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": token, "text": "Counter 4, <b>today</b>"})
    assert answer.status_code == 303
    with db.session_scope() as session:
        reply = session.execute(select(models.Broadcast).where(models.Broadcast.kind == "reply")).scalar_one()
        assert reply.texts["en"] == "Counter 4, <b>today</b>" and reply.created_by == "ravi"
    assert client.app.state.started == [reply.id]  # started once committed
    page = client.get(f"/console/handoffs/{reference}").text
    assert "Counter 4, &lt;b&gt;today&lt;/b&gt;" in page
    back = client.post(f"/console/handoffs/{reference}/return", data={"csrf_token": token, "outcome": "answered"})
    assert back.status_code == 303 and store.hold_state(PHONE) == RELEASED
    assert len(client.app.state.started) == 2
    with db.session_scope() as session:
        assert handoff(session, reference).status == "closed"
        actions = [row.action for row in session.execute(select(models.AuditEntry).order_by(models.AuditEntry.id)).scalars()]
    assert {"handoff.take", "handoff.reply", "handoff.return", "handoff.view"} <= set(actions)


def test_the_second_officer_is_told_it_is_taken(client):
    add_official("ravi", "department_officer", ["health"])
    add_official("meena", "department_officer", ["health"])
    reference = ask()
    assert client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": login(client, "ravi")}).status_code == 303
    token = login(client, "meena")
    second = client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": token})
    assert second.status_code == 409 and "Another officer took this request first." in second.text
    refused = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": token, "text": "Hi"})
    assert refused.status_code == 409 and client.app.state.started == []


def test_a_viewer_reads_but_cannot_take_and_nobody_acts_without_the_csrf_token(client):
    add_official("vina", "viewer")
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    token = login(client, "vina")
    assert "/take" not in client.get(f"/console/handoffs/{reference}").text
    assert client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": token}).status_code == 404
    login(client, "ravi")
    assert client.post(f"/console/handoffs/{reference}/take", data={}).status_code == 403
    assert client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": "forged"}).status_code == 403


def test_unanswered_handoffs_are_shown_to_supervisors(client, monkeypatch):
    monkeypatch.setenv("NAGARIK_HANDOFF_UNANSWERED_MINUTES", "60")
    add_official("sita", "supervisor")
    add_official("ravi", "department_officer", ["health"])
    ask()
    with frozen(START + dt.timedelta(minutes=61)):
        login(client, "sita")
        assert "Unanswered for more than 60 minutes: 1" in client.get("/console/handoffs").text
        login(client, "ravi")
        assert "Unanswered for more than" not in client.get("/console/handoffs").text


def test_the_thread_fragment_polls_and_is_not_a_whole_page(client, store):
    add_official("ravi", "department_officer", ["health"])
    reference = ask()
    citizen_writes(store, "<script>alert(1)</script>", START + dt.timedelta(seconds=30))
    with frozen(START + dt.timedelta(minutes=1)):
        login(client, "ravi")
        fragment = client.get(f"/console/handoffs/{reference}/thread").text
    assert 'hx-trigger="every 3s"' in fragment and "<html" not in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment and "<script>alert" not in fragment


def test_console_module_lists_the_handoff_router() -> None:
    assert any(module.__name__.endswith("handoff_pages") for module in console.ROUTERS)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def uploaded(monkeypatch: pytest.MonkeyPatch) -> list[media_upload.Checked]:
    """WhatsApp's media store, as far as the console sees it: the files it was given."""
    files: list[media_upload.Checked] = []

    async def upload(checked: media_upload.Checked) -> str:
        files.append(checked)
        return f"media-{len(files)}"

    monkeypatch.setattr(media_upload, "upload", upload)
    return files


def taken_by_ravi(client: TestClient, store: Store, wrote_at: dt.datetime | None) -> tuple[str, str]:
    add_official("ravi", "department_officer", ["health"])
    if wrote_at is not None:
        citizen_writes(store, "Here is my question", wrote_at)
    reference = ask()
    token = login(client, "ravi")
    assert client.post(f"/console/handoffs/{reference}/take", data={"csrf_token": token}).status_code == 303
    return reference, token


def test_an_officer_attaches_a_photo_inside_the_window(client, store, uploaded):
    reference, token = taken_by_ravi(client, store, START - dt.timedelta(minutes=5))
    files = {"attachment": ("counter.png", PNG, "image/png")}
    answer = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": token, "text": "Come here"}, files=files)
    assert answer.status_code == 303
    with db.session_scope() as session:
        reply = session.execute(select(models.Broadcast).where(models.Broadcast.kind == "reply")).scalar_one()
        assert reply.media == {"type": "image", "id": "media-1"}
        inside = messages.message_body(reply, "en", True, {})
    assert inside["type"] == "image" and inside["image"]["caption"] == "Come here"
    assert [file.mime_type for file in uploaded] == ["image/png"]


def test_an_attachment_is_refused_outside_the_window_or_of_the_wrong_type_and_nothing_is_sent(client, store, uploaded):
    reference, token = taken_by_ravi(client, store, None)  # never wrote: the window is closed
    files = {"attachment": ("counter.png", PNG, "image/png")}
    closed = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": token, "text": "Come"}, files=files)
    assert closed.status_code == 400 and "carries text only" in closed.text
    exe = {"attachment": ("form.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    wrong = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": token, "text": "Come"}, files=exe)
    assert wrong.status_code == 415
    assert uploaded == [] and client.app.state.started == []


def test_no_file_goes_to_the_media_store_without_the_csrf_token(client, store, uploaded):
    reference, _ = taken_by_ravi(client, store, START - dt.timedelta(minutes=5))
    files = {"attachment": ("counter.png", PNG, "image/png")}
    forged = client.post(f"/console/handoffs/{reference}/reply", data={"csrf_token": "forged", "text": "x"}, files=files)
    assert forged.status_code == 403 and uploaded == []
