"""The reply language: inferred from every message, chosen explicitly, remembered per phone."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entities, latest_intent, latest_text, load_catalog, sender
from nagarik import db
from nagarik.citizens import profiles
from nagarik.citizens.language import detect, language_named, next_language


def named_language(tracker: Tracker) -> str | None:
    """The language a choose_language message names, if any."""
    synonyms = {language.key: language.synonyms for language in load_catalog().languages}
    for value in latest_entities(tracker, "language"):
        found = language_named(value, synonyms)
        if found:
            return found
    return language_named(latest_text(tracker), synonyms)


class ActionSetLanguage(Action):
    """Runs on every message (the `language` slot's custom mapping)."""

    def name(self) -> str:
        return "action_set_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        slot_value = tracker.get_slot("language")
        with db.session_scope() as session:
            citizen = profiles.get_or_create(session, sender(tracker))
            current = slot_value or citizen.language
            if latest_intent(tracker) == "choose_language":
                chosen = named_language(tracker)
                if chosen:
                    profiles.remember_language(session, citizen.phone, chosen, chosen=True)
                    return [SlotSet("language", chosen)]
            language = next_language(current, citizen.language_source == "chosen", detect(latest_text(tracker)))
            if language and language != citizen.language:
                profiles.remember_language(session, citizen.phone, language, chosen=False)
        return [SlotSet("language", language)] if language != slot_value else []


class ActionChooseLanguage(Action):
    """Confirms a named language, or offers the three when none was named."""

    def name(self) -> str:
        return "action_choose_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if named_language(tracker):
            dispatcher.utter_message(response="utter_language_set")
        else:
            dispatcher.utter_message(response="utter_choose_language")
        return []
