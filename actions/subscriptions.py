"""Choosing updates in the chat: the privacy notice before the first opt-in, topics, the ward
(a form, so a ward's name alone, even misspelled, answers the question), STOP, START.

Consent rules live in nagarik.citizens.subscriptions; this module only talks.
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
    entity_key,
    in_language,
    is_digression,
    latest_intent,
    latest_text,
    load_catalog,
    reply_language,
    response_text,
    row,
    sender,
)
from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.shared.text import closest_named, named_in_text
from nagarik.shared.topics import topics
from whatsapp.payloads import intent_payload


def topic_named(tracker: Tracker) -> str | None:
    key = entity_key(tracker, "topic", topics())
    text = latest_text(tracker)
    return key or (None if text.startswith("/") else named_in_text(text, topics()))


def topic_names(keys: list[str], language: str) -> str:
    return ", ".join(in_language(t.names, language) for t in topics() if t.key in keys)


def ward_named(tracker: Tracker) -> str | None:
    return entity_key(tracker, "ward", load_catalog().wards)


# While the ward is asked, anything but these is read as the ward's name.
NOT_A_WARD = SIDE_QUESTIONS | (NEW_REQUESTS - {"choose_ward"})


def ask_ward(dispatcher: CollectingDispatcher, language: str) -> None:
    """The ward question with every ward as a list row (the channel pages lists over 10 rows)."""
    wards = sorted(load_catalog().wards, key=lambda ward: ward.number)
    rows = [row(in_language(w.names, language), intent_payload("choose_ward", ward=w.key)) for w in wards]
    dispatcher.utter_message(response="utter_ask_ward", buttons=rows)


def ward_text(ward_key: str, language: str) -> str:
    return in_language(load_catalog().ward(ward_key).names, language)


class ActionSubscribe(Action):
    """Topics first (one at a time, from a list); then, if we do not know it yet, the ward."""

    def name(self) -> str:
        return "action_subscribe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        phone = sender(tracker)
        with db.session_scope() as session:
            if subscriptions.needs_notice(session, phone):
                # Consent needs the notice first: what is kept, why, how long, how to stop.
                subscriptions.notice_shown(session, phone)
                dispatcher.utter_message(response="utter_privacy_notice")
                return []
            ward = ward_named(tracker)
            if ward:
                subscriptions.set_ward(session, phone, ward)
            key = topic_named(tracker)
            if key is None:
                rows = [row(in_language(t.names, language), intent_payload("subscribe", topic=t.key)) for t in topics()]
                dispatcher.utter_message(response="utter_ask_topics", buttons=rows)
                return []
            chosen = subscriptions.subscribe(session, phone, key)
        ward_part = ""
        if chosen.ward:
            ward_part = response_text(domain, "utter_ward_part", language).replace("{ward}", ward_text(chosen.ward, language))
        topic = topic_names([key], language)
        if not chosen.opted_out:
            dispatcher.utter_message(response="utter_subscribed", topic=topic, ward_part=ward_part)
            return []  # ward_form follows (data/rules/subscriptions.yml): it asks the ward if none is known
        # After STOP: this topic only. The earlier choices (and reminders) wait for START, and we say so.
        held = topic_names(chosen.held, language)
        held_part = response_text(domain, "utter_held_part", language).replace("{topics}", held) if held else ""
        dispatcher.utter_message(response="utter_subscribed_after_stop", topic=topic, ward_part=ward_part, held_part=held_part)
        return []


def ward_needed(tracker: Tracker) -> bool:
    """Whether to ask the ward now: asked for ("change my ward"), or updates chosen without one."""
    if latest_intent(tracker) == "choose_ward":
        return True
    with db.session_scope() as session:
        choices = subscriptions.choices(session, sender(tracker))
    return bool(choices.topics) and choices.ward is None


class ValidateWardForm(FormValidationAction):
    """The ward question: a list row, a ward's name in any script (alone or in a sentence, and
    forgiving misspellings), or its number; asked only when needed."""

    def name(self) -> str:
        return "validate_ward_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("requested_slot") == "ward" or ward_needed(tracker):
            return domain_slots
        return []  # nothing to ask: the form ends at once and action_choose_ward says nothing

    async def extract_ward(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        key = ward_named(tracker)
        text = latest_text(tracker)
        if key or tracker.get_slot("requested_slot") != "ward" or text.startswith("/"):
            return {"ward": key} if key else {}
        # While the ward is asked, a ward's name or number wins over what NLU made of the message.
        wards = load_catalog().wards
        key = next((w.key for w in wards if text.strip().lstrip("#") == str(w.number)), None) or closest_named(text, wards)
        if key:
            return {"ward": key}
        if is_digression(tracker, NOT_A_WARD):
            return {}  # not an answer: a rule serves it (digressions.yml, new_requests.yml)
        return {"ward": text}  # refused by validate_ward, which asks again

    def validate_ward(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if load_catalog().ward(str(value)) is None:
            dispatcher.utter_message(response="utter_ward_not_found")
            return {"ward": None}  # asked again, with the list
        return {"ward": value}


class ActionAskWard(Action):
    def name(self) -> str:
        return "action_ask_ward"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        ask_ward(dispatcher, reply_language(tracker))
        return []


class ActionChooseWard(Action):
    """After ward_form: sets the citizen's ward (for ward updates and emergency alerts)."""

    def name(self) -> str:
        return "action_choose_ward"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        ward = tracker.get_slot("ward")
        if ward is None:
            return []  # the ward was not needed
        try:
            with db.session_scope() as session:
                subscriptions.set_ward(session, sender(tracker), ward)
        except ValueError:  # not one of the catalog's wards (a typed payload): nothing is kept
            dispatcher.utter_message(response="utter_ask_ward")
            return [SlotSet("ward", None)]
        dispatcher.utter_message(response="utter_ward_set", ward=ward_text(ward, reply_language(tracker)))
        return [SlotSet("ward", None)]  # asked afresh next time


