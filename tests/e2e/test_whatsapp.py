"""Citizens on "WhatsApp" (the simulator) through the real channel, end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import signal
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy
import yaml
from conftest import DEMO_PHONE, VAR, WEBHOOK, message_state, text_of, wait_until

from nagarik import db
from nagarik.db import models
from tests.support import devanagari, kannada

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"


def test_grievance_in_kannada_with_a_photo_and_a_location_pin(citizen, stack, monkeypatch):
    person = citizen("919900000101")
    assert kannada(person.say("ಬೀದಿ ದೀಪ ಕೆಲಸ ಮಾಡುತ್ತಿಲ್ಲ ದೂರು ಕೊಡಬೇಕು"))
    assert kannada(person.say("ಒಂದು ವಾರದಿಂದ ಬೀದಿ ದೀಪ ಉರಿಯುತ್ತಿಲ್ಲ ರಾತ್ರಿ ತುಂಬಾ ಕತ್ತಲು"))
    pin = {"type": "location", "location": {"latitude": 12.9251, "longitude": 77.5937, "name": "ಗಣೇಶ ದೇವಸ್ಥಾನ"}}
    asked_photo = "\n".join(text_of(m) for m in person.send(pin))
    assert kannada(asked_photo)
    summary = "\n".join(text_of(m) for m in person.send({"type": "image", "image": {"caption": "ಇದು ಆ ದೀಪ"}}))
    assert "ಗಣೇಶ ದೇವಸ್ಥಾನ" in summary and "✅" in summary  # the pin's place and the attached photo
    registered = person.tap("/affirm")
    tracking_id = re.search(r"GRV-\d{4}-\d{6}", registered).group(0)
    assert kannada(registered)

    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])
    with db.session_scope() as session:
        grievance = session.query(models.Grievance).filter_by(tracking_id=tracking_id).one()
        assert grievance.ward_key == "jayanagar"  # the pin's nearest ward
        assert abs(grievance.latitude - 12.9251) < 1e-6
        stored = VAR / "evidence" / grievance.evidence_ref.removeprefix("file:")
        assert stored.read_bytes()[:3] == b"\xff\xd8\xff" or stored.read_bytes()[:4] == b"\x89PNG"


def test_status_check_in_hindi(citizen):
    reply = citizen(DEMO_PHONE).say("BC-2026-001234 का स्टेटस बताओ")
    assert "BC-2026-001234" in reply and devanagari(reply)


def test_list_menu_selection_in_english(citizen):
    person = citizen("919900000102")
    menu = person.send({"type": "text", "text": "menu"})
    assert menu[-1]["payload"]["interactive"]["type"] == "list"
    assert "application number" in person.tap("Application status")


def test_hinglish_question_is_answered_in_hindi(citizen):
    reply = citizen("919900000103").say("trade licence ki fees kitni hai")
    assert devanagari(reply) and "₹" in reply


def test_a_voice_note_gets_a_useful_reply(citizen):
    replies = citizen("919900000104").send({"type": "voice"})
    assert replies and "voice" in text_of(replies[0]).lower()


def test_reactions_are_recorded_without_a_reply(citizen):
    person = citizen("919900000105")
    person.say("hi")
    assert person.send({"type": "reaction", "reaction": {"message_id": "wamid.any", "emoji": "👍"}}) == []


def test_duplicate_deliveries_are_answered_once(citizen, sim):
    sim.post("/_sim/config", json={"duplicate_rate": 1.0}).raise_for_status()
    person = citizen("919900000106")
    for _ in range(3):
        assert len(person.send({"type": "text", "text": "thank you"})) == 1


def test_sends_survive_throttling_server_errors_and_timeouts(citizen, sim):
    person = citizen("919900000107")
    for fault in (
        {"kind": "error_code", "code": 130429, "count": 2},
        {"kind": "http_500", "count": 2},
        {"kind": "timeout", "count": 1},
    ):
        sim.post("/_sim/faults", json=fault).raise_for_status()
        replies = person.send({"type": "text", "text": "office timings"})
        assert replies, f"no reply after {fault}"


def test_rasa_restarted_mid_conversation_loses_nothing_and_answers_once(citizen, stack):
    person = citizen("919900000108")
    person.say("garbage not collected for 3 days")
    person.say("garbage is piled up near the bus stop and it smells")
    stack.rasa.stop(signal.SIGKILL)  # dies without warning
    answer = person.sim.post(
        "/_sim/inbound", json={"from": person.phone, "type": "text", "text": "4th block jayanagar near the market"}
    )
    wamid = answer.json()["wamid"]  # the simulator keeps retrying the webhook while Rasa is down
    stack.rasa.start()
    wait_until(lambda: message_state(wamid) == "done", "the message sent while Rasa was down")
    replies = person.sim.get("/_sim/sent", params={"to": person.phone, "after": person.seen}).json()
    assert len(replies) == 1 and "photo" in text_of(replies[0]).lower()  # the form went on to the next question
    person.seen = replies[-1]["seq"]


CASES = yaml.safe_load((FIXTURES / "cases.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_webhook_cases_over_http(case, stack):
    """Each labelled fixture posted to the live connector: status code, and every message stored."""
    body = (FIXTURES / case.get("body", f"{case['case']}.json")).read_bytes()
    if case.get("size"):
        body = body + b" " * (case["size"] - len(body))  # trailing spaces keep it valid JSON
    secret = stack.settings["WHATSAPP_APP_SECRET"]
    digest = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json"}
    sign = case.get("sign", "valid")
    if sign == "valid":
        headers["X-Hub-Signature-256"] = digest
    elif sign == "wrong":
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(b"another", body, hashlib.sha256).hexdigest()
    elif sign == "malformed":
        headers["X-Hub-Signature-256"] = "md5=1234"
    response = httpx.post(WEBHOOK, content=body, headers=headers, timeout=30)
    assert response.status_code == case["expect"]["http"], response.text
    for message in case["expect"]["messages"]:
        state = message_state(message["id"])
        if case["expect"]["http"] != 200:
            assert state is None  # a refused body stores nothing
        elif message["kind"] == "ignored":
            assert state == "ignored"
        else:
            assert state in ("pending", "processing", "done", "failed"), (message["id"], state)


def test_status_webhooks_are_recorded_against_the_reply(citizen, stack):
    person = citizen("919900000109")
    replies = person.send({"type": "text", "text": "office timings"})
    wamid = replies[-1]["wamid"]
    from whatsapp.cloud.store import Store

    store = Store(stack.env["WHATSAPP_STORE_URL"])
    row = wait_until(lambda: (r := store.outbound(wamid)) and r["status"] == "read" and r, "the read status")
    assert row["sent_at"] and row["delivered_at"] and row["read_at"]


def test_verification_handshake(stack):
    good = httpx.get(
        WEBHOOK,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": stack.settings["WHATSAPP_VERIFY_TOKEN"],
            "hub.challenge": "1158201444",
        },
    )
    assert good.status_code == 200 and good.text == "1158201444"
    bad = httpx.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_a_reply_after_the_window_closed_goes_as_a_template(citizen, stack, sim):
    """A message that waited out a long outage: by the time it is answered the 24-hour window is
    closed, so the channel sends the approved reopening template, never a free-form message."""
    from whatsapp.cloud.store import Store
    from whatsapp.inbound import InboundMessage, Webhook

    phone = "919900000110"
    person = citizen(phone)
    stack.rasa.stop()
    day_ago = time.time() - 25 * 3600
    store = Store(stack.env["WHATSAPP_STORE_URL"])
    message = InboundMessage(id="wamid.outage-1", sender=phone, kind="text", raw_type="text", text="office timings")
    store.accept(Webhook(messages=[message]), now=day_ago)  # received, then the outage began
    sim.post("/_sim/window/close", json={"wa_id": phone}).raise_for_status()
    stack.rasa.start()
    wait_until(lambda: message_state("wamid.outage-1") == "done", "the held message")
    sent = sim.get("/_sim/sent", params={"to": phone, "after": person.seen}).json()
    assert [m["payload"]["type"] for m in sent] == ["template"]
    assert sent[0]["payload"]["template"]["name"] == "conversation_reopen"
    assert not sim.get("/_sim/errors").json() or all(e.get("code") != 131047 for e in sim.get("/_sim/errors").json())


def test_statuses_reordered_and_duplicated_are_recorded_in_rank(citizen, stack, sim):
    sim.post("/_sim/config", json={"reorder_rate": 1.0, "duplicate_rate": 0.5}).raise_for_status()
    replies = citizen("919900000111").send({"type": "text", "text": "office timings"})
    from whatsapp.cloud.store import Store

    store = Store(stack.env["WHATSAPP_STORE_URL"])
    row = wait_until(lambda: (r := store.outbound(replies[-1]["wamid"])) and r["read_at"] and r, "every status")
    assert row["status"] == "read"  # never stepped back by a late "sent" or "delivered"


def test_an_expired_token_stops_sending_and_says_so(citizen, stack, sim):
    """Error 190 is not retried: the channel stops sending, records the message as failed and
    reports it on its health route until someone fixes the token and restarts it."""
    person = citizen("919900000112")
    sim.post("/_sim/faults", json={"kind": "error_code", "code": 190, "count": 1}).raise_for_status()
    assert person.send({"type": "text", "text": "office timings"}) == []
    assert httpx.get(f"{WEBHOOK.rsplit('/', 1)[0]}/").json()["sending_stopped"] is True
    assert person.send({"type": "text", "text": "hello?"}) == []  # nothing is sent while stopped
    stack.restart_rasa()  # the operator fixed the token
    assert person.send({"type": "text", "text": "office timings"})


def complaint_waiting_for_a_photo(citizen, phone: str):
    person = citizen(phone)
    person.say("garbage not collected for 3 days")
    person.say("garbage is piled up near the bus stop and it smells")
    assert "photo" in person.say("4th block jayanagar near the market").lower()
    return person


def stored_evidence() -> set[Path]:
    return set((VAR / "evidence").glob("*"))


def channel_store(stack, query: str, **values):
    """One value from the channel's own store (the inbox, the media quota)."""
    engine = sqlalchemy.create_engine(stack.env["WHATSAPP_STORE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(query), values).scalar_one()
    finally:
        engine.dispose()


def test_a_message_the_channel_gives_up_on_gets_one_apology_and_shows_on_the_health_route(citizen, sim):
    """A complaint's photo whose download keeps failing (Meta's media host answers 500): every
    try fails, and after the last one the citizen is told to send it again, in the language they
    wrote in, and operators see it."""
    person = complaint_waiting_for_a_photo(citizen, "919900000113")
    sim.post("/_sim/config", json={"media_download_status": 500}).raise_for_status()
    try:
        answer = sim.post("/_sim/inbound", json={"from": person.phone, "type": "image", "caption": "ಕಸದ ರಾಶಿ"})
        wamid = answer.json()["wamid"]
        wait_until(lambda: message_state(wamid) == "failed", "the channel to give up on the photo")
    finally:
        sim.post("/_sim/config", json={"media_download_status": None}).raise_for_status()
    sent = sim.get("/_sim/sent", params={"to": person.phone, "after": person.seen}).json()
    assert len(sent) == 1 and kannada(text_of(sent[0]))  # one apology, no silence and no second one
    health = httpx.get(f"{WEBHOOK.rsplit('/', 1)[0]}/").json()
    assert health["inbox"]["failed"] >= 1 and health["last_failure"]["wamid"] == wamid
    assert person.say("office timings")  # and the citizen is answered afterwards


def test_a_photo_nobody_asked_for_is_answered_and_not_downloaded(citizen, stack):
    before = stored_evidence()
    person = citizen("919900000116")
    replies = person.send({"type": "image", "caption": "look at this"})
    assert len(replies) == 1 and "not saved this file" in text_of(replies[0])
    assert stored_evidence() == before
    query = "SELECT count(*) FROM whatsapp_media_fetches WHERE sender = :phone"
    assert channel_store(stack, query, phone=person.phone) == 0


def test_an_expired_media_link_is_answered_once_and_not_retried(citizen, sim, stack):
    person = complaint_waiting_for_a_photo(citizen, "919900000117")
    before = stored_evidence()
    sim.post("/_sim/config", json={"media_url_ttl": 0}).raise_for_status()
    try:
        wamid = sim.post("/_sim/inbound", json={"from": person.phone, "type": "image", "caption": "the garbage"}).json()["wamid"]
        wait_until(lambda: message_state(wamid) in ("done", "failed"), "the photo with an expired link to be handled")
    finally:
        sim.post("/_sim/config", json={"media_url_ttl": 300}).raise_for_status()
    assert message_state(wamid) == "done"
    assert channel_store(stack, "SELECT attempts FROM whatsapp_inbox WHERE wamid = :wamid", wamid=wamid) == 1
    replies = sim.get("/_sim/sent", params={"to": person.phone, "after": person.seen}).json()
    person.seen = max(m["seq"] for m in replies)
    texts = [text_of(m) for m in replies]
    assert "send it again" in texts[0] and "photo" in texts[-1].lower()  # why, then the form asks again
    assert stored_evidence() == before
    summary = "\n".join(text_of(m) for m in person.send({"type": "image", "caption": "the garbage"}))
    assert "✅" in summary and len(stored_evidence()) == len(before) + 1  # sent again, it is attached


def test_a_file_over_the_limit_is_refused_with_the_limit(citizen):
    person = complaint_waiting_for_a_photo(citizen, "919900000118")
    before = stored_evidence()
    big = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024)).decode()
    replies = person.send({"type": "image", "data_b64": big, "mime_type": "image/jpeg"})
    assert "too large" in text_of(replies[0]) and "5 MB" in text_of(replies[0]) and stored_evidence() == before


