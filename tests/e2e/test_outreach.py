"""Outreach end to end through the simulator: the privacy notice and choices on first contact,
a poll answered and changed, a date reminder fired once on its IST day (injected clock) and
stopped from its button, and PDFs (forms; certificates only for the verified owner)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import sent_to, text_of

from harness.stack import SIMULATOR
from nagarik import db
from nagarik.catalog import store as catalog_store
from nagarik.db import models
from nagarik.outbound import broadcasts, polls, reminders
from nagarik.outbound.broadcasts import Audience
from nagarik.shared import clock
from whatsapp.outbound import script_language

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture(autouse=True)
def civic_database(stack, monkeypatch):
    """Look into the database the running stack uses."""
    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])


def utc(local: dt.datetime) -> dt.datetime:
    """A naive IST wall-clock time as the naive UTC the services take."""
    return local.replace(tzinfo=IST).astimezone(dt.timezone.utc).replace(tzinfo=None)


def devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def test_first_contact_shows_the_notice_then_topics_and_a_ward_list(citizen):
    newcomer = citizen("919822000001", first_contact=True)
    newcomer.say("नमस्ते")
    notice = text_of(newcomer.last[0])
    assert devanagari(notice) and "STOP" in notice  # before anything else, in the citizen's language
    newcomer.tap("/subscribe")
    newcomer.tap('/subscribe{"topic":"water_supply"}')
    ward_rows = [
        row["id"]
        for m in newcomer.last
        for s in m["payload"].get("interactive", {}).get("action", {}).get("sections", [])
        for row in s["rows"]
    ]
    assert len(ward_rows) == 12  # every ward, over two list messages
    newcomer.tap('/choose_ward{"ward":"jayanagar"}')
    with db.session_scope() as session:
        audience = Audience(wards=("jayanagar",), topics=("water_supply",))
        phones = [phone for phone, _ in broadcasts.recipients_of(session, "announcement", audience)]
        consent = session.query(models.Consent).filter_by(phone="919822000001", purpose="water_supply").one()
    assert "919822000001" in phones and consent.granted and consent.notice_version
    assert not any("STOP" in text_of(m) and "*" in text_of(m) for m in newcomer.last[1:])  # no second notice


def test_a_poll_answer_is_changed_and_counted_once_and_refused_after_closing(office, citizen):
    voter = citizen("919822000002")
    office.citizen(voter.phone, ("events",), "basavanagudi")
    voter.say("hello")  # inside the window: the poll comes as buttons
    outsider = "919822000003"
    office.citizen(outsider, ("events",), "basavanagudi", "kn")  # never wrote: the invitation template
    with db.session_scope() as session:
        poll = polls.create(
            session,
            question={
                "en": "Should the ward park open at 5 am?",
                "hi": "क्या वार्ड पार्क सुबह 5 बजे खुले?",
                "kn": "ವಾರ್ಡ್ ಉದ್ಯಾನ ಬೆಳಿಗ್ಗೆ 5ಕ್ಕೆ ತೆರೆಯಬೇಕೆ?",
            },
            options=[
                {"key": "yes", "names": {"en": "Yes", "hi": "हाँ", "kn": "ಹೌದು"}},
                {"key": "no", "names": {"en": "No", "hi": "नहीं", "kn": "ಇಲ್ಲ"}},
            ],
            audience=Audience(wards=("basavanagudi",), topics=("events",)),
            created_by="test",
            closes_at=clock.utcnow() + dt.timedelta(days=2),
        )
        poll_id, broadcast = poll.id, poll.broadcast_id
    office.start_worker()  # starts what is due at start-up
    office.wait_done(broadcast)
    question = sent_to(voter.phone)[-1]["payload"]
    buttons = question["interactive"]["action"]["buttons"]
    assert question["type"] == "interactive" and [b["reply"]["title"] for b in buttons] == ["Yes", "No"]
    invitation = sent_to(outsider)[-1]["payload"]
    assert invitation["type"] == "template" and invitation["template"]["name"] == "consultation_invite"

    def tap(button: dict) -> str:
        return "\n".join(text_of(m) for m in voter.send({"type": "button_reply", "button_reply": button["reply"]}))

    assert "Yes" in tap(buttons[0])
    assert "No" in tap(buttons[1])  # changed
    assert "No" in tap(buttons[1])  # the same again: nothing changes
    with db.session_scope() as session:
        results = polls.results(session, poll_id)
    assert results.by_option == {"yes": 0, "no": 1} and results.by_ward["basavanagudi"] == {"yes": 0, "no": 1}
    with db.session_scope() as session:
        polls.close(session, poll_id)
    closed = tap(buttons[0])
    assert "closed" in closed
    with db.session_scope() as session:
        assert session.get(models.PollAnswer, (poll_id, voter.phone)).option_key == "no"


def test_a_reminder_fires_once_on_its_ist_day_and_its_button_stops_that_kind(office, citizen):
    phone = "919822000004"
    office.citizen(phone, ("taxes_fees",), "jayanagar")
    # A date of this test's own, long past in real time: the broadcast the reminder becomes (dated
    # at its IST fire time) is due at once for the workers, whose own runs never fire it (past dates never do).
    due_on = dt.date(2020, 3, 20)
    fire_day = due_on - dt.timedelta(days=15)  # property_tax_due_15_days, at 09:00 IST

    def fired_at(hour: int, minute: int = 0, day: dt.date = fire_day) -> list[int]:
        """The reminders for this citizen that the periodic job creates at that IST time."""
        with db.session_scope() as session:
            created = reminders.run_due(session, now=utc(dt.datetime.combine(day, dt.time(hour, minute))))
            return [b.id for b in created if b.audience["phones"] == [phone]]

    with db.session_scope() as session:
        reminders.add_date(session, phone, "property_tax_due", due_on, "PT-2020-004512")
    assert fired_at(8, 59) == []
    (broadcast,) = fired_at(9, 0)
    assert fired_at(18, 0) == []  # once
    office.start_worker()
    office.wait_done(broadcast)
    (sent,) = sent_to(phone)
    template = sent["payload"]["template"]
    assert template["name"] == "date_reminder" and "PT-2020-004512" in str(template["components"])
    payload = next(c for c in template["components"] if c["type"] == "button")["parameters"][0]["payload"]
    stopped = citizen(phone)
    stopped.send({"type": "button", "button": {"payload": payload, "text": "Stop these reminders"}})
    with db.session_scope() as session:
        assert "property_tax_due" in reminders.opted_out_kinds(session, phone)
        reminders.add_date(session, phone, "property_tax_due", due_on + dt.timedelta(days=365), "PT-2021-004512")
    assert fired_at(9, 0, day=due_on + dt.timedelta(days=350)) == []


def media_item(media_id: str) -> dict:
    return next(item for item in httpx.get(f"{SIMULATOR}/_sim/media").json() if item["id"] == media_id)


def test_a_form_arrives_as_a_pdf(citizen):
    asker = citizen("919822000005")
    asker.say("please send me the trade licence application form")
    document = next(m["payload"]["document"] for m in asker.last if m["payload"]["type"] == "document")
    assert document["filename"] == "trade_licence_application_form.pdf"
    assert media_item(document["id"])["mime_type"] == "application/pdf"


def test_a_certificate_copy_only_for_the_verified_owner(citizen):
    owner = citizen("919900112233")  # WC-2026-000318 is issued and registered to this number
    said = owner.say("send me my certificate for WC-2026-000318")
    documents_sent = [m["payload"]["document"] for m in owner.last if m["payload"]["type"] == "document"]
    assert len(documents_sent) == 1 and "NGK-" in documents_sent[0]["caption"], said
    with db.session_scope() as session:
        certificate = session.query(models.Certificate).filter_by(application_number="WC-2026-000318").one()
    assert certificate.code in documents_sent[0]["caption"]

    stranger = citizen("919822000006")
    asked = stranger.say("send me the certificate of WC-2026-000318")
    assert "DD-MM-YYYY" in asked  # the same privacy question as a status check
    stranger.say("01-01-1990")
    assert not [m for m in stranger.last if m["payload"]["type"] == "document"]
    assert all(m["payload"]["type"] != "document" for m in sent_to(stranger.phone))


@pytest.mark.parametrize(
    ("phone", "first_message", "script", "answered"),
    [
        ("919822000007", "ಟ್ರೇಡ್ ಲೈಸೆನ್ಸ್‌ಗೆ ಯಾವ ದಾಖಲೆಗಳು ಬೇಕು", "kn", "documents"),
        ("919822000008", "what is the fee for a birth certificate", "en", "fee"),
        ("919822000009", "हमारी गली की स्ट्रीट लाइट तीन दिन से खराब है", "hi", "complaint"),
    ],
)
def test_a_first_message_that_asks_something_is_answered_after_the_notice(citizen, phone, first_message, script, answered):
    newcomer = citizen(phone, first_contact=True)
    newcomer.say(first_message)
    texts = [text_of(m) for m in newcomer.last]
    assert "STOP" in texts[0] and script_language(texts[0]) == script  # the notice first, in their language
    rest = "\n".join(texts[1:])
    with db.session_scope() as session:
        catalog = catalog_store.read_catalog(session)
    expected = {
        "documents": catalog.service("trade_licence").documents["kn"][0],
        "fee": catalog.service("birth_certificate").fee["en"],
        "complaint": "",  # the complaint form goes on: it asks for the details, no greeting
    }[answered]
    assert expected in rest and rest, texts
    assert script_language(rest) == script, texts
    assert not any(greeting in rest for greeting in ("I am Nagarik", "मैं नागरिक", "ನಾನು ನಾಗರಿಕ")), texts  # not a greeting
