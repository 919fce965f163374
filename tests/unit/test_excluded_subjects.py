"""Subjects the office does not take up (RTI, court matters, private disputes, policy): the
catalog section, recognising them in what citizens type, and the chat's answers on real trackers."""

import os
import re
import shutil
from pathlib import Path

import pytest
from helpers import make_tracker, responses, run_action, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.excluded_subjects import ActionExplainExcludedSubject
from actions.grievances import ValidateGrievanceForm
from nagarik import settings
from nagarik.citizens import excluded_subjects
from nagarik.shared.catalog import parse_catalog
from nagarik.shared.seed_files import SeedFileError

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "seed" / "catalog.yml"
SUBJECTS = parse_catalog(CATALOG).excluded_subjects


def about(text: str) -> str | None:
    return excluded_subjects.subject_in_text(text, SUBJECTS)


# --- the catalog -------------------------------------------------------------------------------


def test_the_shipped_catalog_names_four_subjects_and_where_to_go_in_every_language():
    assert [s.key for s in SUBJECTS] == ["rti", "sub_judice", "private_dispute", "policy_suggestion"]
    for subject in SUBJECTS:
        assert set(subject.names) == set(subject.where) == {"en", "hi", "kn"}
        assert all(keyword == keyword.lower() for keyword in subject.keywords)
    rti = next(s for s in SUBJECTS if s.key == "rti")
    assert "rtionline" in rti.where["en"] and "rtionline" in rti.where["hi"] and "rtionline" in rti.where["kn"]
    disputes = next(s for s in SUBJECTS if s.key == "private_dispute").where["en"]
    assert "police" in disputes and "Lok Adalat" in disputes and "Legal Services Authority" in disputes


def _catalog_with(tmp_path: Path, old: str, new: str) -> Path:
    text = CATALOG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalog.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_missing_translation_of_where_to_go_names_the_line(tmp_path):
    path = _catalog_with(tmp_path, '      kn: "ನ್ಯಾಯಾಲಯದ ಮುಂದಿರುವ', '      ta: "ನ್ಯಾಯಾಲಯದ ಮುಂದಿರುವ')
    with pytest.raises(SeedFileError, match=r"catalog\.yml:\d+: excluded subject 'sub_judice': where is missing 'kn'"):
        parse_catalog(path)


def test_a_subject_listed_twice_is_refused(tmp_path):
    path = _catalog_with(tmp_path, "  - key: policy_suggestion", "  - key: rti")
    with pytest.raises(SeedFileError, match="excluded subject 'rti' appears twice"):
        parse_catalog(path)


def test_a_catalog_without_the_section_excludes_nothing(tmp_path):
    text = CATALOG.read_text(encoding="utf-8")
    path = tmp_path / "catalog.yml"
    path.write_text(text[: text.index("\nexcluded_subjects:")], encoding="utf-8")
    assert parse_catalog(path).excluded_subjects == ()


def test_an_edit_to_the_file_is_read_without_a_restart(tmp_path):
    path = tmp_path / "catalog.yml"
    shutil.copy(CATALOG, path)
    assert excluded_subjects.office_subjects(path)[0].where["en"].startswith("Apply to the Public Information Officer")
    text = path.read_text(encoding="utf-8").replace("Apply to the Public Information Officer", "Write to the PIO", 1)
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))  # a later edit, whatever the clock's resolution
    assert excluded_subjects.office_subjects(path)[0].where["en"].startswith("Write to the PIO")


# --- which subject a text is about --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("How do I file an RTI?", "rti"),
        ("information under the Right to Information act please", "rti"),
        ("मुझे सूचना का अधिकार के तहत जानकारी चाहिए", "rti"),
        ("ಮಾಹಿತಿ ಹಕ್ಕಿನಡಿ ಅರ್ಜಿ ಹಾಕಬೇಕು", "rti"),
        ("ನನ್ನ ಆರ್‌ಟಿಐ ಅರ್ಜಿ", "rti"),  # with the zero-width non-joiner Kannada keyboards type
        ("my case is pending in the High Court", "sub_judice"),
        ("ज़मीन का मामला अदालत में है", "sub_judice"),
        ("ನನ್ನ ಪ್ರಕರಣ ನ್ಯಾಯಾಲಯದಲ್ಲಿ ಇದೆ", "sub_judice"),  # a case ending on the keyword
        ("mera case court mein hai", "sub_judice"),
        ("boundary dispute with my neighbour", "private_dispute"),
        ("भाई के साथ ज़मीन का विवाद", "private_dispute"),
        ("ಅಣ್ಣನ ಜೊತೆ ಆಸ್ತಿ ವಿವಾದ", "private_dispute"),
        ("padosi se jhagda ho gaya", "private_dispute"),
        ("the government should change the policy on pensions", "policy_suggestion"),
        ("सरकार को नया कानून बनाना चाहिए", "policy_suggestion"),
        ("ಸರ್ಕಾರದ ನೀತಿ ಸರಿಯಿಲ್ಲ", "policy_suggestion"),
    ],
)
def test_the_subject_of_a_message_in_any_language(text, key):
    assert about(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "garbage not collected for 4 days",
        "the food court near the bus stand is dirty",  # "court" alone is not a court case
        "I dispute the amount on my water bill",  # a grievance against the office, not a private dispute
        "ನೀರು ಬರುತ್ತಿಲ್ಲ",
        "पानी नहीं आ रहा",
        "",
    ],
)
def test_ordinary_messages_are_about_no_excluded_subject(text):
    assert about(text) is None


def test_a_civic_problem_with_a_court_as_its_landmark_is_still_a_grievance(catalog):
    assert about("big pothole in front of the high court") == "sub_judice"
    assert excluded_subjects.subject_of_grievance("big pothole in front of the high court", SUBJECTS, catalog) is None
    assert excluded_subjects.subject_of_grievance("my case is pending in the high court", SUBJECTS, catalog) == "sub_judice"


