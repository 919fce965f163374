"""Rating, appealing, reopening and adding to a grievance in the chat, on real trackers."""

import asyncio
import datetime as dt
import itertools

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.grievance_feedback import (
    ActionCheckAppeal,
    ActionCheckGrievanceInfo,
    ActionRateGrievance,
    ActionReopenGrievance,
    ActionResetGrievanceFeedback,
    ActionSaveGrievanceInfo,
    ActionSubmitAppeal,
    ValidateGrievanceAppealForm,
    ValidateGrievanceInfoForm,
    typed_rating,
)
from nagarik import db
from nagarik.citizens import grievances
from nagarik.shared import clock

NOW = dt.datetime(2026, 3, 10, 6, 0)
STORED = "0123456789abcdef0123456789abcdef.jpg"


DAYS = itertools.count(1)


@pytest.fixture(autouse=True)
def days():
    """Each grievance of a test filed two days after the last: none is a near-duplicate of another."""
    global DAYS
    DAYS = itertools.count(1)


def filed(catalog, status="registered", phone=DEMO_SENDER, evidence=None, **fields) -> str:
    """A grievance of the sender's in a state, filed a while before NOW."""
    with db.session_scope() as session:
        grievance = grievances.file_grievance(
            session, catalog, phone=phone, category="streetlight", description="Streetlight off for a week",
            location="5th Cross, Jayanagar", language="en", evidence=evidence,
            now=NOW - dt.timedelta(days=200 - 2 * next(DAYS)),
        ).grievance  # fmt: skip
        grievance.status = status
        for name, value in fields.items():
            setattr(grievance, name, value)
        return grievance.tracking_id


def resolved(catalog, days_ago=2, **kwargs) -> str:
    return filed(catalog, "resolved", resolved_at=NOW - dt.timedelta(days=days_ago), **kwargs)


def closed_poor(catalog, days_ago=3, **kwargs) -> str:
    at = NOW - dt.timedelta(days=days_ago)
    return filed(catalog, "closed", rating="poor", rated_at=at, closed_at=at, resolved_at=at, **kwargs)


def stored(tracking_id):
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert grievance.notes is not None  # loaded before the session ends
        session.expunge_all()
        return grievance


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    with clock.frozen(NOW):
        result = action.run(dispatcher, make_tracker(**tracker_args), domain)
        events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher, slot_events(events)


def button(tracking_id, rating):
    return {"intent": "rate_grievance", "text": f'/rate_grievance{{"tracking_id":"{tracking_id}","rating":"{rating}"}}',
            "entities": [("tracking_id", tracking_id), ("rating", rating)]}  # fmt: skip


# --- rating ------------------------------------------------------------------------------------


def test_a_poor_rating_from_the_button_closes_it_and_offers_an_appeal(database, domain, catalog):
    tracking_id = resolved(catalog)
    dispatcher, _ = run(ActionRateGrievance(), domain, slots={"language": "hi"}, **button(tracking_id, "poor"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_grievance_rated_poor" and message["tracking_id"] == tracking_id
    assert message["buttons"] == [
        {"title": "अपील करें", "payload": f'/appeal_grievance{{"tracking_id":"{tracking_id}"}}'}
    ]  # the contract's payload, the title in the citizen's language
    grievance = stored(tracking_id)
    assert (grievance.status, grievance.rating) == ("closed", "poor")
    assert grievance.appeal_due_on == NOW.date() + dt.timedelta(days=30)


def test_a_typed_rating_rates_the_one_waiting(database, domain, catalog):
    tracking_id = resolved(catalog)
    dispatcher, _ = run(ActionRateGrievance(), domain, text="kaam accha hua thanks", intent="rate_grievance")
    assert responses(dispatcher) == ["utter_grievance_rated"] and dispatcher.messages[0]["tracking_id"] == tracking_id
    assert "buttons" not in dispatcher.messages[0] or not dispatcher.messages[0]["buttons"]
    assert (stored(tracking_id).status, stored(tracking_id).rating) == ("closed", "good")


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("poor", "poor"), ("bekaar", "poor"), ("ಕೆಟ್ಟದು", "poor"), ("ख़राब", "poor"), ("not satisfied at all", "poor"),
        ("bilkul satisfied nahi hu", "poor"), ("ಸ್ವಲ್ಪವೂ ತೃಪ್ತಿ ಇಲ್ಲ", "poor"), ("Good!", "good"), ("बढ़िया काम", "good"),
        ("ಒಳ್ಳೆಯದು", "good"), ("average", "average"), ("theek thaak", "average"), ("ಸಾಧಾರಣ", "average"),
        ("GRV-2026-000042", None), ("rate it", None),
    ],
)  # fmt: skip
def test_typed_ratings(text, rating):
    assert typed_rating(text) == rating


