"""The status form: number, second check for other phones, one reply for wrong and missing."""

import datetime as dt

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.application_status import ActionApplicationStatus, ValidateApplicationStatusForm
from nagarik import db
from nagarik.citizens.applications import MAX_FAILED_CHECKS, MAX_FAILED_CHECKS_PER_APPLICATION, VERIFIED_FOR
from nagarik.db import models
from nagarik.shared import clock

FORM = "application_status_form"


async def validate(domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await ValidateApplicationStatusForm().run(dispatcher, make_tracker(active_loop=FORM, **tracker_args), domain)
    return dispatcher, slot_events(events)


async def answer_date_of_birth(domain, text, number="TL-2026-000981", sender=OTHER_SENDER):
    """Another phone answers the date-of-birth question for `number`."""
    return await validate(
        domain, text=text, intent="inform", sender=sender, slots={"requested_slot": "status_dob", "application_number": number}
    )


async def tell(domain, slots, sender=DEMO_SENDER):
    dispatcher = CollectingDispatcher()
    events = await ActionApplicationStatus().run(dispatcher, make_tracker(slots=slots, sender=sender), domain)
    return dispatcher, slot_events(events)


async def test_owner_sees_status_at_once(database, domain, catalog):
    _, slots = await validate(
        domain,
        text="status of bc-2026-001234",
        intent="check_application_status",
        entities=[("application_number", "bc-2026-001234")],
    )
    assert slots == {"application_number": "BC-2026-001234", "status_dob": "not_needed", "status_outcome": "verified"}
    dispatcher, reset = await tell(domain, {**slots, "language": "kn"})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_application_status"
    assert message["stage"] == catalog.stage("document_verification").names["kn"]
    assert message["expected_date"] == "30-11-2099"
    assert responses(dispatcher) == ["utter_application_status", "utter_anything_else"]  # on time: nothing more to say
    assert all(value is None for value in reset.values()) and set(reset) >= {"application_number", "status_outcome"}


async def test_a_status_past_its_expected_date_says_it_is_delayed_and_what_to_do(database, domain, catalog):
    # MC-2020-000589 (the tests' samples) was expected on 14-02-2020 and still awaits approval.
    verified = {"application_number": "MC-2020-000589", "status_dob": "not_needed", "status_outcome": "verified"}
    dispatcher, _ = await tell(domain, {**verified, "language": "hi"})
    assert responses(dispatcher) == ["utter_application_status", "utter_application_delayed"]
    delayed = dispatcher.messages[1]
    department = catalog.department(catalog.service("marriage_certificate").department)
    assert delayed["expected_date"] == "14-02-2020" and delayed["phone"] == department.phone
    assert delayed["department"] == department.name["hi"]


async def test_a_finished_application_past_its_date_is_not_delayed(database, domain):
    issued = {"application_number": "BC-2026-000777", "status_dob": "not_needed", "status_outcome": "verified"}
    dispatcher, _ = await tell(domain, issued)  # issued on time long ago: the office's work is over
    assert "utter_application_delayed" not in responses(dispatcher)


async def test_malformed_number_is_told_the_format(database, domain):
    dispatcher, slots = await validate(
        domain, text="my number is 12345", intent="inform", slots={"requested_slot": "application_number"}
    )
    assert responses(dispatcher) == ["utter_application_number_invalid"]
    assert slots["application_number"] is None


async def test_someone_elses_application_needs_the_date_of_birth(database, domain):
    dispatcher, slots = await validate(
        domain, text="TL-2026-000981", intent="inform", slots={"requested_slot": "application_number"}
    )
    assert slots == {"application_number": "TL-2026-000981"} and not dispatcher.messages


async def test_right_date_of_birth_shows_status(database, domain):
    _, slots = await answer_date_of_birth(domain, "15-08-1985")
    assert slots == {"status_dob": "given", "status_outcome": "verified"}
    dispatcher, _ = await tell(domain, {"application_number": "TL-2026-000981", **slots}, sender=OTHER_SENDER)
    assert responses(dispatcher)[0] == "utter_application_status"


async def test_wrong_date_and_missing_number_get_the_same_reply(database, domain):
    replies = []
    for number in ("TL-2026-000981", "TL-2026-999999"):
        _, slots = await answer_date_of_birth(domain, "01-01-1990", number)
        dispatcher, _ = await tell(domain, {"application_number": number, **slots}, sender=OTHER_SENDER)
        replies.append((slots, dispatcher.messages))
    assert replies[0] == replies[1]
    assert replies[0][1][0]["response"] == "utter_status_not_verified"


async def test_unreadable_date_is_asked_again_and_not_counted(database, domain):
    dispatcher, slots = await answer_date_of_birth(domain, "long ago")
    assert responses(dispatcher) == ["utter_status_dob_invalid"] and slots["status_dob"] is None


async def test_too_many_wrong_answers_pause_checks(database, domain):
    for _ in range(MAX_FAILED_CHECKS):
        await answer_date_of_birth(domain, "01-01-1990")
    _, slots = await answer_date_of_birth(domain, "15-08-1985")
    assert slots["status_outcome"] == "rate_limited"
    dispatcher, _ = await tell(domain, {"application_number": "TL-2026-000981", **slots}, sender=OTHER_SENDER)
    assert responses(dispatcher) == ["utter_status_rate_limited"]


def forged_call(domain, slots: dict, sender: str = OTHER_SENDER) -> dict:
    """The JSON anyone could post to the action server's /webhook: a tracker with made-up slots."""
    tracker = {
        "sender_id": sender,
        "slots": {"language": "en", **slots},
        "latest_message": {"text": "/check_application_status", "intent": {"name": "check_application_status"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {"next_action": "action_application_status", "sender_id": sender, "tracker": tracker, "domain": domain}


async def test_a_forged_tracker_saying_verified_gets_the_not_verified_reply(database, domain):
    """What posting a tracker to the action server with made-up slots gets: no status, no copy."""
    executor = ActionExecutor()
    executor.register_action(ActionApplicationStatus())
    for number, purpose in (("TL-2026-000981", None), ("TL-2026-000981", "certificate"), ("WC-2026-000318", "certificate")):
        slots = {"status_outcome": "verified", "application_number": number, "status_purpose": purpose}
        answer = await executor.run(forged_call(domain, slots))
        assert [message["response"] for message in answer["responses"]] == ["utter_status_not_verified"]
        assert {event["value"] for event in answer["events"]} == {None}  # and the forged slots are cleared
    with db.session_scope() as session:
        assert session.query(models.Certificate).count() == 0  # WC-2026-000318 is issued: no copy was made


async def test_a_passed_check_counts_for_that_sender_for_a_short_while_only(database, domain):
    start = dt.datetime(2027, 3, 1, 9, 30)  # any moment: the test holds the clock still
    verified = {"application_number": "TL-2026-000981", "status_dob": "given", "status_outcome": "verified"}
    with clock.frozen(start):
        _, slots = await answer_date_of_birth(domain, "15-08-1985")
        assert slots["status_outcome"] == "verified"
        someone_else, _ = await tell(domain, verified, sender="917000000002")  # forging slots after another's pass
        assert responses(someone_else) == ["utter_status_not_verified"]
    with clock.frozen(start + VERIFIED_FOR):  # the same sender replaying the slots later
        replayed, _ = await tell(domain, verified, sender=OTHER_SENDER)
    assert responses(replayed) == ["utter_status_not_verified"]


async def test_rotating_phones_on_one_number_ends_at_the_counter_as_for_a_missing_number(database, domain):
    replies = []
    for number in ("TL-2026-000981", "TL-2026-999999"):
        for attempt in range(MAX_FAILED_CHECKS_PER_APPLICATION):  # each wrong guess from another phone
            _, slots = await answer_date_of_birth(domain, "01-01-1990", number, sender=f"91710000{attempt:04d}")
            assert slots["status_outcome"] == "not_verified"
        asked, slots = await validate(
            domain, text=number, intent="inform", sender="917200000001", slots={"requested_slot": "application_number"}
        )
        dispatcher, _ = await tell(domain, {**slots, "language": "hi"}, sender="917200000001")
        _, guessed = await answer_date_of_birth(domain, "15-08-1985", number, sender="917200000002")  # even the right date
        replies.append((asked.messages, {**slots, "application_number": None}, dispatcher.messages, guessed))
    assert replies[0] == replies[1]
    assert replies[0][1]["status_outcome"] == "ask_at_counter" and replies[0][3]["status_outcome"] == "ask_at_counter"
    assert [message["response"] for message in replies[0][2]] == ["utter_status_ask_at_counter"]


async def test_a_digression_is_not_taken_as_the_answer(database, domain):
    _, slots = await validate(
        domain, text="what is the fee for trade licence", intent="ask_fee", slots={"requested_slot": "application_number"}
    )
    assert "application_number" not in slots


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i want to vote in the poll", "poll_answer"),
        ('/stop_reminder{"reminder_kind":"licence_expiry"}', "stop_reminder"),
        ("मुझे पानी की सूचना चाहिए", "subscribe"),
        ("ಟ್ರೇಡ್ ಲೈಸೆನ್ಸ್ ಅರ್ಜಿ ನಮೂನೆ ಕಳುಹಿಸಿ", "request_form"),
        ("kachra nahi uthaya complaint karna hai", "file_grievance"),
    ],
)
async def test_a_new_request_is_not_taken_for_the_pending_number(database, domain, text, intent):
    dispatcher, slots = await validate(domain, text=text, intent=intent, slots={"requested_slot": "application_number"})
    # Nothing extracted: the form steps aside and data/rules/new_requests.yml serves the request.
    assert slots == {} and dispatcher.messages == []
