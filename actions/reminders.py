"""Stopping one kind of date reminder (licence expiry, property tax...) without stopping the rest.

The reminder's button carries `/stop_reminder{"reminder_kind": ...}`; a typed request names the
kind in words or gets the list. The rules live in nagarik.outbound.reminders.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import in_language, latest_entities, latest_text, reply_language, row, sender
from nagarik import db
from nagarik.outbound import reminders
from nagarik.shared.text import fold


def kind_named(tracker: Tracker) -> str | None:
    kinds = reminders.kinds()
    for value in latest_entities(tracker, "reminder_kind"):
        if value in kinds:
            return value
    text = fold(latest_text(tracker))
    for kind in kinds:
        if any(fold(name) in text for name in reminders.kind_names(kind).values()):
            return kind
    return None


class ActionStopReminder(Action):
    def name(self) -> str:
        return "action_stop_reminder"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        kind = kind_named(tracker)
        if kind is None:
            rows = [row(in_language(reminders.kind_names(k), language), reminders.stop_payload(k)) for k in reminders.kinds()]
            dispatcher.utter_message(response="utter_ask_reminder_kind", buttons=rows)
            return []
        with db.session_scope() as session:
            reminders.opt_out(session, sender(tracker), kind)
        dispatcher.utter_message(response="utter_reminder_stopped", kind=in_language(reminders.kind_names(kind), language))
        return []