def test_a_media_url_off_metas_hosts_gets_no_token(citizen, sim):
    """The lookup points the download elsewhere: the channel refuses it and sends nothing there."""
    person = complaint_waiting_for_a_photo(citizen, "919900000119")
    before = stored_evidence()
    sim.post("/_sim/config", json={"media_url_host": "http://127.0.0.1:9"}).raise_for_status()
    try:
        replies = person.send({"type": "image", "caption": "the garbage"})
    finally:
        sim.post("/_sim/config", json={"media_url_host": None}).raise_for_status()
    assert "could not use that file" in text_of(replies[0]) and stored_evidence() == before


def test_a_new_request_wins_over_a_question_left_pending_across_a_restart(citizen, stack):
    person = citizen("919900000114")
    assert "application number" in person.say("i want to check my application status").lower()
    stack.restart_rasa()  # the pending question outlives the restart, in the tracker store
    reply = person.say("i want to stop all updates")
    assert "does not look like" not in reply and "START" in reply, reply  # STOP's confirmation
    assert "application number" not in person.say("what are the office timings").lower()  # the old question is gone


def test_a_wards_name_typed_alone_answers_the_ward_list(citizen):
    person = citizen("919900000115")
    person.say("i want water supply updates")
    asked = "\n".join(text_of(m) for m in person.last)
    assert "ward" in asked.lower()
    assert "Jayanagar" in person.say("jaynagar")  # misspelled, alone: the ward is set
    assert "Jayanagar" in person.say("my updates")
