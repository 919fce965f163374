"""The training data and domain as trainers edit them: coverage per language, WhatsApp limits."""

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Action

import actions.application_status
import actions.documents
import actions.excluded_subjects
import actions.grievance_feedback
import actions.grievances
import actions.handoff
import actions.language
import actions.me_too
import actions.media
import actions.polls
import actions.privacy
import actions.reminders
import actions.services_info
import actions.session
import actions.subscriptions

ROOT = Path(__file__).resolve().parents[2]
TAGS = ("en", "hi", "kn", "hinglish")
MIN_EXAMPLES = 15


def nlu_examples() -> dict[tuple[str, str], list[str]]:
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            tag = (block.get("metadata") or {}).get("lang")
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            examples[(block["intent"], tag)].extend(lines)
    return examples


def test_every_intent_has_enough_examples_in_every_language(domain):
    examples = nlu_examples()
    for intent in domain["intents"]:
        for tag in TAGS:
            assert len(examples[(intent, tag)]) >= MIN_EXAMPLES, (intent, tag)
    assert {tag for _, tag in examples} == set(TAGS), "every block names its language"


def test_no_example_is_taught_as_two_intents():
    owners: dict[str, set[str]] = defaultdict(set)
    for (intent, _), texts in nlu_examples().items():
        for text in texts:
            owners[" ".join(text.lower().split())].add(intent)
    clashes = {text: intents for text, intents in owners.items() if len(intents) > 1}
    assert not clashes


def test_scripts_match_the_language_tags():
    def script(text: str) -> set[str]:
        found = set()
        for ch in text:
            if "\u0c80" <= ch <= "\u0cff":
                found.add("kn")
            elif "\u0900" <= ch <= "\u097f":
                found.add("hi")
        return found

    for (intent, tag), texts in nlu_examples().items():
        for text in texts:
            if tag in ("kn", "hi"):
                assert tag in script(text), (intent, tag, text)
            else:
                assert not script(text), (intent, tag, text)


def variations(domain):
    for name, items in domain["responses"].items():
        by_language = {}
        for item in items:
            conditions = item.get("condition") or []
            language = next((c["value"] for c in conditions if c["name"] == "language"), "en")
            by_language[language] = item
        yield name, by_language


PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def test_every_reply_exists_in_three_languages_with_the_same_placeholders(domain):
    for name, by_language in variations(domain):
        assert set(by_language) == {"en", "hi", "kn"}, name
        placeholders = {lang: set(PLACEHOLDER.findall(item["text"])) for lang, item in by_language.items()}
        assert placeholders["hi"] == placeholders["en"] == placeholders["kn"], name
        payloads = {lang: [b["payload"] for b in item.get("buttons", [])] for lang, item in by_language.items()}
        assert payloads["hi"] == payloads["en"] == payloads["kn"], name


def test_replies_fit_whatsapp(domain):
    for name, by_language in variations(domain):
        for language, item in by_language.items():
            assert len(item["text"]) <= 1024, (name, language)
            buttons = item.get("buttons", [])
            assert len(buttons) <= 10, name
            limit = 20 if len(buttons) <= 3 else 24
            for button in buttons:
                assert len(button["title"]) <= limit, (name, language, button["title"])


def test_payloads_with_entities_escape_their_braces(domain):
    # Rasa interpolates button payloads; JSON braces must be doubled to survive it.
    for name, by_language in variations(domain):
        for button in by_language["en"].get("buttons", []):
            payload = button["payload"]
            assert payload.startswith("/"), (name, payload)
            if "{" in payload:
                assert re.fullmatch(r'/\w+\{\{"\w+":"\w+"\}\}', payload), (name, payload)


def test_every_domain_action_is_implemented(domain):
    modules = (
        actions.application_status,
        actions.documents,
        actions.excluded_subjects,
        actions.grievance_feedback,
        actions.grievances,
        actions.handoff,
        actions.language,
        actions.me_too,
        actions.media,
        actions.polls,
        actions.privacy,
        actions.reminders,
        actions.services_info,
        actions.session,
        actions.subscriptions,
    )
    implemented = Counter(
        obj().name()
        for module in modules
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Action) and obj.__module__ == module.__name__
    )
    assert set(domain["actions"]) == set(implemented)
    assert all(count == 1 for count in implemented.values())


@pytest.mark.parametrize(
    "form", ["application_status_form", "grievance_form", "poll_comment_form", "grievance_appeal_form", "grievance_info_form"]
)
def test_form_slots_are_extracted_by_its_validation_action(domain, form):
    for slot in domain["forms"][form]["required_slots"]:
        assert domain["slots"][slot]["mappings"] == [{"type": "custom"}], slot
