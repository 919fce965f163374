"""The chat side of outreach: the privacy notice on first contact, the ward list, stopping one
topic, polls (answer, change, comment), forms and certificate copies, stopping one reminder."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

import actions.documents
from actions.application_status import ActionApplicationStatus, ValidateApplicationStatusForm
from actions.documents import ActionSendForm
from actions.polls import ActionPollAnswer, ActionSavePollComment
from actions.reminders import ActionStopReminder
from actions.session import ActionForgetPending, ActionSessionStart
from actions.subscriptions import ActionAskWard, ActionChooseWard, ActionStopMessages, ActionSubscribe, ValidateWardForm
from nagarik import broadcasts, db, polls, reminders, subscriptions
from nagarik.broadcasts import Audience


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, make_tracker(**tracker_args), domain)
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher, events


def noticed(phone: str = DEMO_SENDER) -> None:
    with db.session_scope() as session:
        subscriptions.notice_shown(session, phone)


# --- first contact ------------------------------------------------------------------------------


def test_first_contact_shows_the_notice_once_in_the_language_of_the_first_message(database, domain):
    tracker_args = {"slots": {"session_started_metadata": {"text": "ನನ್ನ ಅರ್ಜಿಯ ಸ್ಥಿತಿ ಏನು"}}}
    dispatcher, events = run(ActionSessionStart(), domain, **tracker_args)
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    (notice,) = dispatcher.messages
    assert "STOP" in notice["text"] and any("\u0c80" <= ch <= "\u0cff" for ch in notice["text"])
    assert {b["payload"] for b in notice["buttons"]} == {"/subscribe", "/deny"}
    again, _ = run(ActionSessionStart(), domain, **tracker_args)
    assert again.messages == []  # a new session later: no notice again


def test_a_new_session_keeps_the_slots(database, domain):
    noticed()
    _, events = run(ActionSessionStart(), domain, slots={"language": "hi", "session_started_metadata": {}})
    assert slot_events(events) == {"language": "hi"}


# --- topics and ward ----------------------------------------------------------------------------


async def ward_step(domain, text, intent="inform", entities=(), requested="ward", language="en"):
    """One message to ward_form: what its validation decides (slots, replies)."""
    dispatcher = CollectingDispatcher()
    slots = {"requested_slot": requested, "language": language} if requested else {"language": language}
    tracker = make_tracker(active_loop="ward_form", text=text, intent=intent, entities=list(entities), slots=slots)
    return dispatcher, slot_events(await ValidateWardForm().run(dispatcher, tracker, domain))


async def ward_questions(domain, text, intent):
    """What ward_form will ask, as it starts after this message."""
    tracker = make_tracker(active_loop="ward_form", text=text, intent=intent)
    return await ValidateWardForm().required_slots(["ward"], CollectingDispatcher(), tracker, domain)


async def test_after_the_first_topic_the_ward_is_asked_from_a_list(database, domain):
    noticed()
    dispatcher, _ = run(ActionSubscribe(), domain, text="/subscribe", intent="subscribe", entities=[("topic", "health")])
    assert responses(dispatcher) == ["utter_subscribed"]
    assert await ward_questions(domain, "/subscribe", "subscribe") == ["ward"]  # ward_form follows and asks it
    question, _ = run(ActionAskWard(), domain, slots={"language": "kn"})
    rows = question.messages[0]["buttons"]
    assert responses(question) == ["utter_ask_ward"] and len(rows) == 12 and all(len(r["title"]) <= 24 for r in rows)
    _, tapped = await ward_step(domain, rows[3]["payload"], intent="choose_ward", entities=[("ward", "jayanagar")])
    chosen, events = run(ActionChooseWard(), domain, slots={"ward": tapped["ward"]})
    assert responses(chosen) == ["utter_ward_set"] and slot_events(events) == {"ward": None}
    with db.session_scope() as session:
        assert broadcasts.audience_size(session, "announcement", Audience(wards=("jayanagar",), topics=("health",))) == 1
    more, _ = run(ActionSubscribe(), domain, text="/subscribe", intent="subscribe", entities=[("topic", "water_supply")])
    assert responses(more) == ["utter_subscribed"]
    assert await ward_questions(domain, "/subscribe", "subscribe") == []  # the ward is known now: not asked again
    assert await ward_questions(domain, "change my ward", "choose_ward") == ["ward"]  # unless asked to change it
    silent, _ = run(ActionChooseWard(), domain, slots={})
    assert silent.messages == []


@pytest.mark.parametrize(
    ("text", "language", "ward"),
    [
        ("Jayanagar", "en", "jayanagar"),
        ("jaynagr", "en", "jayanagar"),  # misspelled
        ("basavangudy", "en", "basavanagudi"),
        ("जयनगर", "hi", "jayanagar"),
        ("ಜಯನಗರ", "kn", "jayanagar"),
        ("ಬಸವನಗುಡಿಯಲ್ಲಿ", "kn", "basavanagudi"),  # with a case ending
        ("mera ward koramangla hai", "hi", "koramangala"),
        ("168", "en", "jayanagar"),  # its number
    ],
)
async def test_a_wards_name_alone_or_misspelled_answers_the_ward_question(database, domain, text, language, ward):
    # NLU may call a bare name anything; while the ward is asked, the form reads it as the ward.
    _, slots = await ward_step(domain, text, intent="ask_service", language=language)
    assert slots["ward"] == ward


async def test_an_unknown_ward_is_asked_again_and_a_new_request_is_not_a_ward(database, domain):
    dispatcher, slots = await ward_step(domain, "somewhere near the lake")
    assert responses(dispatcher) == ["utter_ward_not_found"] and slots["ward"] is None
    _, slots = await ward_step(domain, "i want to vote in the poll", intent="poll_answer")
    assert "ward" not in slots  # left to data/rules/new_requests.yml


def test_stopping_one_topic_keeps_the_others(database, domain):
    noticed()
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "health")
        subscriptions.subscribe(session, DEMO_SENDER, "water_supply")
    dispatcher, _ = run(ActionStopMessages(), domain, text="stop water supply updates", intent="stop_messages")
    assert responses(dispatcher) == ["utter_topic_stopped"]
    with db.session_scope() as session:
        choices = subscriptions.choices(session, DEMO_SENDER)
    assert choices.topics == ["health"] and not choices.opted_out
    everything, _ = run(ActionStopMessages(), domain, text="STOP", intent="stop_messages")
    assert responses(everything) == ["utter_stopped"]


# --- polls -----------------------------------------------------------------------------------------


def make_poll(closes_in: dt.timedelta | None = dt.timedelta(days=3)) -> int:
    with db.session_scope() as session:
        poll = polls.create(
            session,
            question={"en": "Should the park open at 5 am?", "hi": "क्या पार्क सुबह 5 बजे खुले?", "kn": "ಉದ್ಯಾನ ಬೆಳಿಗ್ಗೆ 5ಕ್ಕೆ ತೆರೆಯಬೇಕೆ?"},
            options=[
                {"key": "yes", "names": {"en": "Yes", "hi": "हाँ", "kn": "ಹೌದು"}},
                {"key": "no", "names": {"en": "No", "hi": "नहीं", "kn": "ಇಲ್ಲ"}},
            ],
            audience=Audience(),
            created_by="test",
            closes_at=db.utcnow() + closes_in if closes_in else None,
        )
        return poll.id


def answer(domain, poll_id: int, option: str, language: str = "en"):
    entities = [("poll_id", str(poll_id)), ("poll_option", option)]
    return run(
        ActionPollAnswer(), domain, text="/poll_answer", intent="poll_answer", entities=entities, slots={"language": language}
    )


def test_a_poll_answer_can_be_changed_and_is_counted_once(database, domain):
    poll_id = make_poll()
    first, events = answer(domain, poll_id, "yes")
    assert responses(first) == ["utter_poll_recorded"] and first.messages[0]["option"] == "Yes"
    assert first.messages[0]["buttons"][0]["payload"] == f'/poll_comment{{"poll_id":"{poll_id}"}}'
    assert slot_events(events) == {"poll_id": str(poll_id)}
    changed, _ = answer(domain, poll_id, "no", language="hi")
    assert responses(changed) == ["utter_poll_changed"] and changed.messages[0]["option"] == "नहीं"
    with db.session_scope() as session:
        results = polls.results(session, poll_id)
    assert results.by_option == {"yes": 0, "no": 1}


def test_a_closed_poll_refuses_answers(database, domain):
    poll_id = make_poll()
    with db.session_scope() as session:
        polls.close(session, poll_id)
    dispatcher, _ = answer(domain, poll_id, "yes")
    assert responses(dispatcher) == ["utter_poll_closed"]


def test_a_comment_needs_an_answer_first(database, domain):
    poll_id = make_poll()
    slots = {"poll_id": str(poll_id), "poll_comment": "please keep the lights on"}
    before, _ = run(ActionSavePollComment(), domain, slots=slots)
    assert responses(before) == ["utter_poll_comment_needs_answer"]
    answer(domain, poll_id, "yes")
    after, events = run(ActionSavePollComment(), domain, slots=slots)
    assert responses(after) == ["utter_poll_comment_saved"] and slot_events(events) == {"poll_comment": None}
    with db.session_scope() as session:
        assert session.get(db.PollAnswer, (poll_id, DEMO_SENDER)).comment == "please keep the lights on"


def test_without_an_open_poll_the_citizen_is_told_so(database, domain):
    dispatcher, _ = run(ActionPollAnswer(), domain, text="i want to vote", intent="poll_answer")
    assert responses(dispatcher) == ["utter_no_open_poll"]


# --- forms and certificates ---------------------------------------------------------------------------


@pytest.fixture
def uploads(monkeypatch):
    """What would have gone to WhatsApp's media store (the real upload is tested against the simulator)."""
    sent: list[tuple[bytes, str]] = []

    async def fake_upload(data: bytes, filename: str) -> str:
        sent.append((data, filename))
        return f"media-{len(sent)}"

    monkeypatch.setattr(actions.documents, "upload_pdf", fake_upload)
    return sent