def test_without_a_rating_the_rating_is_asked_with_the_three_buttons(database, domain, catalog):
    tracking_id = resolved(catalog)
    dispatcher, _ = run(ActionRateGrievance(), domain, text=f"rate {tracking_id}", intent="rate_grievance",
                        entities=[("grievance_id", tracking_id)])  # fmt: skip
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_grievance_rating"
    assert [b["payload"] for b in message["buttons"]] == [
        f'/rate_grievance{{"tracking_id":"{tracking_id}","rating":"{r}"}}' for r in ("good", "average", "poor")
    ]
    assert [b["title"] for b in message["buttons"]] == ["Good", "Average", "Poor"]
    assert stored(tracking_id).status == "resolved"


def test_someone_elses_grievance_is_not_found_and_not_rated(database, domain, catalog):
    theirs = resolved(catalog, phone=OTHER_SENDER)
    dispatcher, _ = run(ActionRateGrievance(), domain, **button(theirs, "good"))
    missing, _ = run(ActionRateGrievance(), domain, **button("GRV-2026-999999", "good"))
    assert responses(dispatcher) == responses(missing) == ["utter_grievance_not_found"]
    assert stored(theirs).status == "resolved" and stored(theirs).rating is None


@pytest.mark.parametrize(
    ("status", "fields", "response"),
    [
        ("in_progress", {}, "utter_grievance_not_rateable"),
        ("closed", {"rating": "good"}, "utter_grievance_already_rated"),
        ("appealed", {"rating": "poor"}, "utter_grievance_already_rated"),
        ("closed", {}, "utter_grievance_rating_closed"),  # closed unrated after 7 days
    ],
)
def test_only_a_resolved_grievance_is_rated(database, domain, catalog, status, fields, response):
    tracking_id = filed(catalog, status, **fields)
    dispatcher, _ = run(ActionRateGrievance(), domain, **button(tracking_id, "average"))
    assert responses(dispatcher) == [response]
    assert stored(tracking_id).status == status and stored(tracking_id).rating == fields.get("rating")


def test_nothing_waiting_for_a_rating(database, domain, catalog):
    filed(catalog, "in_progress")
    dispatcher, _ = run(ActionRateGrievance(), domain, text="poor", intent="rate_grievance")
    assert responses(dispatcher) == ["utter_nothing_to_rate"]


def test_two_waiting_the_citizen_chooses_and_the_rating_is_kept(database, domain, catalog):
    first, second = resolved(catalog), resolved(catalog, days_ago=1)
    dispatcher, _ = run(ActionRateGrievance(), domain, text="bekaar", intent="rate_grievance")
    [message] = dispatcher.messages
    assert message["response"] == "utter_choose_grievance"
    assert {b["payload"] for b in message["buttons"]} == {
        f'/rate_grievance{{"tracking_id":"{t}","rating":"poor"}}' for t in (first, second)
    }
    assert stored(first).status == stored(second).status == "resolved"


# --- appeal ------------------------------------------------------------------------------------