def test_a_row_key_or_a_keyword_names_a_subject():
    assert excluded_subjects.subject_named("policy_suggestion", SUBJECTS) == "policy_suggestion"
    assert excluded_subjects.subject_named("मुकदमा", SUBJECTS) == "sub_judice"
    assert excluded_subjects.subject_named("pothole", SUBJECTS) is None


def test_the_explanation_is_in_the_citizens_language_and_english_otherwise():
    court = next(s for s in SUBJECTS if s.key == "sub_judice")
    assert excluded_subjects.explanation(court, "kn") == (court.names["kn"], court.where["kn"])
    assert excluded_subjects.explanation(court, "ta") == (court.names["en"], court.where["en"])


# --- the chat -----------------------------------------------------------------------------------


def text_of(domain, name: str, language: str) -> str:
    for variation in domain["responses"][name]:
        conditions = variation.get("condition") or []
        if any(c["value"] == language for c in conditions) or (not conditions and language == "en"):
            return variation["text"]
    raise AssertionError(name)


@pytest.fixture
def subjects_from_the_seed(monkeypatch):
    monkeypatch.setattr(settings, "SEED_DIR", ROOT / "seed")


@pytest.mark.parametrize(
    ("text", "language", "key"),
    [
        ("can i file an rti here", "en", "rti"),
        ("मेरा मुकदमा अदालत में है", "hi", "sub_judice"),
        ("ಪಕ್ಕದ ಮನೆಯವರ ಜೊತೆ ಜಮೀನು ವಿವಾದ ಇದೆ", "kn", "private_dispute"),
    ],
)
def test_a_question_is_answered_with_where_to_go_in_its_language(domain, subjects_from_the_seed, text, language, key):
    dispatcher, events = run_action(
        ActionExplainExcludedSubject(), domain, text=text, intent="ask_excluded_subject", slots={"language": language}
    )
    subject = next(s for s in SUBJECTS if s.key == key)
    assert responses(dispatcher) == ["utter_excluded_subject"]
    message = dispatcher.messages[0]
    assert message["subject"] == subject.names[language] and message["where"] == subject.where[language]
    assert set(re.findall(r"\{([a-z_]+)\}", text_of(domain, "utter_excluded_subject", language))) == {"subject", "where"}
    assert events == []


def test_a_row_tapped_answers_for_its_subject(domain, subjects_from_the_seed):
    dispatcher, _ = run_action(
        ActionExplainExcludedSubject(),
        domain,
        text='/ask_excluded_subject{"excluded_subject":"policy_suggestion"}',
        intent="ask_excluded_subject",
        entities=[("excluded_subject", "policy_suggestion")],
    )
    assert dispatcher.messages[0]["where"].endswith("or at mygov.in.")


def test_an_unclear_question_lists_the_subjects_to_pick(domain, subjects_from_the_seed):
    dispatcher, _ = run_action(
        ActionExplainExcludedSubject(),
        domain,
        text="what do you not handle",
        intent="ask_excluded_subject",
        slots={"language": "hi"},
    )
    assert responses(dispatcher) == ["utter_excluded_subjects_which"]
    rows = dispatcher.messages[0]["buttons"]
    assert [r["payload"] for r in rows] == [f'/ask_excluded_subject{{"excluded_subject":"{s.key}"}}' for s in SUBJECTS]
    assert [r["title"] for r in rows] == [s.names["hi"] for s in SUBJECTS]  # each fits a row title (24)


async def describe(
    domain, text: str, language: str = "en", category: str = "other", intent="ask_excluded_subject", entities=None
):
    """The citizen's answer to "describe the problem" while the grievance form is active."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        active_loop="grievance_form",
        text=text,
        intent=intent,
        entities=entities,
        slots={"language": language, "grievance_category": category, "requested_slot": "grievance_description"},
    )
    events = await ValidateGrievanceForm().run(dispatcher, tracker, domain)
    return dispatcher, slot_events(events)


async def test_a_description_about_a_court_case_is_refused_with_where_to_go(database, domain, subjects_from_the_seed):
    dispatcher, slots = await describe(domain, "ನನ್ನ ಮನೆಯ ಪ್ರಕರಣ ನ್ಯಾಯಾಲಯದಲ್ಲಿ ಬಾಕಿ ಇದೆ, ಬೇಗ ತೀರ್ಮಾನ ಮಾಡಿ", language="kn")
    assert slots == {"grievance_description": None, "excluded_subject": "sub_judice"}  # asked again, nothing filed
    assert responses(dispatcher) == ["utter_excluded_subject", "utter_excluded_subject_describe_again"]
    assert dispatcher.messages[0]["where"] == next(s for s in SUBJECTS if s.key == "sub_judice").where["kn"]


async def test_a_keyword_in_a_complaint_of_any_intent_is_refused(database, domain, subjects_from_the_seed):
    dispatcher, slots = await describe(domain, "ज़मीन का विवाद है भाई से", language="hi", intent="inform")
    assert slots == {"grievance_description": None, "excluded_subject": "private_dispute"}
    assert dispatcher.messages[0]["subject"] == next(s for s in SUBJECTS if s.key == "private_dispute").names["hi"]


async def test_an_ordinary_description_goes_on_to_the_location(database, domain, subjects_from_the_seed):
    dispatcher, slots = await describe(
        domain, "big pothole in front of the high court, two bikes fell", category="roads", intent="file_grievance"
    )
    assert slots["grievance_description"].startswith("big pothole")
    assert "excluded_subject" not in slots and "requested_slot" not in slots  # the form asks the next question
    assert "utter_excluded_subject" not in responses(dispatcher)
