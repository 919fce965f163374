"""The "me too" offer in the chat on real trackers: offered before filing when another citizen's open
grievance matches, Yes joins it, No files as usual, a yes or no not right after the offer joins nothing."""

from __future__ import annotations

import re

from helpers import DEMO_SENDER, OTHER_SENDER, responses, slot_events
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.grievances import ActionSubmitGrievance
from actions.me_too import ActionFileNewGrievance, ActionJoinGrievance
from nagarik import db
from nagarik.citizens import grievance_lifecycle, grievances, me_too
from nagarik.db import models

PIN = (12.9250, 77.5938)  # Jayanagar
FILLED = {
    "grievance_category": "streetlight",
    "grievance_description": "Streetlight not working for a week",
    "grievance_location": "📍 12.92530, 77.59380",
    "grievance_latitude": PIN[0] + 0.0003,  # about 33 m north
    "grievance_longitude": PIN[1],
    "grievance_evidence": "none",
    "grievance_confirmed": True,
}


def existing(catalog, phone: str = OTHER_SENDER, location: str = "📍 12.92500, 77.59380", pin=PIN) -> str:
    with db.session_scope() as session:
        filing = grievances.file_grievance(
            session, catalog, phone=phone, category="streetlight", description="Lamp post dark for days",
            location=location, language="en", latitude=pin[0] if pin else None, longitude=pin[1] if pin else None,
        )  # fmt: skip
        return filing.grievance.tracking_id


