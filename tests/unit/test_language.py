"""Language identification: script first, CLD3 and Hindi function words for Latin script."""

import pytest

from nagarik.citizens.language import detect, language_named, next_language


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        ("ಜನನ ಪ್ರಮಾಣ ಪತ್ರಕ್ಕೆ ಶುಲ್ಕ ಎಷ್ಟು", "kn", "kn"),
        ("trade licence ಗೆ ಶುಲ್ಕ ಎಷ್ಟು", "kn", "kn"),
        ("जन्म प्रमाण पत्र के लिए क्या चाहिए", "hi", "hi"),
        ("mera birth certificate kab tak milega", "hi", "hinglish"),
        ("pani nahi aa raha hai 3 din se", "hi", "hinglish"),
        ("rehne do cancel karo", "hi", "hinglish"),  # "do" is Hindi here, not English
        ("what documents are needed for trade licence", "en", "en"),
        ("garbage not collected near 5th cross", "en", "en"),
    ],
)
def test_detects(text, language, tag):
    result = detect(text)
    assert (result.language, result.tag) == (language, tag)


@pytest.mark.parametrize("text", ["ok", "1", "BC-2026-001234", "/affirm", "", "👍"])
def test_says_nothing_about_short_or_payload_messages(text):
    assert detect(text).language is None


def test_inferred_language_follows_the_citizen_but_short_replies_keep_it():
    assert next_language("en", False, detect("ಜನನ ಪ್ರಮಾಣ ಪತ್ರ")) == "kn"
    assert next_language("kn", False, detect("ok")) == "kn"
    assert next_language("en", False, detect("mujhe officer se baat karni hai")) == "hi"


def test_chosen_language_stays_whatever_the_script():
    assert next_language("kn", True, detect("what documents are needed for trade licence")) == "kn"
    assert next_language("hi", True, detect("ಜನನ ಪ್ರಮಾಣ ಪತ್ರ ಬೇಕು")) == "hi"


def test_language_named():
    synonyms = {"en": ("english",), "hi": ("hindi", "हिंदी"), "kn": ("kannada", "ಕನ್ನಡ")}
    assert language_named("hindi please", synonyms) == "hi"
    assert language_named("ಕನ್ನಡದಲ್ಲಿ ಮಾತಾಡಿ", synonyms) == "kn"
    assert language_named("kn", synonyms) == "kn"
    assert language_named("tamil", synonyms) is None
    assert language_named("अंग्रेजी में बात करें", {"en": ("अंग्रेज़ी",)}) == "en"  # with or without the nukta
