"""What citizens send on WhatsApp besides text: a file, a location pin, media the assistant cannot
use (a voice note, a sticker), or a file the channel did not keep and why. See docs/whatsapp.md.
Inside the complaint form, the form itself then takes the file as evidence."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import in_language, latest_entities, load_catalog, reply_language, response_text
from nagarik.citizens.grievances import EVIDENCE_FILE, attachable, nearest_ward
from whatsapp.cloud import media

EVIDENCE_TYPES = ("image", "video", "document")
VOICE_TYPES = ("voice", "audio")
EVIDENCE_FORM = "grievance_form"
# Why the channel kept no file (whatsapp.cloud.media) -> what the citizen is told.
NOT_KEPT = {
    media.REFUSED: "utter_media_rejected",
    media.TOO_LARGE: "utter_media_too_large",
    media.GONE: "utter_media_expired",
    media.NOT_EXPECTED: "utter_media_not_expected",
    media.OVER_QUOTA: "utter_media_quota",
}


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
            if tracker.active_loop_name != EVIDENCE_FORM:
                dispatcher.utter_message(response="utter_media_not_expected")
            elif attachable(EVIDENCE_FILE + latest_entities(tracker, "media_ref")[0]):
                dispatcher.utter_message(response="utter_media_received")
            # else: a reference typed in, refused by the form, which asks for the photo again
        elif media_type in NOT_KEPT:
            dispatcher.utter_message(response=NOT_KEPT[media_type])
        elif media_type in VOICE_TYPES:
            dispatcher.utter_message(response="utter_unsupported_voice")
        else:
            dispatcher.utter_message(response="utter_unsupported_media")
        return []