class ActionStopMessages(Action):
    """STOP stops everything; "stop water supply updates" stops only that topic (also one STOP
    holds: then START does not bring it back)."""

    def name(self) -> str:
        return "action_stop_messages"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        phone = sender(tracker)
        key = topic_named(tracker)
        with db.session_scope() as session:
            choices = subscriptions.choices(session, phone)
            if key and key in choices.topics + choices.held:
                subscriptions.unsubscribe(session, phone, key)
                dispatcher.utter_message(response="utter_topic_stopped", topic=topic_names([key], reply_language(tracker)))
                return []
            subscriptions.stop_all(session, phone)
        dispatcher.utter_message(response="utter_stopped")
        return []


class ActionStartMessages(Action):
    def name(self) -> str:
        return "action_start_messages"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        with db.session_scope() as session:
            choices = subscriptions.start_again(session, sender(tracker))
        back = choices.restored or choices.topics  # what START brought back; else what stayed on
        if back:
            dispatcher.utter_message(response="utter_started", topics=topic_names(back, reply_language(tracker)))
        else:
            dispatcher.utter_message(response="utter_started_nothing")
        return []


class ActionMySubscriptions(Action):
    def name(self) -> str:
        return "action_my_subscriptions"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        with db.session_scope() as session:
            choices = subscriptions.choices(session, sender(tracker))
        if not choices.topics:
            if choices.held:
                dispatcher.utter_message(response="utter_subscriptions_held", topics=topic_names(choices.held, language))
            else:
                dispatcher.utter_message(response="utter_no_subscriptions")
            return []
        dispatcher.utter_message(
            response="utter_subscriptions",
            topics=topic_names(choices.topics, language),
            first_topic=topic_names(choices.topics[:1], language),
            ward=ward_text(choices.ward, language) if choices.ward else response_text(domain, "utter_no_ward", language),
        )
        if choices.held:  # chosen again after STOP: the rest is still off
            dispatcher.utter_message(response="utter_subscriptions_also_held", topics=topic_names(choices.held, language))
        return []