def tracker(*, slots, text="", intent=None, previous=("action_submit_grievance",), sender=DEMO_SENDER) -> Tracker:
    """After the citizen's latest message, with the bot's actions before it (as Rasa sends them)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95} if intent else {}, "entities": []}
    events = [{"event": "action", "name": name} for name in previous]
    events += [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "parse_data": latest}]
    return Tracker(
        sender_id=sender, slots=dict(slots), latest_message=latest, events=events, paused=False,
        followup_action=None, active_loop={}, latest_action_name="action_listen",
    )  # fmt: skip


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(**tracker_args), domain)
    return dispatcher, slot_events(events)


def grievance_count() -> int:
    with db.session_scope() as session:
        return len(session.execute(select(models.Grievance)).scalars().all())


def test_a_matching_open_grievance_is_offered_before_filing_in_the_citizens_language(database, domain, catalog):
    tracking_id = existing(catalog)
    dispatcher, slots = run(ActionSubmitGrievance(), domain, slots={**FILLED, "language": "kn"}, previous=("grievance_form",))
    [offer] = dispatcher.messages
    assert offer["response"] == "utter_me_too_offer" and offer["tracking_id"] == tracking_id
    assert offer["category"] == catalog.category("streetlight").names["kn"]
    assert offer["place"] == catalog.ward("jayanagar").names["kn"]  # a bare pin is named by its ward
    assert offer["reporters"] == "1 ವ್ಯಕ್ತಿ"
    assert slots == {"me_too_grievance_id": tracking_id, "grievance_confirmed": None}  # the answers stay for "No"
    assert grievance_count() == 1  # nothing filed yet


def test_the_offer_counts_everyone_who_reported_it_and_names_a_landmark(database, domain, catalog):
    tracking_id = existing(catalog, location="5th Cross, near Ganesha temple", pin=None)
    with db.session_scope() as session:
        me_too.join(session, grievances.grievance_by_tracking_id(session, tracking_id), "919800000007", "en")
    slots = {
        **FILLED,
        "grievance_latitude": None,
        "grievance_longitude": None,
        "grievance_location": "5th cross near ganesha temple",
    }
    dispatcher, _ = run(ActionSubmitGrievance(), domain, slots=slots, previous=("grievance_form",))
    assert (
        dispatcher.messages[0]["place"] == "5th Cross, near Ganesha temple" and dispatcher.messages[0]["reporters"] == "2 people"
    )


def test_nothing_is_offered_without_a_match_and_the_complaint_is_filed(database, domain, catalog):
    existing(catalog, pin=(12.9422, 77.5737))  # Basavanagudi
    existing(catalog, phone=DEMO_SENDER)  # one's own is not offered (it is the near-duplicate check's)
    dispatcher, slots = run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_category": "sanitation"})
    assert responses(dispatcher) == ["utter_grievance_registered"] and slots["me_too_grievance_id"] is None
    assert grievance_count() == 3


def test_yes_joins_and_the_citizen_will_get_its_updates(database, domain, catalog):
    tracking_id = existing(catalog)
    offered = {**FILLED, "grievance_confirmed": None, "me_too_grievance_id": tracking_id, "language": "hi"}
    dispatcher, slots = run(ActionJoinGrievance(), domain, slots=offered, text="/affirm", intent="affirm")
    [joined] = dispatcher.messages
    assert joined["response"] == "utter_me_too_joined" and joined["tracking_id"] == tracking_id
    assert re.fullmatch(r"\d\d-\d\d-\d{4}", joined["due_date"])
    assert all(value is None for value in slots.values()) and "me_too_grievance_id" in slots and "grievance_location" in slots
    assert grievance_count() == 1
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert me_too.followers(session, grievance) == [(DEMO_SENDER, "hi")] and me_too.reporter_count(grievance) == 2
    # Tapping Yes again (the same offer) changes nothing.
    run(ActionJoinGrievance(), domain, slots=offered, text="/affirm", intent="affirm")
    with db.session_scope() as session:
        assert me_too.reporter_count(grievances.grievance_by_tracking_id(session, tracking_id)) == 2


def test_no_files_a_new_complaint_as_usual(database, domain, catalog):
    tracking_id = existing(catalog)
    offered = {**FILLED, "grievance_confirmed": None, "me_too_grievance_id": tracking_id}
    dispatcher, slots = run(ActionFileNewGrievance(), domain, slots=offered, text="/deny", intent="deny")
    [registered] = dispatcher.messages
    assert registered["response"] == "utter_grievance_registered" and registered["tracking_id"] != tracking_id
    assert all(value is None for value in slots.values()) and "me_too_grievance_id" in slots
    with db.session_scope() as session:
        mine = grievances.recent_grievances(session, DEMO_SENDER)
        assert [g.tracking_id for g in mine] == [registered["tracking_id"]] and mine[0].latitude == FILLED["grievance_latitude"]
        assert me_too.followers(session, grievances.grievance_by_tracking_id(session, tracking_id)) == []


def test_a_yes_or_no_not_right_after_the_offer_joins_and_files_nothing(database, domain, catalog):
    tracking_id = existing(catalog)
    stale = {**FILLED, "me_too_grievance_id": tracking_id}
    later = ("action_submit_grievance", "action_grievance_status")  # the citizen asked something else first
    dispatcher, slots = run(ActionJoinGrievance(), domain, slots=stale, text="yes", intent="affirm", previous=later)
    assert responses(dispatcher) == ["utter_main_menu"] and slots == {}
    dispatcher, slots = run(ActionFileNewGrievance(), domain, slots=stale, text="no", intent="deny", previous=later)
    assert responses(dispatcher) == ["utter_goodbye"] and slots == {}
    # right after a filing (no offer made): a yes opens the menu, as anywhere
    dispatcher, _ = run(ActionJoinGrievance(), domain, slots={"me_too_grievance_id": None}, text="yes", intent="affirm")
    assert responses(dispatcher) == ["utter_main_menu"]
    assert grievance_count() == 1
    with db.session_scope() as session:
        assert me_too.reporter_count(grievances.grievance_by_tracking_id(session, tracking_id)) == 1


def test_a_grievance_closed_since_the_offer_files_the_citizens_own(database, domain, catalog):
    tracking_id = existing(catalog)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        grievance_lifecycle.transition(session, grievance, "rejected", by="t", actor="official")
    offered = {**FILLED, "grievance_confirmed": None, "me_too_grievance_id": tracking_id}
    dispatcher, _ = run(ActionJoinGrievance(), domain, slots=offered, text="/affirm", intent="affirm")
    assert responses(dispatcher) == ["utter_grievance_registered"]
    assert grievance_count() == 2
