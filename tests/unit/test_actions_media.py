"""Replies to what WhatsApp citizens send besides text, outside a form."""

import pytest
from helpers import make_tracker, responses
from rasa_sdk.executor import CollectingDispatcher

from actions.media import ActionMediaMessage


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ([("media_type", "voice")], "utter_unsupported_voice"),
        ([("media_type", "audio")], "utter_unsupported_voice"),
        ([("media_type", "sticker")], "utter_unsupported_media"),
        ([("media_type", "contacts")], "utter_unsupported_media"),
        ([("media_type", "rejected_media")], "utter_media_rejected"),
        ([("media_type", "image"), ("media_ref", "abc.jpg")], "utter_media_received"),
        ([("latitude", "12.925100"), ("longitude", "77.593700")], "utter_location_received"),
    ],
)
def test_each_kind_gets_its_reply(database, domain, entities, expected):
    dispatcher = CollectingDispatcher()
    ActionMediaMessage().run(dispatcher, make_tracker(text="/inform", intent="inform", entities=entities), domain)
    assert responses(dispatcher) == [expected]


def test_a_pin_is_placed_in_its_ward_or_outside_the_area(database, domain, catalog):
    def place(latitude: str, longitude: str) -> str:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            intent="inform", entities=[("latitude", latitude), ("longitude", longitude)], slots={"language": "hi"}
        )
        ActionMediaMessage().run(dispatcher, tracker, domain)
        return dispatcher.messages[0]["place"]

    assert place("12.925100", "77.593800") == catalog.ward("jayanagar").names["hi"]
    assert place("28.613900", "77.209000") == "हमारे वार्डों से बाहर"  # New Delhi