def test_an_appeal_asks_its_reason_then_is_registered_with_the_decision_date(database, domain, catalog):
    tracking_id = closed_poor(catalog)
    dispatcher, slots = run(ActionCheckAppeal(), domain, text=f"i want to appeal {tracking_id}", intent="appeal_grievance",
                            entities=[("grievance_id", tracking_id)])  # fmt: skip
    assert dispatcher.messages == []
    assert slots == {"feedback_grievance_id": tracking_id, "feedback_next": "reason", "appeal_reason": None}

    form = ValidateGrievanceAppealForm()
    waiting = {"feedback_grievance_id": tracking_id, "requested_slot": "appeal_reason"}
    _, slots = run(form, domain, slots=waiting, text="the road was patched badly, it broke again", intent="inform",
                   active_loop="grievance_appeal_form")  # fmt: skip
    assert slots["appeal_reason"] == "the road was patched badly, it broke again"

    dispatcher, cleared = run(ActionSubmitAppeal(), domain, slots={**waiting, **slots, "language": "kn"})
    [message] = dispatcher.messages
    assert message["response"] == "utter_grievance_appealed" and message["tracking_id"] == tracking_id
    assert message["decide_by"] == (NOW.date() + dt.timedelta(days=30)).strftime("%d-%m-%Y")
    grievance = stored(tracking_id)
    assert (grievance.status, grievance.appeal_reason) == ("appealed", "the road was patched badly, it broke again")
    assert all(value is None for value in cleared.values()) and "feedback_next" in cleared


def test_an_appeal_from_the_button_with_no_id_typed_picks_the_only_one(database, domain, catalog):
    tracking_id = closed_poor(catalog)
    filed(catalog, "closed", rating="good", closed_at=NOW)
    _, slots = run(ActionCheckAppeal(), domain, text="mujhe appeal karni hai", intent="appeal_grievance")
    assert slots["feedback_grievance_id"] == tracking_id and slots["feedback_next"] == "reason"


@pytest.mark.parametrize(
    ("status", "fields", "response"),
    [
        ("closed", {"rating": "good", "closed_at": NOW}, "utter_appeal_not_poor"),
        ("closed", {"rating": "average", "closed_at": NOW}, "utter_appeal_not_poor"),
        ("closed", {"closed_at": NOW}, "utter_appeal_not_poor"),  # closed unrated
        ("rejected", {}, "utter_appeal_not_poor"),
        ("closed", {"rating": "poor", "closed_at": NOW - dt.timedelta(days=31)}, "utter_appeal_window_passed"),
        ("appealed", {"rating": "poor"}, "utter_appeal_already"),
        ("appeal_decided", {"rating": "poor"}, "utter_appeal_already"),
        ("in_progress", {}, "utter_appeal_not_finished"),
        ("resolved", {"resolved_at": NOW}, "utter_appeal_not_rated"),
    ],
)
def test_appeals_that_may_not_be_made_are_told_why(database, domain, catalog, status, fields, response):
    tracking_id = filed(catalog, status, **fields)
    dispatcher, slots = run(ActionCheckAppeal(), domain, **{"intent": "appeal_grievance",
                            "text": f'/appeal_grievance{{"tracking_id":"{tracking_id}"}}',
                            "entities": [("tracking_id", tracking_id)]})  # fmt: skip
    assert responses(dispatcher) == [response] and dispatcher.messages[0]["tracking_id"] == tracking_id
    assert slots["feedback_next"] == "nothing" and slots["feedback_grievance_id"] is None
    if response == "utter_appeal_not_rated":  # rate it first: the rating buttons come with it
        assert len(dispatcher.messages[0]["buttons"]) == 3
    assert stored(tracking_id).status == status


def test_the_last_day_of_the_appeal_window_still_counts(database, domain, catalog):
    tracking_id = closed_poor(catalog, days_ago=30)
    _, slots = run(ActionCheckAppeal(), domain, text=tracking_id, intent="appeal_grievance")
    assert slots["feedback_next"] == "reason"


