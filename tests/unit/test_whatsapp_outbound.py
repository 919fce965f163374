"""Rasa responses rendered as WhatsApp messages within Meta's limits; signatures; error classes."""

import json
import unicodedata

import pytest

from whatsapp import limits, signature
from whatsapp.errors import Action, backoff_seconds, classify
from whatsapp.messages import UnsendableMessageError
from whatsapp.outbound import render, split_text

KANNADA_TITLE = "ಚಾಲನಾ ಪರವಾನಗಿ ನವೀಕರಣ ಮತ್ತು ಇತರ ಸೇವೆಗಳು"  # longer than any title limit


def buttons(count: int, title: str = "Option") -> list[dict[str, str]]:
    return [{"title": f"{title} {n}", "payload": f"/choice{n}"} for n in range(count)]


def test_long_text_is_split_at_spaces_within_the_limit():
    text = ("ಜನನ ಪ್ರಮಾಣ ಪತ್ರಕ್ಕೆ ಬೇಕಾದ ದಾಖಲೆಗಳು " * 400).strip()
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p) <= limits.TEXT_BODY for p in pieces)
    assert " ".join(pieces) == text


def test_unbroken_text_is_never_cut_before_a_vowel_sign():
    text = "ಕಿ" * 3000  # no spaces at all
    for piece in split_text(text):
        assert len(piece) <= limits.TEXT_BODY
        assert unicodedata.category(piece[0])[0] != "M"
    assert "".join(split_text(text)) == text


def test_up_to_three_buttons_are_reply_buttons_with_safe_titles():
    [message] = render({"text": "Choose", "buttons": [{"title": KANNADA_TITLE, "payload": "/affirm"}, *buttons(2)]})
    action = message["interactive"]["action"]
    assert message["interactive"]["type"] == "button"
    first = action["buttons"][0]["reply"]
    assert first["id"] == "/affirm"
    assert len(first["title"]) <= limits.BUTTON_TITLE
    assert KANNADA_TITLE.startswith(first["title"].rstrip("…"))
    assert unicodedata.category(KANNADA_TITLE[len(first["title"].rstrip("…"))])[0] != "M"


def test_four_to_ten_choices_are_a_list_labelled_in_the_message_language():
    [message] = render({"text": "ನಿಮಗೆ ಯಾವ ಸೇವೆ ಬೇಕು?", "buttons": [{"title": KANNADA_TITLE, "payload": "/x"}, *buttons(6)]})
    interactive = message["interactive"]
    assert interactive["type"] == "list" and interactive["action"]["button"] == "ಆಯ್ಕೆಗಳು"
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 7 and all(len(r["title"]) <= limits.ROW_TITLE for r in rows)
    assert rows[0]["description"].startswith(rows[0]["title"].rstrip("…"))  # the full name where it fits


def test_more_than_ten_choices_become_several_lists():
    messages = render({"text": "Pick one", "buttons": buttons(23)})
    rows = [m["interactive"]["action"]["sections"][0]["rows"] for m in messages]
    assert [len(r) for r in rows] == [10, 10, 3]
    assert messages[1]["interactive"]["body"]["text"] == "(2/3)"


def test_a_long_body_with_buttons_is_sent_as_text_first():
    messages = render({"text": "word " * 400, "buttons": buttons(2)})
    assert messages[0]["type"] == "text" and messages[-1]["type"] == "interactive"
    assert len(messages[-1]["interactive"]["body"]["text"]) <= limits.INTERACTIVE_BODY


def test_plain_text_image_and_links():
    assert render({"text": "see https://example.gov.in"})[0]["text"]["preview_url"] is True
    [image] = render({"text": "Ward map", "image": "https://example.gov.in/map.png"})
    assert image["image"] == {"link": "https://example.gov.in/map.png", "caption": "Ward map"}


def test_a_payload_too_long_for_whatsapp_is_refused():
    with pytest.raises(UnsendableMessageError):
        render({"text": "x", "buttons": [{"title": "t", "payload": "/" + "x" * 300}]})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, signature.SignatureCheck.MISSING),
        ("", signature.SignatureCheck.MISSING),
        ("sha1=abc", signature.SignatureCheck.MALFORMED),
        ("sha256=xyz", signature.SignatureCheck.MALFORMED),
        ("sha256=" + "0" * 64, signature.SignatureCheck.MISMATCH),
    ],
)
def test_signature_problems(header, expected):
    assert signature.check(header, b"{}", "secret") is expected


