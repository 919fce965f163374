"""The grievance form end to end on real trackers: fill, correct, confirm, file, look up."""

import re

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.grievances import (
    ActionAskGrievanceCategory,
    ActionAskGrievanceConfirmed,
    ActionGrievanceStatus,
    ActionResetGrievance,
    ActionSubmitGrievance,
    ValidateGrievanceForm,
)
from nagarik import db
from nagarik.db import models

FORM = "grievance_form"
FILLED = {
    "grievance_category": "streetlight",
    "grievance_description": "Streetlight not working for a week",
    "grievance_location": "5th Cross, near Ganesha temple, Jayanagar",
    "grievance_evidence": "none",
}


async def step(domain, slots=None, **tracker_args):
    """One citizen message while the form is active: what the form's validation returns."""
    dispatcher = CollectingDispatcher()
    events = await ValidateGrievanceForm().run(
        dispatcher, make_tracker(active_loop=FORM, slots=slots or {}, **tracker_args), domain
    )
    return dispatcher, slot_events(events)


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(**tracker_args), domain)
    return dispatcher, slot_events(events)


async def test_category_from_the_first_message(database, domain):
    _, slots = await step(
        domain, text="kachra nahi uthaya 3 din se", intent="file_grievance", entities=[("grievance_category", "kachra")]
    )
    assert slots["grievance_category"] == "sanitation"


async def test_category_chosen_from_the_list(database, domain, catalog):
    dispatcher, _ = run(ActionAskGrievanceCategory(), domain, slots={"language": "hi"})
    rows = dispatcher.messages[0]["buttons"]
    assert len(rows) == len(catalog.grievance_categories) <= 10
    assert rows[0]["title"] == catalog.grievance_categories[0].names["hi"][:24]
    _, slots = await step(
        domain,
        slots={"requested_slot": "grievance_category"},
        text=rows[1]["payload"],
        intent="inform",
        entities=[("grievance_category", catalog.grievance_categories[1].key)],
    )
    assert slots["grievance_category"] == catalog.grievance_categories[1].key


async def test_unknown_category_is_asked_again(database, domain):
    _, slots = await step(domain, slots={"requested_slot": "grievance_category"}, text="my neighbour is loud", intent="inform")
    assert slots["grievance_category"] is None


async def test_description_must_say_something(database, domain):
    dispatcher, slots = await step(domain, slots={"requested_slot": "grievance_description"}, text="bad", intent="inform")
    assert responses(dispatcher) == ["utter_grievance_description_too_short"] and slots["grievance_description"] is None
    _, slots = await step(
        domain, slots={"requested_slot": "grievance_description"}, text="ಬೀದಿ ದೀಪ ಒಂದು ವಾರದಿಂದ ಉರಿಯುತ್ತಿಲ್ಲ", intent="file_grievance"
    )
    assert slots["grievance_description"] == "ಬೀದಿ ದೀಪ ಒಂದು ವಾರದಿಂದ ಉರಿಯುತ್ತಿಲ್ಲ"


def opened_by(text: str, entities: list[tuple[str, str]] = (), answered: str | None = None) -> list[dict]:
    """The events before the description's answer: the message that started the form, the form,
    and (if `answered`) a description already given."""
    parse = {"text": text, "intent": {"name": "file_grievance"}, "entities": [{"entity": n, "value": v} for n, v in entities]}
    events = [{"event": "user", "text": text, "parse_data": parse}, {"event": "active_loop", "name": FORM}]
    if answered:
        events.append({"event": "slot", "name": "grievance_description", "value": answered})
    return events


async def test_what_the_first_message_said_about_the_problem_is_kept(database, domain):
    first = "ಬೀದಿ ದೀಪ  ಗಣೇಶ ದೇವಸ್ಥಾನದ ಬಳಿ ಕೆಲಸ ಮಾಡುತ್ತಿಲ್ಲ"
    asked = {"requested_slot": "grievance_description"}
    _, slots = await step(
        domain, slots=asked, text="ಒಂದು ವಾರದಿಂದ ಕತ್ತಲು", intent="inform",
        history=opened_by(first, [("grievance_category", "ಬೀದಿ ದೀಪ")]),
    )  # fmt: skip
    assert slots["grievance_description"] == "ಬೀದಿ ದೀಪ ಗಣೇಶ ದೇವಸ್ಥಾನದ ಬಳಿ ಕೆಲಸ ಮಾಡುತ್ತಿಲ್ಲ. ಒಂದು ವಾರದಿಂದ ಕತ್ತಲು"
    # a category found in the words themselves counts too; an answer that repeats it is kept once
    history = opened_by("garbage not collected in our lane since monday")
    _, slots = await step(domain, slots=asked, text="Garbage not collected in our lane since Monday!", history=history)
    assert slots["grievance_description"] == "Garbage not collected in our lane since Monday!"


