"""Identifiers, dates and names as citizens type them, in every script."""

import datetime as dt
import re

import pytest

from nagarik.shared.text import (
    best_match,
    case_ending_regex,
    fold,
    indic_word_regex,
    parse_application_number,
    parse_date,
    parse_grievance_id,
    synonym_in_text,
)


@pytest.mark.parametrize(
    "text",
    [
        "BC-2026-001234",
        "bc-2026-001234",
        "status of bc 2026 001234 pls",
        "BC2026001234",
        "मेरा BC-2026-001234 कहाँ है",
        "ಅರ್ಜಿ ಸಂಖ್ಯೆ BC/2026/001234",
    ],
)
def test_application_numbers_in_any_spacing(text):
    assert parse_application_number(text) == "BC-2026-001234"


@pytest.mark.parametrize("text", ["BC-2026-1234", "hello", "GRV-2026-000042", "2026-001234", "XBC-2026-0012345"])
def test_not_application_numbers(text):
    assert parse_application_number(text) is None


def test_grievance_ids():
    assert parse_grievance_id("status of grv 2026 000042") == "GRV-2026-000042"
    assert parse_grievance_id("GRV2026000042") == "GRV-2026-000042"
    assert parse_grievance_id("BC-2026-001234") is None


@pytest.mark.parametrize(
    "text",
    [
        "15-08-1990",
        "15/8/1990",
        "1990-08-15",
        "15 aug 1990",
        "dob is 15th August 1990",
        "१५-०८-१९९०",
        "೧೫-೦೮-೧೯೯೦",
        "15 अगस्त 1990",
        "15 ಆಗಸ್ಟ್ 1990",
    ],
)
def test_dates_as_written(text):
    assert parse_date(text) == dt.date(1990, 8, 15)


@pytest.mark.parametrize("text", ["31-02-1990", "yesterday", "1990"])
def test_impossible_or_missing_dates(text):
    assert parse_date(text) is None


def test_kannada_and_hindi_case_endings_match_without_word_boundaries():
    # `\b` fails after vowel signs; these must still match as whole words with case endings.
    assert synonym_in_text("ಜನನ ಪ್ರಮಾಣ ಪತ್ರ", "ಜನನ ಪ್ರಮಾಣ ಪತ್ರಕ್ಕೆ ಶುಲ್ಕ ಎಷ್ಟು")
    assert synonym_in_text("जन्म प्रमाण पत्र", "जन्म प्रमाण पत्र के लिए क्या चाहिए")
    assert not synonym_in_text("कार", "राशन कार्ड")  # `\bकार\b` would match inside कार्ड


def test_romanised_misspellings_and_longest_synonym():
    assert synonym_in_text("certificate", "birth certificat")
    assert best_match("death certificate fees", [("any", ["certificate"]), ("death", ["death certificate"])]) == "death"


def test_fold_keeps_vowel_signs_and_virama():
    assert fold("ಪ್ರಮಾಣ-ಪತ್ರ!!") == "ಪ್ರಮಾಣ ಪತ್ರ"
    assert fold("Trade  Licence?") == "trade licence"


ZWNJ, ZWJ = "\u200c", "\u200d"


def test_zero_width_joiners_and_nukta_do_not_change_a_word():
    assert fold(f"ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}") == fold("ಸರ್ಟಿಫಿಕೇಟ್") == "ಸರ್ಟಿಫಿಕೇಟ್"
    assert fold(f"ಆರ್{ZWNJ}ಟಿಐ") == "ಆರ್ಟಿಐ"  # not two words
    assert fold("ज़मीन") == fold("ज़मीन") == fold("जमीन")  # precomposed, decomposed, none
    assert synonym_in_text("ಜನನ ಸರ್ಟಿಫಿಕೇಟ್", f"ಜನನ ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}ಗೆ ಎಷ್ಟು ಶುಲ್ಕ")
    assert synonym_in_text("ಆರ್ಟಿಐ", f"ನನ್ನ ಆರ್{ZWJ}ಟಿಐ ಅರ್ಜಿ")


@pytest.mark.parametrize(
    ("stem", "typed", "matches"),
    [
        ("ಸರ್ಟಿಫಿಕೇಟ್", f"ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}", True),  # what Kannada phone keyboards send
        ("ಸರ್ಟಿಫಿಕೇಟ್", f"ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}ಗೆ", True),  # and with a case ending
        ("ಆರ್ಟಿಐ", f"ಆರ್{ZWNJ}ಟಿಐ", True),
        ("ಲೈಸೆನ್ಸ್", f"ಲೈಸೆನ್ಸ್{ZWJ}", True),
        ("जमीन", "ज़मीन", True),  # precomposed nukta
        ("ज़मीन", "जमीन", True),  # the catalog's nukta is optional too
        ("ಪತ್ರ", "ಪತ್ರಕ್ಕೆ", True),
        ("कार", "कार्ड", False),  # a vowel sign or virama after the stem: another word
        ("ಸರ್ಟಿಫಿಕೇಟ್", f"ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}್", False),
    ],
)
def test_the_entity_rulers_regex_takes_the_same_spellings(stem, typed, matches):
    assert bool(re.search(case_ending_regex(stem), typed)) is matches


def test_a_middle_word_of_a_phrase_takes_them_too():
    assert re.search(f"^{indic_word_regex('ಜನನ')}$", f"ಜ{ZWNJ}ನನ")
    assert not re.search(f"^{indic_word_regex('ಜನನ')}$", "ಜನನಿ")


def test_the_actions_resolve_an_entity_typed_with_a_zero_width_non_joiner(catalog):
    from actions.common import resolve

    assert resolve(catalog.services, f"ಬರ್{ZWNJ}ತ್ ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}") == "birth_certificate"  # inside a word too
    assert resolve(catalog.services, f"ಜಾತಿ ಸರ್ಟಿಫಿಕೇಟ್{ZWNJ}ಗೆ") == "caste_certificate"
