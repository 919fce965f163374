"""Application status: the form that asks for the number (and, for anyone but the registered
phone, the applicant's date of birth) and the action that tells the result.

The privacy rules themselves live in nagarik.citizens.applications; this module only talks.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    NEW_REQUESTS,
    SIDE_QUESTIONS,
    date_text,
    in_language,
    is_digression,
    latest_entities,
    latest_intent,
    latest_text,
    load_catalog,
    reply_language,
    sender,
)
from actions.documents import CERTIFICATE, send_certificate
from nagarik import db
from nagarik.citizens import applications
from nagarik.citizens.applications import Outcome
from nagarik.shared.text import looks_like_an_attempted_number, parse_application_number, parse_date

# Asking for a status (or a certificate) again is an answer here: its number fills the form.
NOT_AN_ANSWER = SIDE_QUESTIONS | (NEW_REQUESTS - {"check_application_status", "request_certificate"})
NOT_NEEDED = "not_needed"  # status_dob when the registered phone asked, or checks are paused
STATUS_SLOTS = ("application_number", "status_dob", "status_outcome", "status_purpose")
# Checks that may not be tried now: their replies (nothing about the application in them).
REFUSALS = {
    Outcome.RATE_LIMITED.value: "utter_status_rate_limited",
    Outcome.ASK_AT_COUNTER.value: "utter_status_ask_at_counter",
}


class ValidateApplicationStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_application_status_form"

    async def extract_application_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in (None, "application_number") or tracker.get_slot("application_number"):
            return {}
        for value in latest_entities(tracker, "application_number"):
            return {"application_number": value}
        text = latest_text(tracker)
        if requested == "application_number" and not is_digression(tracker, NOT_AN_ANSWER) and not text.startswith("/"):
            return {"application_number": text}
        return {}

    def validate_application_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = parse_application_number(str(value))
        if number is None:
            if tracker.get_slot("requested_slot") == "application_number" or looks_like_an_attempted_number(str(value)):
                dispatcher.utter_message(response="utter_application_number_invalid")
            return {"application_number": None}
        with db.session_scope() as session:
            check = applications.check_by_sender(session, number, sender(tracker))
        # Asking for the certificate while the form waits for the number: the same check, then the copy.
        purpose = {"status_purpose": CERTIFICATE} if latest_intent(tracker) == "request_certificate" else {}
        if check.outcome is Outcome.NEEDS_SECOND_CHECK:
            return {"application_number": number, **purpose}
        return {"application_number": number, "status_dob": NOT_NEEDED, "status_outcome": check.outcome.value, **purpose}

    async def extract_status_dob(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = latest_text(tracker)
        if tracker.get_slot("requested_slot") != "status_dob" or is_digression(tracker, NOT_AN_ANSWER) or text.startswith("/"):
            return {}
        return {"status_dob": text}

    def validate_status_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NOT_NEEDED:
            return {}
        date_of_birth = parse_date(str(value))
        if date_of_birth is None:
            dispatcher.utter_message(response="utter_status_dob_invalid")
            return {"status_dob": None}
        with db.session_scope() as session:
            check = applications.check_by_date_of_birth(
                session, tracker.get_slot("application_number"), sender(tracker), date_of_birth
            )
        # The date itself is never kept in a slot.
        return {"status_dob": "given", "status_outcome": check.outcome.value}


class ActionApplicationStatus(Action):
    """Tells the status, or the one reply shared by 'wrong answer' and 'no such application'.

    The slots only say which reply the form reached: before a status or a certificate goes out,
    the service confirms that this sender passed the check for this number (a forged tracker's
    `status_outcome: verified` gets the not-verified reply)."""

    def name(self) -> str:
        return "action_application_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        outcome = tracker.get_slot("status_outcome")
        number = tracker.get_slot("application_number")
        reset = [SlotSet(slot, None) for slot in STATUS_SLOTS]
        if outcome in REFUSALS:
            dispatcher.utter_message(response=REFUSALS[outcome])
            return reset
        with db.session_scope() as session:
            application = applications.verified_application(session, number, sender(tracker))
            if outcome != Outcome.VERIFIED.value or application is None:
                dispatcher.utter_message(response="utter_status_not_verified")
                return reset
            if tracker.get_slot("status_purpose") != CERTIFICATE:
                tell_status(dispatcher, tracker, application)
                return reset
        await send_certificate(dispatcher, tracker, domain, number)  # verified just above
        return reset


def tell_status(dispatcher: CollectingDispatcher, tracker: Tracker, application: Any) -> None:
    """The status of a verified application (a models.Application in an open session)."""
    catalog = load_catalog()
    language = reply_language(tracker)
    service = catalog.service(application.service_key)
    stage = catalog.stage(application.stage_key)
    assert service is not None and stage is not None
    dispatcher.utter_message(
        response="utter_application_status",
        number=application.number,
        service_name=in_language(service.names, language),
        stage=in_language(stage.names, language),
        next_step=in_language(stage.next_step, language),
        expected_date=date_text(application.expected_on),
    )
    if applications.is_delayed(application, catalog):
        department = catalog.department(service.department)
        dispatcher.utter_message(
            response="utter_application_delayed",
            expected_date=date_text(application.expected_on),
            department=in_language(department.name, language) if department else "-",
            phone=department.phone if department else catalog.office.phone,
        )
        return  # its buttons are the way on
    dispatcher.utter_message(response="utter_anything_else")


class ActionResetApplicationStatus(Action):
    """After a cancelled status check: forget the number so the next check starts clean."""

    def name(self) -> str:
        return "action_reset_application_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return [SlotSet(slot, None) for slot in STATUS_SLOTS]
