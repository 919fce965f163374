"""A new conversation session: the privacy notice on a citizen's very first contact.

Rasa starts a session before it parses the message that started it, so the `language` slot is
not set yet; the notice's language comes from the citizen's stored language or, for a first
message, from its text (the WhatsApp channel passes it in the message metadata).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import response_variation, sender
from nagarik import citizens, db, subscriptions
from nagarik.language import detect


def first_text(tracker: Tracker) -> str:
    metadata = tracker.get_slot("session_started_metadata") or {}
    return str(metadata.get("text") or "") if isinstance(metadata, dict) else ""


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        carried = [
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if value is not None and key != "session_started_metadata"
        ]
        events: list[EventType] = [SessionStarted(), *carried]
        with db.session_scope() as session:
            if subscriptions.needs_notice(session, sender(tracker)):
                citizen = citizens.get_or_create(session, sender(tracker))
                language = citizen.language or detect(first_text(tracker)).language or "en"
                subscriptions.notice_shown(session, citizen.phone)
                notice = response_variation(domain, "utter_privacy_notice", language)
                dispatcher.utter_message(text=notice["text"], buttons=notice.get("buttons", []))
        events.append(ActionExecuted("action_listen"))
        return events
