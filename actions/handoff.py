"""Asking for a person: the request is queued for officials and the citizen told when to expect them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import in_language, latest_text, load_catalog, reply_language, response_text, sender
from nagarik import db
from nagarik.catalog.office_hours import is_open, next_opening
from nagarik.citizens import handoffs
from nagarik.shared import clock


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        now = clock.utcnow()
        if is_open(catalog, now):
            when = response_text(domain, "utter_handoff_when_open", language).replace(
                "{office_hours}", in_language(catalog.office.hours, language)
            )
        else:
            opening = next_opening(catalog, now)
            when = response_text(domain, "utter_handoff_when_closed", language).replace(
                "{next_open}", opening.strftime("%d-%m-%Y %H:%M")
            )
        with db.session_scope() as session:
            request = handoffs.request_handoff(session, sender(tracker), language, latest_text(tracker), now)
            reference = request.handoff.reference
        response = "utter_handoff_created" if request.created else "utter_handoff_existing"
        dispatcher.utter_message(response=response, reference=reference, when=when)
        return []