def test_signature_is_over_the_exact_bytes():
    body = b'{"text":"\\u0cb9\\u0cc6\\u0cb8\\u0cb0\\u0cc1"}'  # as Meta sends it: ASCII-escaped
    header = signature.sign(body, "secret")
    assert signature.check(header, body, "secret") is signature.SignatureCheck.OK
    assert signature.check(header.upper().replace("SHA256=", "sha256="), body, "secret") is signature.SignatureCheck.OK
    reserialised = '{"text":"ಹೆಸರು"}'.encode()
    assert signature.check(header, reserialised, "secret") is signature.SignatureCheck.MISMATCH


@pytest.mark.parametrize(
    ("http_status", "code", "action"),
    [
        (400, 130429, Action.RETRY),
        (400, 131056, Action.RETRY),
        (400, 131048, Action.RETRY),
        (500, 131000, Action.RETRY),
        (503, None, Action.RETRY),
        (None, None, Action.RETRY),  # timeout
        (400, 131047, Action.DROP),
        (400, 131026, Action.DROP),
        (400, 132000, Action.DROP),
        (400, 132001, Action.DROP),
        (401, 190, Action.STOP),
        (400, 368, Action.STOP),
    ],
)
def test_error_classes(http_status, code, action):
    assert classify(http_status, code) is action


def test_pair_rate_backoff_grows_by_four():
    assert [round(backoff_seconds(n, 131056, 0.5)) for n in (1, 2, 3)] == [1, 4, 16]
    assert backoff_seconds(10, 130429, 0.99) <= 60 * 1.25


def reply_titles(message: dict) -> list[str]:
    return [button["reply"]["title"] for button in message["interactive"]["action"]["buttons"]]


def test_a_button_without_a_title_shows_its_payloads_words():
    # Before: KeyError 'title', which the channel does not catch: the turn failed five times.
    untitled = [{"payload": '/inform{"service":"trade_licence"}'}, {"payload": "/stop"}]
    [message] = render({"text": "Which service?", "buttons": untitled})
    assert reply_titles(message) == ["trade licence", "stop"]


def test_blank_titles_fall_back_and_a_button_with_nothing_to_show_is_left_out():
    [message] = render({"text": "Choose", "buttons": [{"title": " \n ", "payload": "/affirm"}, {"title": "", "payload": ""}, {}]})
    assert reply_titles(message) == ["affirm"]
    assert render({"text": "Only text is left", "buttons": [{"title": "  "}]}) == [
        {"type": "text", "text": {"body": "Only text is left", "preview_url": False}}
    ]


def test_a_repeated_payload_is_one_button_and_repeated_titles_are_numbered():
    [message] = render({"text": "Choose", "buttons": [{"title": "Yes", "payload": "/a"}, {"title": "Yes", "payload": "/a"}]})
    assert reply_titles(message) == ["Yes"]
    [message] = render({"text": "Choose", "buttons": [{"title": "Yes", "payload": "/a"}, {"title": "Yes", "payload": "/b"}]})
    assert reply_titles(message) == ["Yes", "Yes (2)"]
    same_start = [{"title": KANNADA_TITLE + str(n), "payload": f"/{n}"} for n in range(5)]  # equal once cut
    [listed] = render({"text": "Choose", "buttons": [*same_start, *same_start]})
    rows = listed["interactive"]["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == [f"/{n}" for n in range(5)]
    assert len({row["title"] for row in rows}) == 5 and all(len(row["title"]) <= limits.ROW_TITLE for row in rows)


def test_buttons_of_the_wrong_shape_are_refused_or_skipped_not_crashed_on():
    with pytest.raises(UnsendableMessageError):
        render({"text": "x", "buttons": "not a list"})
    [message] = render({"text": "x", "buttons": ["not a button", {"title": 7, "payload": 7}]})
    assert message["interactive"]["action"]["buttons"] == [{"type": "reply", "reply": {"id": "7", "title": "7"}}]
    with pytest.raises(UnsendableMessageError):
        render({"image": {"not": "a link"}})
    with pytest.raises(UnsendableMessageError):
        render({"custom": {"whatsapp": {"type": "text"}}})  # no text part: Meta would refuse it at every retry


def test_a_response_with_nothing_to_send_is_refused():
    with pytest.raises(UnsendableMessageError):
        render({"text": "  ", "buttons": []})


def test_text_with_a_lone_surrogate_can_still_be_sent():
    # Before: the HTTP client's UTF-8 encoding failed on it at every retry.
    for response in ({"text": "ok \ud800"}, {"text": "ok", "buttons": [{"title": "a\udc00", "payload": "/a"}]}):
        for body in render(response):
            json.dumps(body, ensure_ascii=False).encode("utf-8")


def test_text_of_only_combining_marks_is_split_and_ends():
    # Before: no letter to step back to, so split_text looped for ever.
    text = "\u0301" * 10
    assert split_text(text, 4) == ["\u0301" * 4, "\u0301" * 4, "\u0301" * 2]