def test_a_form_is_sent_as_a_pdf_with_a_caption_in_the_citizen_language(database, domain, uploads):
    dispatcher, _ = run(
        ActionSendForm(),
        domain,
        text="trade licence form",
        intent="request_form",
        entities=[("service", "trade licence")],
        slots={"language": "hi"},
    )
    (message,) = dispatcher.messages
    document = message["custom"]["whatsapp"]["document"]
    assert document["id"] == "media-1" and document["filename"] == "trade_licence_application_form.pdf"
    assert any("\u0900" <= ch <= "\u097f" for ch in document["caption"])
    assert uploads[0][0].startswith(b"%PDF")


def test_without_a_service_the_form_list_is_offered(database, domain, uploads):
    dispatcher, _ = run(ActionSendForm(), domain, text="send the form", intent="request_form")
    assert responses(dispatcher) == ["utter_ask_form_service"] and uploads == []
    assert dispatcher.messages[0]["buttons"][0]["payload"].startswith('/request_form{"service":')


def certificate_tracker_slots(number: str, outcome: str = "verified") -> dict:
    return {"application_number": number, "status_outcome": outcome, "status_purpose": "certificate"}


def test_a_verified_owner_of_an_issued_application_gets_the_certificate(database, domain, uploads):
    dispatcher, events = run(
        ActionApplicationStatus(), domain, sender="919900112233", slots=certificate_tracker_slots("WC-2026-000318")
    )
    (message,) = dispatcher.messages
    caption = message["custom"]["whatsapp"]["document"]["caption"]
    with db.session_scope() as session:
        (certificate,) = session.query(db.Certificate).all()
    assert certificate.code in caption and certificate.phone == "919900112233"
    assert slot_events(events)["status_purpose"] is None