def test_someone_elses_poor_grievance_cannot_be_appealed(database, domain, catalog):
    theirs = closed_poor(catalog, phone=OTHER_SENDER)
    dispatcher, slots = run(ActionCheckAppeal(), domain, text=f"appeal {theirs}", intent="appeal_grievance")
    assert responses(dispatcher) == ["utter_grievance_not_found"] and slots["feedback_next"] == "nothing"
    # Even with its ID in the slot (a forged tracker), the submission checks the filer again.
    dispatcher, _ = run(ActionSubmitAppeal(), domain, slots={"feedback_grievance_id": theirs, "appeal_reason": "bad work done"})
    assert responses(dispatcher) == ["utter_grievance_not_found"] and stored(theirs).status == "closed"


def test_nothing_to_appeal(database, domain, catalog):
    filed(catalog, "closed", rating="good", closed_at=NOW)
    dispatcher, slots = run(ActionCheckAppeal(), domain, text="i want to appeal", intent="appeal_grievance")
    assert responses(dispatcher) == ["utter_nothing_to_appeal"] and slots["feedback_next"] == "nothing"


def test_the_window_closing_while_the_reason_is_written_is_told(database, domain, catalog):
    tracking_id = closed_poor(catalog, days_ago=31)
    waiting = {"feedback_grievance_id": tracking_id, "appeal_reason": "still broken"}
    dispatcher, _ = run(ActionSubmitAppeal(), domain, slots=waiting)
    assert responses(dispatcher) == ["utter_appeal_window_passed"] and stored(tracking_id).status == "closed"


@pytest.mark.parametrize(
    ("text", "intent", "taken"),
    [("STOP", "stop_messages", False), ("cancel", "cancel", False), ("/affirm", "affirm", False),
     ("they only filled half the pothole", "reopen_grievance", True)],
)  # fmt: skip
def test_the_reason_is_the_citizens_words_not_a_request(database, domain, text, intent, taken):
    _, slots = run(ValidateGrievanceAppealForm(), domain, slots={"requested_slot": "appeal_reason"}, text=text,
                   intent=intent, active_loop="grievance_appeal_form")  # fmt: skip
    assert ("appeal_reason" in slots) is taken


def test_a_too_short_reason_is_asked_again(database, domain):
    dispatcher, slots = run(ValidateGrievanceAppealForm(), domain, slots={"requested_slot": "appeal_reason"},
                            text="bad", intent="inform", active_loop="grievance_appeal_form")  # fmt: skip
    assert responses(dispatcher) == ["utter_appeal_reason_too_short"] and slots["appeal_reason"] is None


# --- reopening ---------------------------------------------------------------------------------


def test_reopened_within_the_window_with_the_citizens_words(database, domain, catalog):
    tracking_id = resolved(catalog, days_ago=6)
    text = f"not fixed reopen {tracking_id}"
    dispatcher, _ = run(ActionReopenGrievance(), domain, text=text, intent="reopen_grievance",
                        entities=[("grievance_id", tracking_id)])  # fmt: skip
    assert responses(dispatcher) == ["utter_grievance_reopened"]
    grievance = stored(tracking_id)
    assert grievance.status == "reopened" and grievance.events[-1].note == text
    assert grievance.events[-1].changed_by == "citizen"


def test_the_only_resolved_one_is_reopened_when_no_id_is_given(database, domain, catalog):
    tracking_id = resolved(catalog)
    dispatcher, _ = run(ActionReopenGrievance(), domain, text="problem still there", intent="reopen_grievance")
    assert responses(dispatcher) == ["utter_grievance_reopened"] and stored(tracking_id).status == "reopened"


