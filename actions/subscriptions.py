"""Choosing updates in the chat: the privacy notice before the first opt-in, topics, STOP, START.

Consent rules live in nagarik.subscriptions; this module only talks.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    in_language,
    latest_entities,
    latest_text,
    load_catalog,
    reply_language,
    resolve,
    response_text,
    row,
    sender,
)
from nagarik import db, subscriptions
from nagarik.text import named_in_text
from nagarik.topics import topics


def topic_named(tracker: Tracker) -> str | None:
    for value in latest_entities(tracker, "topic"):
        key = resolve(topics(), value)
        if key:
            return key
    text = latest_text(tracker)
    return None if text.startswith("/") else named_in_text(text, topics())


def topic_names(keys: list[str], language: str) -> str:
    return ", ".join(in_language(t.names, language) for t in topics() if t.key in keys)


class ActionSubscribe(Action):
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
            key = topic_named(tracker)
            if key is None:
                rows = [row(in_language(t.names, language), f'/subscribe{{"topic":"{t.key}"}}') for t in topics()]
                dispatcher.utter_message(response="utter_ask_topics", buttons=rows)
                return []
            subscriptions.subscribe(session, phone, key)
            ward_part = ""
            for value in latest_entities(tracker, "ward"):
                catalog = load_catalog()
                ward = resolve(catalog.wards, value)
                if ward:
                    subscriptions.set_ward(session, phone, ward)
                    ward_part = response_text(domain, "utter_ward_part", language).replace(
                        "{ward}", in_language(catalog.ward(ward).names, language)
                    )
        dispatcher.utter_message(response="utter_subscribed", topic=topic_names([key], language), ward_part=ward_part)
        return []


class ActionStopMessages(Action):
    def name(self) -> str:
        return "action_stop_messages"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        with db.session_scope() as session:
            subscriptions.stop_all(session, sender(tracker))
        dispatcher.utter_message(response="utter_stopped")
        return []


class ActionStartMessages(Action):
    def name(self) -> str:
        return "action_start_messages"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        with db.session_scope() as session:
            choices = subscriptions.start_again(session, sender(tracker))
        if choices.topics:
            dispatcher.utter_message(response="utter_started", topics=topic_names(choices.topics, reply_language(tracker)))
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
        if not choices.topics or choices.opted_out:
            dispatcher.utter_message(response="utter_no_subscriptions")
            return []
        ward = load_catalog().ward(choices.ward or "")
        dispatcher.utter_message(
            response="utter_subscriptions",
            topics=topic_names(choices.topics, language),
            ward=in_language(ward.names, language) if ward else response_text(domain, "utter_no_ward", language),
        )
        return []
