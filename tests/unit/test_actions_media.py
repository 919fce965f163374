"""Replies to what WhatsApp citizens send besides text, and to files the channel did not keep."""

import pytest
from helpers import make_tracker, responses
from rasa_sdk.executor import CollectingDispatcher

from actions.common import response_text
from actions.media import ActionMediaMessage
from whatsapp.limits import EVIDENCE_MEDIA

STORED = "0123456789abcdef0123456789abcdef.jpg"  # a name as the channel gives them


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ([("media_type", "voice")], "utter_unsupported_voice"),
        ([("media_type", "audio")], "utter_unsupported_voice"),
        ([("media_type", "sticker")], "utter_unsupported_media"),
        ([("media_type", "contacts")], "utter_unsupported_media"),
        ([("media_type", "rejected_media")], "utter_media_rejected"),
        ([("media_type", "media_too_large")], "utter_media_too_large"),
        ([("media_type", "media_expired")], "utter_media_expired"),
        ([("media_type", "media_not_expected")], "utter_media_not_expected"),
        ([("media_type", "media_quota")], "utter_media_quota"),
        ([("media_type", "image"), ("media_ref", STORED)], "utter_media_not_expected"),  # no complaint asked for it
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


@pytest.fixture
def evidence(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(("reference", "expected"), [(STORED, ["utter_media_received"]), ("../../var/nagarik.db", [])])
def test_during_a_complaint_only_a_file_the_channel_stored_is_thanked_for(database, domain, evidence, reference, expected):
    (evidence / STORED).write_bytes(b"\xff\xd8\xff")
    dispatcher = CollectingDispatcher()
    entities = [("media_type", "image"), ("media_ref", reference)]
    tracker = make_tracker(text="/inform", intent="inform", entities=entities, active_loop="grievance_form")
    ActionMediaMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == expected  # a reference typed in: the form asks for the photo again


@pytest.mark.parametrize("language", ["en", "hi", "kn"])
def test_the_too_large_answer_gives_the_limits_the_channel_applies(domain, language):
    text = response_text(domain, "utter_media_too_large", language)
    for max_bytes, _ in EVIDENCE_MEDIA.values():
        assert f"{max_bytes // (1024 * 1024)} MB" in text