def test_no_certificate_without_verification_or_before_it_is_issued(database, domain, uploads):
    refused, _ = run(
        ActionApplicationStatus(), domain, sender=OTHER_SENDER, slots=certificate_tracker_slots("WC-2026-000318", "not_verified")
    )
    assert responses(refused) == ["utter_status_not_verified"]
    not_yet, _ = run(ActionApplicationStatus(), domain, slots=certificate_tracker_slots("BC-2026-001234"))
    assert responses(not_yet) == ["utter_certificate_not_ready"]
    assert uploads == []
    with db.session_scope() as session:
        assert session.query(db.Certificate).count() == 0


# --- reminders ----------------------------------------------------------------------------------------


def test_stopping_one_kind_of_reminder(database, domain):
    kind = reminders.kinds()[0]
    dispatcher, _ = run(
        ActionStopReminder(), domain, text="/stop_reminder", intent="stop_reminder", entities=[("reminder_kind", kind)]
    )
    assert responses(dispatcher) == ["utter_reminder_stopped"]
    with db.session_scope() as session:
        assert session.get(db.ReminderOptOut, (DEMO_SENDER, kind)) is not None
    listed, _ = run(ActionStopReminder(), domain, text="stop the reminders", intent="stop_reminder")
    assert responses(listed) == ["utter_ask_reminder_kind"] and len(listed.messages[0]["buttons"]) == len(reminders.kinds())


async def test_asking_for_the_certificate_while_the_status_form_waits_keeps_the_purpose(database, domain):
    tracker = make_tracker(
        text="send me my certificate for WC-2026-000318",
        intent="request_certificate",
        entities=[("application_number", "WC-2026-000318")],
        slots={"requested_slot": "application_number"},
        sender="919900112233",
        active_loop="application_status_form",
    )
    events = await ValidateApplicationStatusForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events)["status_purpose"] == "certificate"


def test_a_new_request_forgets_the_pending_question_and_a_new_session_does_not_carry_it(database, domain):
    pending = {"requested_slot": "application_number", "status_purpose": "certificate", "grievance_category": "streetlight"}
    _, events = run(ActionForgetPending(), domain, slots={**pending, "language": "kn"})
    assert slot_events(events) == dict.fromkeys(pending)  # the language stays
    noticed()
    _, events = run(ActionSessionStart(), domain, slots={**pending, "language": "kn", "session_started_metadata": {}})
    assert slot_events(events) == {"language": "kn"}
