"""The status form: number, second check for other phones, one reply for wrong and missing."""

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.application_status import ActionApplicationStatus, ValidateApplicationStatusForm
from nagarik.citizens.applications import MAX_FAILED_CHECKS

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
