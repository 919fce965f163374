"""Subjects the office does not take up (RTI, court matters, private disputes, policy): the citizen
is told so politely, and where to go, in their language, whether they ask or try to file one.

The subjects and "where to go" come from seed/catalog.yml (nagarik.citizens.excluded_subjects), so
the office edits them without retraining; the wording around them is in
domain/responses/excluded_subjects.yml.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entities, latest_text, load_catalog, reply_language, row
from nagarik.citizens import excluded_subjects
from nagarik.shared.catalog import ExcludedSubject
from whatsapp.payloads import intent_payload

SLOT = "excluded_subject"  # the subject a filing was last stopped for (the form asks again)


def subject_of(tracker: Tracker, text: str | None = None) -> ExcludedSubject | None:
    """The excluded subject the latest message is about: its entity (a typed keyword or a list
    row's key), else a keyword anywhere in the text."""
    subjects = excluded_subjects.office_subjects()
    by_key = {subject.key: subject for subject in subjects}
    for value in latest_entities(tracker, SLOT):
        key = excluded_subjects.subject_named(value, subjects)
        if key:
            return by_key[key]
    key = excluded_subjects.subject_in_text(latest_text(tracker) if text is None else text, subjects)
    return by_key.get(key) if key else None


def explain(dispatcher: CollectingDispatcher, subject: ExcludedSubject, language: str) -> None:
    name, where = excluded_subjects.explanation(subject, language)
    dispatcher.utter_message(response="utter_excluded_subject", subject=name, where=where)


def stop_filing(dispatcher: CollectingDispatcher, tracker: Tracker, description: str) -> dict[str, Any] | None:
    """For the grievance form's description: a subject the office does not take up is refused with
    the explanation, and the form asks for a civic problem instead (or *cancel*): a citizen
    with a court case often has a civic problem too. None when the description is an ordinary
    grievance.

    The form is not ended here: its end makes the rule "register the complaint when the form is
    complete" file whatever it holds."""
    subjects = excluded_subjects.office_subjects()
    key = excluded_subjects.subject_of_grievance(description, subjects, load_catalog())
    if key is None:
        return None
    explain(dispatcher, next(s for s in subjects if s.key == key), reply_language(tracker))
    dispatcher.utter_message(response="utter_excluded_subject_describe_again")
    return {"grievance_description": None, SLOT: key}


class ActionExplainExcludedSubject(Action):
    """A question about an excluded subject, outside a filing."""

    def name(self) -> str:
        return "action_explain_excluded_subject"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        subject = subject_of(tracker)
        if subject is not None:
            explain(dispatcher, subject, language)
            return []
        # Which subject is not clear ("can you take up my case?"): the list, one row each.
        rows = [
            row(excluded_subjects.explanation(s, language)[0], intent_payload("ask_excluded_subject", excluded_subject=s.key))
            for s in excluded_subjects.office_subjects()
        ]
        dispatcher.utter_message(response="utter_excluded_subjects_which", buttons=rows)
        return []