@pytest.mark.parametrize(
    "history",
    [
        opened_by("i want to file a complaint"),  # said nothing about the problem
        opened_by('/file_grievance{"grievance_category":"streetlight"}', [("grievance_category", "streetlight")]),  # a button
        opened_by("streetlight off near temple", [("grievance_category", "streetlight")], answered="Light off"),  # a correction
        [],  # no form start in the tracker
    ],
)
async def test_only_the_answer_when_the_start_said_nothing_about_the_problem(database, domain, history):
    _, slots = await step(
        domain, slots={"requested_slot": "grievance_description"}, text="no light for a week near the temple", history=history
    )
    assert slots["grievance_description"] == "no light for a week near the temple"


async def test_off_topic_question_is_not_taken_as_the_location(database, domain):
    _, slots = await step(
        domain, slots={"requested_slot": "grievance_location"}, text="office timings?", intent="ask_office_hours"
    )
    assert "grievance_location" not in slots


async def test_a_location_that_looks_like_a_correction_is_still_the_answer(database, domain):
    # NLU saw "5th cross ... near" in correction examples; with no field named it is the answer.
    _, slots = await step(
        domain, slots={"requested_slot": "grievance_location"}, text="5ನೇ ಕ್ರಾಸ್ ಗಣೇಶ ದೇವಸ್ಥಾನದ ಹತ್ತಿರ ಜಯನಗರ", intent="correct_grievance"
    )
    assert slots["grievance_location"] == "5ನೇ ಕ್ರಾಸ್ ಗಣೇಶ ದೇವಸ್ಥಾನದ ಹತ್ತಿರ ಜಯನಗರ"


async def test_skipping_the_photo(database, domain):
    _, slots = await step(domain, slots={"requested_slot": "grievance_evidence"}, text="/deny", intent="deny")
    assert slots["grievance_evidence"] == "none"


async def test_summary_then_submit(database, domain, catalog):
    dispatcher, _ = run(
        ActionAskGrievanceConfirmed(), domain, slots={**FILLED, "language": "kn", "requested_slot": "grievance_confirmed"}
    )
    summary = dispatcher.messages[0]
    assert summary["category"] == catalog.category("streetlight").names["kn"]
    assert summary["location"] == FILLED["grievance_location"]
    _, slots = await step(domain, slots={**FILLED, "requested_slot": "grievance_confirmed"}, text="yes", intent="affirm")
    assert slots["grievance_confirmed"] is True

    dispatcher, cleared = run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_confirmed": True})
    registered = dispatcher.messages[0]
    assert registered["response"] == "utter_grievance_registered"
    assert re.fullmatch(r"GRV-\d{4}-\d{6}", registered["tracking_id"])
    assert registered["department"] == catalog.department(catalog.category("streetlight").department).name["en"]
    assert re.fullmatch(r"\d\d-\d\d-\d{4}", registered["due_date"])
    assert all(value is None for value in cleared.values())

    # Filing the same again the same day points to the first one.
    dispatcher, _ = run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_confirmed": True})
    assert dispatcher.messages[0]["response"] == "utter_grievance_duplicate"
    assert dispatcher.messages[0]["tracking_id"] == registered["tracking_id"]


async def test_correction_with_a_value_updates_that_field(database, domain):
    dispatcher, slots = await step(
        domain,
        slots={**FILLED, "requested_slot": "grievance_confirmed"},
        text="no, the location is 4th cross near the bus stand",
        intent="correct_grievance",
    )
    assert responses(dispatcher) == ["utter_grievance_corrected"]
    assert slots["grievance_location"] == "4th cross near the bus stand"
    assert slots["grievance_confirmed"] is None


async def test_correction_of_category_in_hinglish(database, domain):
    _, slots = await step(
        domain,
        slots={**FILLED, "requested_slot": "grievance_confirmed"},
        text="galat hai ye pani ki problem hai",
        intent="correct_grievance",
        entities=[("grievance_category", "pani ki problem")],
    )
    assert slots["grievance_category"] == "water_supply"


