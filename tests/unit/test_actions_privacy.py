"""Data rights in the chat, on real trackers: what is held (in the citizen's language), erasure only
after a yes to its question, and the name corrected."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from helpers import DEMO_SENDER, make_tracker, noticed, responses, run_action
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.common import response_text, response_variation
from actions.privacy import ActionAskErasure, ActionChangeName, ActionEraseMyData, ActionMyData, cutoff
from nagarik import db
from nagarik.citizens import handoffs, subscriptions
from nagarik.db import models
from whatsapp import limits

WATER = {"en": "Water supply", "hi": "पानी की आपूर्ति", "kn": "ನೀರು ಸರಬರಾಜು"}
JAYANAGAR = {"en": "Jayanagar", "hi": "जयनगर", "kn": "ಜಯನಗರ"}


def filled(domain, name: str, language: str, values: dict) -> str:
    """The reply as Rasa renders it: the language's variation with the action's values."""
    return re.sub(
        r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), response_variation(domain, name, language)["text"]
    )


def a_citizen_with_updates_and_a_complaint() -> None:
    noticed()
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "water_supply")
        subscriptions.set_ward(session, DEMO_SENDER, "jayanagar")
        handoffs.request_handoff(session, DEMO_SENDER, "en", "call me")
        session.add(
            models.Grievance(
                tracking_id="GRV-2026-000042", phone=DEMO_SENDER, category_key="sanitation", department_key="health",
                description="garbage", location_text="5th cross", location_key="5th cross", language="en",
                due_on=dt.date(2026, 12, 10), evidence_ref="file:a.jpg",
            )
        )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "hi", "kn"])
def test_what_is_held_is_told_in_the_citizens_language(database, domain, language):
    a_citizen_with_updates_and_a_complaint()
    dispatcher, _ = run_action(
        ActionMyData(), domain, text="what data do you hold about me", intent="my_data", slots={"language": language}
    )
    assert responses(dispatcher) == ["utter_my_data", "utter_my_data_records", "utter_my_data_rights"]
    head, records, rights = dispatcher.messages
    assert head["phone"] == DEMO_SENDER and head["topics"] == WATER[language] and head["ward"] == JAYANAGAR[language]
    given = response_text(domain, "utter_consent_given", language).split("{date}")[0].replace("{purpose}", WATER[language])
    assert given.strip() in head["consents"]
    assert "GRV-2026-000042" in records["grievances"]
    assert response_text(domain, "utter_grievance_status_registered", language) in records["grievances"]
    assert response_text(domain, "utter_handoff_status_open", language) in records["handoffs"]
    assert "BC-2026-001234" in records["applications"]  # registered to this number (tests/fixtures/seed)
    assert (rights["messages_days"], rights["media_days"]) == (365, 7)  # config/retention.yml
    for name, values, limit in (
        ("utter_my_data", head, limits.TEXT_BODY),
        ("utter_my_data_records", records, limits.TEXT_BODY),
        ("utter_my_data_rights", rights, limits.INTERACTIVE_BODY),  # it has buttons
    ):
        text = filled(domain, name, language, values)
        assert "{" not in text and len(text) <= limit, (name, text)


def test_a_number_we_know_nothing_about_hears_none(database, domain):
    dispatcher, _ = run_action(
        ActionMyData(), domain, text="my data", intent="my_data", sender="919111111111", slots={"language": "hi"}
    )
    head, records, _ = dispatcher.messages
    none = response_text(domain, "utter_data_none", "hi")
    assert head["citizen_name"] == head["topics"] == head["consents"] == none
    assert records["grievances"] == records["handoffs"] == records["others"] == none


def test_after_stop_the_summary_says_so_and_names_what_start_would_bring_back(database, domain):
    a_citizen_with_updates_and_a_complaint()
    with db.session_scope() as session:
        subscriptions.stop_all(session, DEMO_SENDER)
    dispatcher, _ = run_action(ActionMyData(), domain, text="mera data dikhao", intent="my_data", slots={"language": "hi"})
    topics = dispatcher.messages[0]["topics"]
    stopped = response_text(domain, "utter_data_stopped", "hi").split("{date}")[0]
    kept = response_text(domain, "utter_data_held_for_start", "hi").replace("{topics}", WATER["hi"])
    assert topics.startswith(stopped) and topics.endswith(kept)


def after_the_question(text: str, intent: str, *, between: list[dict] | None = None, sender: str = DEMO_SENDER) -> Tracker:
    """The tracker when the citizen answers the erasure question (Rasa's events as the action gets them)."""
    now = time.time()
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "entities": []}
    events = [
        {"event": "user", "text": "delete my data", "timestamp": now - 20, "parse_data": {"intent": {"name": "delete_my_data"}}},
        {"event": "action", "name": "action_ask_erasure", "timestamp": now - 19},
        {"event": "bot", "text": "Do you want us to erase your data?", "timestamp": now - 19},
        *(between or []),
        {"event": "action", "name": "action_listen", "timestamp": now - 19},
        {"event": "user", "text": text, "timestamp": now - 1, "parse_data": latest},
        {"event": "action", "name": "action_extract_slots", "timestamp": now},
    ]
    return Tracker(sender, {"language": "kn"}, latest, events, False, None, {}, "action_listen")


