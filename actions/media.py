"""What citizens send on WhatsApp besides text, when no form is waiting for it: a file, a location
pin, or media the assistant cannot use (a voice note, a sticker). See docs/whatsapp.md."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import in_language, latest_entities, load_catalog, reply_language, response_text
from nagarik.citizens.grievances import nearest_ward

EVIDENCE_TYPES = ("image", "video", "document")
VOICE_TYPES = ("voice", "audio")


def pin(tracker: Tracker) -> tuple[float, float] | None:
    latitude, longitude = latest_entities(tracker, "latitude"), latest_entities(tracker, "longitude")
    try:
        return (float(latitude[0]), float(longitude[0])) if latitude and longitude else None
    except ValueError:
        return None


class ActionMediaMessage(Action):
    def name(self) -> str:
        return "action_media_message"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        media_type = next(iter(latest_entities(tracker, "media_type")), None)
        location = pin(tracker)
        if location:
            catalog = load_catalog()
            ward = catalog.ward(nearest_ward(catalog, *location) or "")
            language = reply_language(tracker)
            place = in_language(ward.names, language) if ward else response_text(domain, "utter_outside_area", language)
            dispatcher.utter_message(response="utter_location_received", place=place)
        elif media_type in EVIDENCE_TYPES and latest_entities(tracker, "media_ref"):
            dispatcher.utter_message(response="utter_media_received")
        elif media_type == "rejected_media":
            dispatcher.utter_message(response="utter_media_rejected")
        elif media_type in VOICE_TYPES:
            dispatcher.utter_message(response="utter_unsupported_voice")
        else:
            dispatcher.utter_message(response="utter_unsupported_media")
        return []