@pytest.mark.parametrize(
    ("status", "fields"),
    [("resolved", {"resolved_at": NOW - dt.timedelta(days=8)}), ("closed", {"rating": "good"}), ("rejected", {}),
     ("appealed", {"rating": "poor"})],
)  # fmt: skip
def test_outside_the_window_a_new_complaint_is_offered(database, domain, catalog, status, fields):
    tracking_id = filed(catalog, status, **fields)
    dispatcher, _ = run(ActionReopenGrievance(), domain, text=f"reopen {tracking_id}", intent="reopen_grievance")
    [message] = dispatcher.messages
    assert message["response"] == "utter_reopen_window_passed" and message["days"] == 7
    assert stored(tracking_id).status == status
    en, *_ = domain["responses"]["utter_reopen_window_passed"]
    assert en["buttons"] == [{"title": "File a new one", "payload": "/file_grievance"}]


def test_an_open_grievance_is_not_reopened(database, domain, catalog):
    tracking_id = filed(catalog, "assigned")
    dispatcher, _ = run(ActionReopenGrievance(), domain, text=f"reopen {tracking_id}", intent="reopen_grievance")
    assert responses(dispatcher) == ["utter_reopen_still_open"] and stored(tracking_id).status == "assigned"


def test_someone_elses_grievance_is_not_reopened(database, domain, catalog):
    theirs = resolved(catalog, phone=OTHER_SENDER)
    dispatcher, _ = run(ActionReopenGrievance(), domain, text=f"reopen {theirs}", intent="reopen_grievance")
    assert responses(dispatcher) == ["utter_grievance_not_found"] and stored(theirs).status == "resolved"
    nothing, _ = run(ActionReopenGrievance(), domain, text="problem still there", intent="reopen_grievance")
    assert responses(nothing) == ["utter_nothing_to_reopen"]


# --- adding information ------------------------------------------------------------------------


@pytest.fixture
def evidence(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    (tmp_path / STORED).write_bytes(b"\xff\xd8\xff\xe0 a photo")
    return tmp_path


def test_words_added_to_an_open_grievance_reach_the_department(database, domain, catalog):
    tracking_id = filed(catalog, "in_progress")
    _, slots = run(ActionCheckGrievanceInfo(), domain, text="more details for my complaint", intent="add_grievance_info")
    assert slots == {"feedback_grievance_id": tracking_id, "feedback_next": "info", "grievance_info": None}
    waiting = {"feedback_grievance_id": tracking_id, "requested_slot": "grievance_info"}
    _, filled = run(ValidateGrievanceInfoForm(), domain, slots=waiting, text="the pole near the temple is dark too",
                    intent="inform", active_loop="grievance_info_form")  # fmt: skip
    assert filled == {"grievance_info": "the pole near the temple is dark too"}
    dispatcher, cleared = run(ActionSaveGrievanceInfo(), domain, slots={**waiting, **filled})
    assert responses(dispatcher) == ["utter_grievance_info_added"] and all(v is None for v in cleared.values())
    [note] = stored(tracking_id).notes
    assert (note.kind, note.text) == ("citizen_info", "the pole near the temple is dark too")


def test_a_photo_sent_is_added_as_the_evidence(database, domain, catalog, evidence):
    tracking_id = filed(catalog, "registered")
    waiting = {"feedback_grievance_id": tracking_id, "requested_slot": "grievance_info"}
    _, filled = run(ValidateGrievanceInfoForm(), domain, slots=waiting, active_loop="grievance_info_form",
                    text=f'/inform{{"media_type":"image","media_ref":"{STORED}"}}', intent="inform",
                    entities=[("media_type", "image"), ("media_ref", STORED)])  # fmt: skip
    assert filled == {"grievance_info": f"file:{STORED}"}
    dispatcher, _ = run(ActionSaveGrievanceInfo(), domain, slots={**waiting, **filled})
    assert responses(dispatcher) == ["utter_grievance_photo_added"]
    assert stored(tracking_id).evidence_ref == f"file:{STORED}"


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("file:../../var/nagarik.db", []),  # typed in
        (f"file:{STORED}", []),  # a real name, but typed: not a photo the citizen sent
        ('/inform{"media_ref":"../../etc/passwd"}', [("media_type", "image"), ("media_ref", "../../etc/passwd")]),
    ],
)  # fmt: skip
def test_a_file_reference_not_sent_as_a_photo_is_refused(database, domain, catalog, evidence, text, entities):
    tracking_id = filed(catalog, "registered")
    _, filled = run(ValidateGrievanceInfoForm(), domain, slots={"feedback_grievance_id": tracking_id,
                    "requested_slot": "grievance_info"}, text=text, intent="inform", entities=entities,
                    active_loop="grievance_info_form")  # fmt: skip
    assert filled.get("grievance_info") is None
    assert stored(tracking_id).evidence_ref is None


