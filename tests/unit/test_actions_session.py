"""The session's actions: the privacy notice on first contact, slots kept across sessions, a pending question forgotten."""

from __future__ import annotations

from helpers import noticed, slot_events
from helpers import run_action as run

from actions.session import ActionForgetPending, ActionSessionStart


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


def test_a_new_request_forgets_the_pending_question_and_a_new_session_does_not_carry_it(database, domain):
    pending = {"requested_slot": "application_number", "status_purpose": "certificate", "grievance_category": "streetlight"}
    _, events = run(ActionForgetPending(), domain, slots={**pending, "language": "kn"})
    assert slot_events(events) == dict.fromkeys(pending)  # the language stays
    noticed()
    _, events = run(ActionSessionStart(), domain, slots={**pending, "language": "kn", "session_started_metadata": {}})
    assert slot_events(events) == {"language": "kn"}
