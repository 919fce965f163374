"""Stopping one kind of reminder in the chat."""

from __future__ import annotations

from helpers import DEMO_SENDER, make_tracker, responses, slot_events
from helpers import run_action as run
from rasa_sdk.executor import CollectingDispatcher

from actions.application_status import ValidateApplicationStatusForm
from actions.reminders import ActionStopReminder
from nagarik import db
from nagarik.db import models
from nagarik.outbound import reminders


def test_stopping_one_kind_of_reminder(database, domain):
    kind = reminders.kinds()[0]
    dispatcher, _ = run(
        ActionStopReminder(), domain, text="/stop_reminder", intent="stop_reminder", entities=[("reminder_kind", kind)]
    )
    assert responses(dispatcher) == ["utter_reminder_stopped"]
    with db.session_scope() as session:
        assert session.get(models.ReminderOptOut, (DEMO_SENDER, kind)) is not None
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