@pytest.mark.parametrize("status", ["resolved", "closed", "rejected", "appealed"])
def test_nothing_is_added_to_a_grievance_no_longer_open(database, domain, catalog, status):
    tracking_id = filed(catalog, status)
    dispatcher, slots = run(ActionCheckGrievanceInfo(), domain, text=f"add details to {tracking_id}", intent="add_grievance_info")
    assert responses(dispatcher) == ["utter_grievance_info_not_open"] and slots["feedback_next"] == "nothing"
    # Closed between the question and the answer: the save refuses too.
    dispatcher, _ = run(ActionSaveGrievanceInfo(), domain, slots={"feedback_grievance_id": tracking_id,
                        "grievance_info": "more words here"})  # fmt: skip
    assert responses(dispatcher) == ["utter_grievance_info_not_open"] and stored(tracking_id).notes == []


def test_only_to_the_senders_own_open_grievance(database, domain, catalog):
    theirs = filed(catalog, "in_progress", phone=OTHER_SENDER)
    dispatcher, slots = run(ActionCheckGrievanceInfo(), domain, text=f"add a photo to {theirs}", intent="add_grievance_info")
    assert responses(dispatcher) == ["utter_grievance_not_found"] and slots["feedback_next"] == "nothing"
    dispatcher, _ = run(ActionSaveGrievanceInfo(), domain, slots={"feedback_grievance_id": theirs, "grievance_info": "my words"})
    assert responses(dispatcher) == ["utter_grievance_not_found"] and stored(theirs).notes == []
    nothing, _ = run(ActionCheckGrievanceInfo(), domain, text="more details for my complaint", intent="add_grievance_info")
    assert responses(nothing) == ["utter_nothing_to_add_to"]


def test_several_open_ones_the_citizen_chooses(database, domain, catalog):
    first, second = filed(catalog, "registered"), filed(catalog, "in_progress")
    dispatcher, slots = run(ActionCheckGrievanceInfo(), domain, text="add a pic to my complaint", intent="add_grievance_info")
    assert {b["payload"] for b in dispatcher.messages[0]["buttons"]} == {
        f'/add_grievance_info{{"tracking_id":"{t}"}}' for t in (first, second)
    }
    assert slots["feedback_next"] == "nothing"


def test_a_second_photo_is_refused_and_the_first_kept(database, domain, catalog, evidence):
    tracking_id = filed(catalog, "registered", evidence=f"file:{STORED}")
    dispatcher, _ = run(ActionSaveGrievanceInfo(), domain, slots={"feedback_grievance_id": tracking_id,
                        "grievance_info": f"file:{STORED}"})  # fmt: skip
    assert responses(dispatcher) == ["utter_grievance_info_has_photo"]


def test_cancelling_forgets_the_feedback(database, domain):
    dispatcher, slots = run(ActionResetGrievanceFeedback(), domain, slots={"feedback_grievance_id": "GRV-2026-000001"})
    assert responses(dispatcher) == ["utter_cancelled"] and all(v is None for v in slots.values())
