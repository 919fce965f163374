"""The one set of Graph message builders: every field within Meta's limit, no letter cut in half."""

from __future__ import annotations

import unicodedata

import pytest

from whatsapp import limits, messages
from whatsapp.payloads import intent_payload

KANNADA = "ಜನನ ಪ್ರಮಾಣ ಪತ್ರ ಮತ್ತು ಮರಣ ಪ್ರಮಾಣ ಪತ್ರ"
HINDI = "जन्म प्रमाण पत्र की फीस कितनी है और कितने दिन लगेंगे"


def whole_letters(original: str, shortened: str) -> bool:
    """The shortened text is a prefix of whole letters: what follows it is no vowel sign, and it
    does not end on a virama waiting for its consonant."""
    body = shortened.removesuffix("…").rstrip()
    if not original.startswith(body):
        return False
    following = original[len(body) : len(body) + 1]
    return not (following and unicodedata.category(following)[0] == "M") and not body.endswith(("\u094d", "\u0ccd"))


@pytest.mark.parametrize("text", [KANNADA, HINDI])
def test_cut_never_splits_a_letter(text: str) -> None:
    for limit in range(3, len(text)):
        shortened = messages.cut(text, limit)
        assert len(shortened) <= limit
        assert shortened.endswith("…")
        assert whole_letters(text, shortened), (limit, shortened)
    assert messages.cut(text, len(text)) == text


@pytest.mark.parametrize("text", [KANNADA, HINDI])
def test_a_long_caption_is_cut_at_a_letter(text: str) -> None:
    long = (text + " ") * 60
    body = messages.media("image", link="https://example.gov.in/a.jpg", caption=long)["image"]
    assert len(body["caption"]) <= limits.CAPTION
    assert whole_letters(long, body["caption"])


def test_a_document_by_media_id_with_its_filename() -> None:
    message = messages.media("document", media_id="123", caption="Form", filename="f" * 300 + ".pdf")
    assert message["document"]["id"] == "123"
    assert len(message["document"]["filename"]) <= limits.DOCUMENT_FILENAME
    with pytest.raises(ValueError):
        messages.media("image")


def test_reply_buttons_cut_titles_and_refuse_payloads_that_would_come_back_changed() -> None:
    message = messages.reply_buttons(HINDI, [("/a", HINDI)], footer=KANNADA * 5)
    reply = message["interactive"]["action"]["buttons"][0]["reply"]
    assert len(reply["title"]) <= limits.BUTTON_TITLE and whole_letters(HINDI, reply["title"])
    assert len(message["interactive"]["footer"]["text"]) <= limits.FOOTER
    with pytest.raises(messages.UnsendableMessageError):
        messages.reply_buttons("body", [("/" + "x" * limits.BUTTON_ID, "too long")])
    with pytest.raises(messages.UnsendableMessageError):
        messages.reply_buttons("body", [(f"/{n}", str(n)) for n in range(4)])


def test_a_list_row_keeps_a_long_name_whole_in_its_description() -> None:
    row = messages.list_row("/x", KANNADA)
    assert len(row["title"]) <= limits.ROW_TITLE and row["description"] == KANNADA
    message = messages.list_message("Pick one", "ಆಯ್ಕೆಗಳು", [row])
    assert message["interactive"]["action"]["sections"] == [{"rows": [row]}]
    with pytest.raises(messages.UnsendableMessageError):
        messages.list_message("Pick one", "Options", [messages.list_row(f"/{n}", str(n)) for n in range(11)])


def test_template_parameters_go_on_one_line_and_quick_replies_in_order() -> None:
    message = messages.template("date_reminder", "hi", ["line one\nline two"], quick_replies=["/a", "/b"])
    body, first, second = message["template"]["components"]
    assert body["parameters"] == [{"type": "text", "text": "line one line two"}]
    assert (first["index"], first["parameters"][0]["payload"]) == ("0", "/a")
    assert (second["index"], second["parameters"][0]["payload"]) == ("1", "/b")
    assert message["template"]["language"] == {"code": "hi"}


def test_intent_payloads_are_what_rasa_reads_as_intent_and_entities() -> None:
    assert intent_payload("menu") == "/menu"
    assert intent_payload("poll_answer", poll_id=7, poll_option="yes") == '/poll_answer{"poll_id":"7","poll_option":"yes"}'
    assert intent_payload("choose_ward", ward="jayanagar") == '/choose_ward{"ward":"jayanagar"}'


def test_builders_refuse_blank_titles_and_repeated_ids_and_number_repeated_titles() -> None:
    with pytest.raises(messages.UnsendableMessageError):
        messages.reply_buttons("body", [("/a", "  ")])
    with pytest.raises(messages.UnsendableMessageError):
        messages.reply_buttons("body", [("/a", "One"), ("/a", "Two")])
    with pytest.raises(messages.UnsendableMessageError):
        messages.list_message("body", "Options", [messages.list_row("/a", "One"), messages.list_row("/a", "Two")])
    with pytest.raises(messages.UnsendableMessageError):
        messages.list_row("/a", "\n")
    buttons = messages.reply_buttons("body", [("/a", HINDI), ("/b", HINDI + "!")])["interactive"]["action"]["buttons"]
    titles = [button["reply"]["title"] for button in buttons]
    assert len(set(titles)) == 2 and all(len(t) <= limits.BUTTON_TITLE for t in titles), titles


def test_readable_words_of_a_payload() -> None:
    from whatsapp.payloads import readable

    assert readable(intent_payload("inform", service="birth_certificate")) == "birth certificate"
    assert readable("/greet") == "greet"
    assert readable("/x{not json") == "x"
    assert readable("plain") == "plain"