def run(action, tracker, domain) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, domain)
    return dispatcher


def test_erasure_asks_first_with_yes_and_no_in_the_citizens_language(database, domain):
    asked, _ = run_action(ActionAskErasure(), domain, text="delete my data", intent="delete_my_data", slots={"language": "kn"})
    assert responses(asked) == ["utter_ask_erasure"]
    buttons = response_variation(domain, "utter_ask_erasure", "kn")["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [("ಹೌದು, ಅಳಿಸಿ", "/affirm"), ("ಬೇಡ, ಇರಲಿ", "/deny")]


def test_a_yes_to_the_question_erases_and_says_what_was_kept_and_why(database, domain):
    a_citizen_with_updates_and_a_complaint()
    dispatcher = run(ActionEraseMyData(), after_the_question("ಹೌದು", "affirm"), domain)
    assert responses(dispatcher) == ["utter_erasure_done", "utter_erasure_kept"]
    kept = dispatcher.messages[1]["kept"]
    assert response_text(domain, "utter_kept_grievances", "kn").replace("{count}", "1") in kept  # the open complaint
    assert (
        response_text(domain, "utter_kept_handoff", "kn") in kept and response_text(domain, "utter_kept_consents", "kn") in kept
    )
    assert response_text(domain, "utter_kept_request", "kn") in kept
    assert len(filled(domain, "utter_erasure_kept", "kn", dispatcher.messages[1])) <= limits.TEXT_BODY
    with db.session_scope() as session:
        request = session.execute(select(models.ErasureRequest)).scalar_one()
        assert request.phone == DEMO_SENDER and request.cutoff >= time.time() - 5
        assert subscriptions.choices(session, DEMO_SENDER).topics == []


@pytest.mark.parametrize(
    "tracker_args",
    [
        {"text": "/affirm", "intent": "affirm"},  # a yes typed or forged with no question before it
        {"between": [{"event": "action", "name": "action_my_data"}]},  # something else came after the question
    ],
)
def test_a_yes_that_does_not_answer_the_question_erases_nothing(database, domain, tracker_args):
    a_citizen_with_updates_and_a_complaint()
    if "between" in tracker_args:
        tracker = after_the_question("yes", "affirm", between=tracker_args["between"])
    else:
        tracker = make_tracker(**tracker_args)
    assert responses(run(ActionEraseMyData(), tracker, domain)) == ["utter_erasure_not_confirmed"]
    with db.session_scope() as session:
        assert session.execute(select(models.ErasureRequest)).first() is None
        assert subscriptions.choices(session, DEMO_SENDER).topics == ["water_supply"]


def test_the_conversation_goes_up_to_the_newest_event_when_rasas_clock_is_ahead(database):
    tracker = after_the_question("yes", "affirm")
    tracker.events.append({"event": "slot", "name": "language", "value": "kn", "timestamp": time.time() + 120})
    assert cutoff(tracker) == tracker.events[-1]["timestamp"]
    assert cutoff(after_the_question("yes", "affirm")) >= time.time() - 1


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("change my name to Ravi Kumar", "en", "Ravi Kumar"),
        ("मेरा नाम आशा राव है", "hi", "आशा राव"),
        ("ನನ್ನ ಹೆಸರು ಆಶಾ ರಾವ್", "kn", "ಆಶಾ ರಾವ್"),
        ("mera naam imran khan hai", "hi", "Imran Khan"),
    ],
)
def test_a_name_given_in_the_message_is_kept_and_confirmed(database, domain, text, language, name):
    dispatcher, _ = run_action(ActionChangeName(), domain, text=text, intent="change_name", slots={"language": language})
    assert responses(dispatcher) == ["utter_name_changed"] and dispatcher.messages[0]["citizen_name"] == name
    with db.session_scope() as session:
        assert session.get(models.Citizen, DEMO_SENDER).name == name


def test_without_a_name_the_citizen_is_told_how_to_write_it(database, domain):
    dispatcher, _ = run_action(
        ActionChangeName(), domain, text="my name is wrong", intent="change_name", slots={"language": "hi"}
    )
    assert responses(dispatcher) == ["utter_ask_name"]
    with db.session_scope() as session:
        citizen = session.get(models.Citizen, DEMO_SENDER)
        assert citizen is None or citizen.name is None
