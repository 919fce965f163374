"""A new conversation session (the privacy notice on a citizen's very first contact), and
forgetting a question left pending when a new request wins over it.

Rasa starts a session before it parses the message that started it, so the `language` slot is
not set yet; the notice's language comes from the citizen's stored language or, for a first
message, from its text (the WhatsApp channel passes it in the message metadata).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.application_status import STATUS_SLOTS
from actions.common import response_variation, sender
from actions.grievances import GRIEVANCE_SLOTS
from nagarik import db
from nagarik.citizens import profiles, subscriptions
from nagarik.citizens.language import detect

# What the forms were asking and have collected so far. None of it outlives the question: a new
# session starts without it, and so does a new request that wins over a pending question.
PENDING_SLOTS = ("requested_slot", *STATUS_SLOTS, *GRIEVANCE_SLOTS, "ward", "poll_comment")


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
            if value is not None and key != "session_started_metadata" and key not in PENDING_SLOTS
        ]
        events: list[EventType] = [SessionStarted(), *carried]
        with db.session_scope() as session:
            if subscriptions.needs_notice(session, sender(tracker)):
                citizen = profiles.get_or_create(session, sender(tracker))
                language = citizen.language or detect(first_text(tracker)).language or "en"
                subscriptions.notice_shown(session, citizen.phone)
                notice = response_variation(domain, "utter_privacy_notice", language)
                dispatcher.utter_message(text=notice["text"], buttons=notice.get("buttons", []))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionForgetPending(Action):
    """After a new request won over a form's question (data/rules/new_requests.yml): the form's
    answers so far are forgotten, silently, so that form starts afresh next time."""

    def name(self) -> str:
        return "action_forget_pending"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet(slot, None) for slot in PENDING_SLOTS if tracker.get_slot(slot) is not None]