async def test_change_without_a_field_asks_which_and_the_button_reopens_it(database, domain):
    dispatcher, slots = await step(
        domain, slots={**FILLED, "requested_slot": "grievance_confirmed"}, text="/correct_grievance", intent="correct_grievance"
    )
    assert responses(dispatcher) == ["utter_ask_grievance_field"]
    # The summary is not repeated right after the list of fields.
    confirm, _ = run(
        ActionAskGrievanceConfirmed(),
        domain,
        slots={**FILLED, "requested_slot": "grievance_confirmed"},
        text="/correct_grievance",
        intent="correct_grievance",
    )
    assert confirm.messages == []
    _, slots = await step(
        domain,
        slots={**FILLED, "requested_slot": "grievance_confirmed"},
        text='/correct_grievance{"grievance_field":"location"}',
        intent="correct_grievance",
        entities=[("grievance_field", "location")],
    )
    assert slots["grievance_location"] is None and slots["grievance_confirmed"] is None


async def test_cancel_forgets_everything(database, domain):
    dispatcher, slots = run(ActionResetGrievance(), domain, slots=FILLED)
    assert responses(dispatcher) == ["utter_grievance_cancelled"]
    assert all(value is None for value in slots.values()) and "grievance_location" in slots


async def test_only_the_filer_sees_a_grievance(database, domain):
    dispatcher, _ = run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_confirmed": True})
    tracking_id = dispatcher.messages[0]["tracking_id"]
    mine, _ = run(
        ActionGrievanceStatus(),
        domain,
        text=f"status of {tracking_id.lower()}",
        intent="check_grievance",
        entities=[("grievance_id", tracking_id.lower())],
    )
    assert mine.messages[0]["response"] == "utter_grievance_status" and mine.messages[0]["status"]
    theirs, _ = run(
        ActionGrievanceStatus(),
        domain,
        text=tracking_id,
        intent="check_grievance",
        sender=OTHER_SENDER,
        entities=[("grievance_id", tracking_id)],
    )
    missing, _ = run(ActionGrievanceStatus(), domain, text="GRV-2026-999999", intent="check_grievance")
    assert responses(theirs) == responses(missing) == ["utter_grievance_not_found"]


async def test_my_complaints_lists_only_mine(database, domain):
    run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_confirmed": True})
    listing, _ = run(ActionGrievanceStatus(), domain, text="my complaints", intent="check_grievance", sender=DEMO_SENDER)
    assert listing.messages[0]["response"] == "utter_grievance_list" and "GRV-" in listing.messages[0]["items"]
    nothing, _ = run(ActionGrievanceStatus(), domain, text="my complaints", intent="check_grievance", sender=OTHER_SENDER)
    assert responses(nothing) == ["utter_no_grievances"]


async def test_a_location_pin_fills_the_place_and_its_coordinates(database, domain):
    _, slots = await step(
        domain,
        slots={"requested_slot": "grievance_description"},  # a pin answers "where" whenever it comes
        text='/inform{"latitude":"12.925100","longitude":"77.593700","location_name":"Ganesha temple"}',
        intent="inform",
        entities=[("latitude", "12.925100"), ("longitude", "77.593700"), ("location_name", "Ganesha temple")],
    )
    assert slots["grievance_location"] == "Ganesha temple"
    assert (slots["grievance_latitude"], slots["grievance_longitude"]) == (12.9251, 77.5937)


STORED = "0123456789abcdef0123456789abcdef.jpg"  # a name as the WhatsApp channel gives them


@pytest.fixture
def evidence(tmp_path, monkeypatch):
    """The channel's evidence directory, holding one photo it stored."""
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    (tmp_path / STORED).write_bytes(b"\xff\xd8\xff\xe0 a photo")
    return tmp_path


def media_message(reference: str) -> dict:
    return {
        "text": f'/inform{{"media_type":"image","media_ref":"{reference}"}}',
        "intent": "inform",
        "entities": [("media_type", "image"), ("media_ref", reference)],
    }


async def test_a_photo_is_evidence_at_any_step(database, domain, evidence):
    _, slots = await step(domain, slots={"requested_slot": "grievance_location"}, **media_message(STORED))
    assert slots["grievance_evidence"] == f"file:{STORED}" and "grievance_location" not in slots


