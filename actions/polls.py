"""Polls and consultations in the chat: showing the question, answering, changing, commenting.

Buttons carry `/poll_answer{"poll_id","poll_option"}`; a typed "I want to vote" shows the newest
open poll the citizen was sent. Counting rules (and who may answer: only citizens the poll was
sent to) live in nagarik.outbound.polls.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import in_language, latest_entities, latest_text, reply_language, response_text, sender
from nagarik import db
from nagarik.outbound import polls
from whatsapp.payloads import intent_payload

ANSWER_REPLIES = {
    "recorded": "utter_poll_recorded",
    "changed": "utter_poll_changed",
    "same": "utter_poll_same",
    "closed": "utter_poll_closed",
    "not_sent": "utter_poll_not_sent_to_you",
}
COMMENT_REPLIES = {
    "saved": "utter_poll_comment_saved",
    "closed": "utter_poll_closed",
    "not_sent": "utter_poll_not_sent_to_you",
    "no_answer": "utter_poll_comment_needs_answer",
    "not_allowed": "utter_poll_comment_not_allowed",
}


def poll_id_of(tracker: Tracker) -> int | None:
    for value in [*latest_entities(tracker, "poll_id"), tracker.get_slot("poll_id")]:
        if value and str(value).isdigit():
            return int(value)
    return None


def comment_button(poll_id: int, domain: dict[str, Any], language: str) -> dict[str, str]:
    title = response_text(domain, "utter_poll_add_comment_button", language)
    return {"title": title, "payload": intent_payload("poll_comment", poll_id=poll_id)}


class ActionPollAnswer(Action):
    """Records an answer from a button, or shows the poll's question and options again."""

    def name(self) -> str:
        return "action_poll_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        phone = sender(tracker)
        options = latest_entities(tracker, "poll_option")
        with db.session_scope() as session:
            poll_id = poll_id_of(tracker)
            if poll_id is None:
                latest = polls.latest_open_for(session, phone)
                poll_id = latest.id if latest else None
            if poll_id is None:
                dispatcher.utter_message(response="utter_no_open_poll")
                return []
            if not options:  # "I want to vote", or the template's Answer button: show the question
                poll = polls.find(session, poll_id)
                if poll is None or polls.is_closed(poll):
                    dispatcher.utter_message(response="utter_poll_closed" if poll else "utter_no_open_poll")
                    return []
                if not polls.was_sent_to(session, poll, phone):  # a typed payload of someone else's poll
                    dispatcher.utter_message(response="utter_poll_not_sent_to_you")
                    return []
                dispatcher.utter_message(json_message={"whatsapp": polls.question_message(poll, language)})
                return [SlotSet("poll_id", str(poll_id))]
            result = polls.answer(session, poll_id, phone, options[0])
        if result.outcome not in ANSWER_REPLIES:  # an unknown poll or option: show what is open
            dispatcher.utter_message(response="utter_no_open_poll")
            return []
        if result.outcome == "not_sent":  # someone else's poll: nothing to remember either
            dispatcher.utter_message(response=ANSWER_REPLIES["not_sent"])
            return []
        option = in_language(result.option_names, language) if result.option_names else ""
        buttons = []
        if result.outcome in ("recorded", "changed") and result.poll is not None and result.poll.allow_comments:
            buttons = [comment_button(poll_id, domain, language)]
        dispatcher.utter_message(response=ANSWER_REPLIES[result.outcome], option=option, buttons=buttons)
        return [SlotSet("poll_id", str(poll_id))]


class ValidatePollCommentForm(FormValidationAction):
    """Every message is the comment, except a cancel (handled by a rule)."""

    def name(self) -> str:
        return "validate_poll_comment_form"

    async def extract_poll_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker).strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") != "poll_comment" or not text or text.startswith("/") or intent == "cancel":
            return {}
        return {"poll_comment": text}


class ActionSavePollComment(Action):
    def name(self) -> str:
        return "action_save_poll_comment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        phone = sender(tracker)
        with db.session_scope() as session:
            poll_id = poll_id_of(tracker)
            if poll_id is None:
                latest = polls.latest_open_for(session, phone)
                poll_id = latest.id if latest else None
            comment = tracker.get_slot("poll_comment") or ""
            outcome = polls.add_comment(session, poll_id, phone, comment) if poll_id else "no_answer"
        dispatcher.utter_message(response=COMMENT_REPLIES.get(outcome, "utter_no_open_poll"))
        return [SlotSet("poll_comment", None)]


class ActionResetPollComment(Action):
    def name(self) -> str:
        return "action_reset_poll_comment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return [SlotSet("poll_comment", None)]
