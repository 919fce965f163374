"""Identifiers, dates and names as citizens type them, in every script."""

import datetime as dt

import pytest

from nagarik.shared.text import (
    best_match,
    fold,
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