@pytest.mark.parametrize(
    "reference",
    [
        "../../var/nagarik.db",
        "/etc/passwd",
        "abc.jpg",  # not a name the channel gives
        "fedcba9876543210fedcba9876543210.jpg",  # the channel's form, but no such file
        f"{STORED}/../../../var/nagarik.db",
    ],
)
async def test_an_evidence_reference_typed_in_is_refused_and_the_photo_asked_for_again(database, domain, evidence, reference):
    waiting = {**FILLED, "grievance_evidence": None, "requested_slot": "grievance_evidence"}
    _, slots = await step(domain, slots=waiting, **media_message(reference))
    assert slots["grievance_evidence"] is None  # the form asks for the evidence again
    assert "grievance_confirmed" not in slots


async def test_file_words_typed_as_the_evidence_are_refused_too(database, domain, evidence):
    _, slots = await step(
        domain, slots={"requested_slot": "grievance_evidence"}, text="file:../../var/nagarik.db", intent="inform"
    )
    assert slots["grievance_evidence"] is None
    _, slots = await step(domain, slots={"requested_slot": "grievance_evidence"}, text="photo is on my phone", intent="inform")
    assert slots["grievance_evidence"] == "photo is on my phone"  # words about the evidence are kept as words


def test_a_forged_evidence_reference_never_reaches_the_database(database, domain, evidence):
    with pytest.raises(ValueError, match="not a file the WhatsApp channel stored"):
        run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_evidence": "file:../../var/nagarik.db"})
    dispatcher, _ = run(ActionSubmitGrievance(), domain, slots={**FILLED, "grievance_evidence": f"file:{STORED}"})
    with db.session_scope() as session:
        grievance = session.query(models.Grievance).filter_by(tracking_id=dispatcher.messages[0]["tracking_id"]).one()
        assert grievance.evidence_ref == f"file:{STORED}"


def test_a_pinned_grievance_is_routed_to_the_nearest_ward(database, domain):
    dispatcher, _ = run(
        ActionSubmitGrievance(),
        domain,
        slots={
            **FILLED,
            "grievance_location": "📍 12.92510, 77.59370",
            "grievance_latitude": 12.9251,
            "grievance_longitude": 77.5937,
            "grievance_confirmed": True,
        },
    )
    from nagarik import db

    with db.session_scope() as session:
        grievance = session.query(models.Grievance).filter_by(tracking_id=dispatcher.messages[0]["tracking_id"]).one()
        assert grievance.ward_key == "jayanagar" and grievance.latitude == 12.9251


@pytest.mark.parametrize(
    "correction",
    [
        "no the location is 4th cross",
        "नहीं, जगह 4th क्रॉस है",
        "ಸ್ಥಳ ತಪ್ಪಾಗಿದೆ 4ನೇ ಕ್ರಾಸ್",
        "galat hai jagah 4th cross hai",
    ],
)
async def test_correcting_the_place_in_words_keeps_the_pin_and_its_ward(database, domain, correction):
    pinned = {
        **FILLED,
        "grievance_location": "📍 12.92510, 77.59370",
        "grievance_latitude": 12.9251,
        "grievance_longitude": 77.5937,
        "requested_slot": "grievance_confirmed",
    }
    _, changed = await step(domain, slots=pinned, text=correction, intent="correct_grievance")
    assert "4" in changed["grievance_location"] and "grievance_latitude" not in changed and "grievance_longitude" not in changed
    after = {**pinned, **changed, "grievance_confirmed": True}
    dispatcher, _ = run(ActionSubmitGrievance(), domain, slots=after)
    from nagarik import db

    with db.session_scope() as session:
        grievance = session.query(models.Grievance).filter_by(tracking_id=dispatcher.messages[0]["tracking_id"]).one()
        assert (grievance.ward_key, grievance.latitude, grievance.longitude) == ("jayanagar", 12.9251, 77.5937)
        assert "4" in grievance.location_text


async def test_a_new_pin_replaces_the_old_one(database, domain):
    pinned = {**FILLED, "grievance_latitude": 12.9251, "grievance_longitude": 77.5937, "requested_slot": "grievance_location"}
    _, slots = await step(
        domain,
        slots=pinned,
        text='/inform{"latitude":"12.940000","longitude":"77.570000"}',
        intent="inform",
        entities=[("latitude", "12.940000"), ("longitude", "77.570000")],
    )
    assert (slots["grievance_latitude"], slots["grievance_longitude"]) == (12.94, 77.57)
