"""Grievances in the chat: the filing form (extraction, validation and corrections in one place),
submission, cancellation and "my complaints".

Filing, routing, deadlines and duplicate checks live in nagarik.citizens.grievances.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    NEW_REQUESTS,
    SIDE_QUESTIONS,
    date_text,
    entity_key,
    in_language,
    is_digression,
    is_free_text_answer,
    latest_entities,
    latest_intent,
    latest_text,
    load_catalog,
    reply_language,
    resolve,
    response_text,
    row,
    sender,
)
from actions.excluded_subjects import stop_filing
from actions.media import pin
from nagarik import db
from nagarik.citizens import grievances
from nagarik.shared.catalog import Catalog
from nagarik.shared.text import fold, parse_grievance_id
from whatsapp.messages import cut
from whatsapp.payloads import intent_payload

FIELD_SLOTS = {
    "category": "grievance_category",
    "description": "grievance_description",
    "location": "grievance_location",
    "evidence": "grievance_evidence",
}
# me_too_grievance_id: the open grievance offered to join instead (actions.me_too)
GRIEVANCE_SLOTS = (
    *FIELD_SLOTS.values(), "grievance_latitude", "grievance_longitude", "grievance_confirmed", "me_too_grievance_id"
)  # fmt: skip
NO_EVIDENCE = "none"
EVIDENCE_FILE = grievances.EVIDENCE_FILE  # evidence_ref prefix for a file the channel stored (sent on WhatsApp)
MIN_DESCRIPTION_CHARS = 8
MIN_LOCATION_CHARS = 3

NOT_AN_ANSWER = SIDE_QUESTIONS | (NEW_REQUESTS - {"file_grievance"})

# Words that say which field a correction is about ("no, the location is 5th cross").
_FIELD_CUES = {
    "location": {
        "location",
        "place",
        "address",
        "area",
        "landmark",
        "jagah",
        "jagha",
        "jaga",
        "pata",
        "sthan",
        "जगह",
        "स्थान",
        "पता",
        "इलाका",
        "ಸ್ಥಳ",
        "ವಿಳಾಸ",
        "ಜಾಗ",
        "ಏರಿಯಾ",
    },
    "description": {
        "description",
        "problem",
        "details",
        "detail",
        "issue",
        "samasya",
        "vivaran",
        "dikkat",
        "विवरण",
        "समस्या",
        "दिक्कत",
        "ವಿವರ",
        "ವಿವರಣೆ",
        "ಸಮಸ್ಯೆ",
    },
    "evidence": {"photo", "pic", "picture", "image", "foto", "फोटो", "तस्वीर", "ಫೋಟೋ", "ಚಿತ್ರ"},
}
# Words around a corrected value that are not part of it.
_FILLERS = {
    "no",
    "not",
    "sorry",
    "the",
    "is",
    "it",
    "its",
    "it's",
    "should",
    "be",
    "to",
    "wrong",
    "change",
    "correct",
    "actually",
    "i",
    "meant",
    "mean",
    "please",
    "pls",
    "plz",
    "my",
    "a",
    "an",
    "of",
    "nahi",
    "nahin",
    "galat",
    "hai",
    "he",
    "likho",
    "kar",
    "karo",
    "do",
    "badlo",
    "sahi",
    "नहीं",
    "गलत",
    "है",
    "लिखो",
    "करो",
    "बदलो",
    "सही",
    "ಇಲ್ಲ",
    "ತಪ್ಪು",
    "ತಪ್ಪಾಗಿದೆ",
    "ಬದಲಾಯಿಸಿ",
    "ಸರಿ",
    "ಅಲ್ಲ",
    "ಬರೆಯಿರಿ",
}


def correction(tracker: Tracker, catalog: Catalog) -> tuple[str | None, str | None]:
    """Which field a correction is about, and the new value if the message carries one."""
    for field in latest_entities(tracker, "grievance_field"):
        if field in FIELD_SLOTS:
            return field, None
    key = entity_key(tracker, "grievance_category", catalog.grievance_categories)
    if key:
        return "category", key
    words = fold(latest_text(tracker)).split()
    for field, cues in _FIELD_CUES.items():
        positions = [i for i, word in enumerate(words) if word in cues]
        if positions:
            rest = words[positions[0] + 1 :]
            while rest and (rest[0] in _FILLERS or rest[0] in cues):
                rest = rest[1:]  # "is", "should be", "ತಪ್ಪಾಗಿದೆ": not part of the new value
            while rest and rest[-1] in _FILLERS:
                rest = rest[:-1]  # "... likho", "... please"
            value = " ".join(rest)
            if field == "evidence" or len(value) < MIN_LOCATION_CHARS:
                return field, None
            return field, value
    key = grievances.category_in_text(catalog, latest_text(tracker))
    if key:
        return "category", key
    return None, None


def asks_which_field(tracker: Tracker, catalog: Catalog) -> bool:
    """At the summary, a "no" or "change something" that names no field: show the fields to pick."""
    intent = latest_intent(tracker)
    return (
        tracker.get_slot("requested_slot") == "grievance_confirmed"
        and intent in ("correct_grievance", "deny")
        and correction(tracker, catalog)[0] is None
    )


def first_words(tracker: Tracker) -> str | None:
    """The message that started the complaint when it already described the problem (it named
    the category: "streetlight near the temple off for a week"), else None."""
    events = tracker.events
    opened = [i for i, e in enumerate(events) if e.get("event") == "active_loop" and e.get("name") == "grievance_form"]
    started = opened[-1] if opened else None
    if started is None:
        return None
    # The answer is the latest user event; rasa_sdk appends the slots it extracts after it.
    answering = max(i for i, e in enumerate(events) if e.get("event") == "user")
    if any(
        e.get("event") == "slot" and e.get("name") == "grievance_description" and e.get("value")
        for e in events[started:answering]
    ):
        return None  # a description was given already: this answer corrects it
    opening = next((e for e in reversed(events[:started]) if e.get("event") == "user"), None)
    text = (opening or {}).get("text") or ""
    if text.startswith("/") or len(text.strip()) < MIN_DESCRIPTION_CHARS:
        return None  # a button, or too short to say anything
    named = [e for e in (opening.get("parse_data") or {}).get("entities") or [] if e.get("entity") == "grievance_category"]
    if not named and grievances.category_in_text(load_catalog(), text) is None:
        return None  # "I want to complain": the problem comes in the answer
    return " ".join(text.split())


def with_first_words(tracker: Tracker, answer: str) -> str:
    """The description as the citizen gave it across both messages: what they said when they
    started (if it described the problem) and their answer, once each."""
    first = first_words(tracker)
    if not first or fold(first) in fold(answer):
        return answer
    if fold(answer) in fold(first):
        return first
    return f"{first}. {answer}"


class ValidateGrievanceForm(FormValidationAction):
    def name(self) -> str:
        return "validate_grievance_form"

    async def extract_grievance_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        intent = latest_intent(tracker)
        catalog = load_catalog()
        if intent == "correct_grievance" or (intent == "deny" and requested == "grievance_confirmed"):
            return self._apply_correction(dispatcher, tracker, catalog)
        if requested not in (None, "grievance_category"):
            return {}
        if requested and is_digression(tracker, NOT_AN_ANSWER):
            return {}
        key = entity_key(tracker, "grievance_category", catalog.grievance_categories)
        if key:
            return {"grievance_category": key}
        key = grievances.category_in_text(catalog, latest_text(tracker))
        if key:
            return {"grievance_category": key}
        if requested == "grievance_category":
            return {"grievance_category": latest_text(tracker)}  # rejected by validation, asked again
        return {}

    def _apply_correction(self, dispatcher: CollectingDispatcher, tracker: Tracker, catalog: Catalog) -> dict[str, Any]:
        if asks_which_field(tracker, catalog):
            dispatcher.utter_message(response="utter_ask_grievance_field")
            return {"grievance_confirmed": None}
        field, value = correction(tracker, catalog)
        if field is None:
            return {}
        if value is None:
            return {FIELD_SLOTS[field]: None, "grievance_confirmed": None}
        dispatcher.utter_message(response="utter_grievance_corrected")
        return {FIELD_SLOTS[field]: value, "grievance_confirmed": None}

    def validate_grievance_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"grievance_category": None}
        key = resolve(load_catalog().grievance_categories, str(value))
        return {"grievance_category": key}  # None: the form shows the categories again

    async def extract_grievance_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text(tracker, "grievance_description")

    def validate_grievance_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"grievance_description": None}
        text = str(value).strip()
        if len(text) < MIN_DESCRIPTION_CHARS:
            dispatcher.utter_message(response="utter_grievance_description_too_short")
            return {"grievance_description": None}
        stopped = stop_filing(dispatcher, tracker, text)  # RTI, court, private dispute, policy: not filed
        if stopped:
            return stopped
        return {"grievance_description": with_first_words(tracker, text)[:2000]}

    async def extract_grievance_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        location = pin(tracker)
        if location:  # a location pin answers "where" whenever it is sent
            name = next(iter(latest_entities(tracker, "location_name")), None)
            return {"grievance_location": name or f"📍 {location[0]:.5f}, {location[1]:.5f}"}
        return self._free_text(tracker, "grievance_location")

    def validate_grievance_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"grievance_location": None}
        text = str(value).strip()
        if len(text) < MIN_LOCATION_CHARS:
            dispatcher.utter_message(response="utter_grievance_location_too_short")
            return {"grievance_location": None}
        # The coordinates are set here because rasa-sdk only passes on what validation returns
        # for slots outside the form's required list. Only a new pin changes them: a place typed
        # or corrected in words ("no, the location is 4th cross") keeps the pin and its ward.
        location = pin(tracker)
        if location is None:
            return {"grievance_location": text[:500]}
        return {"grievance_location": text[:500], "grievance_latitude": location[0], "grievance_longitude": location[1]}

    async def extract_grievance_evidence(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        media = latest_entities(tracker, "media_ref")
        if media:  # a photo or document is evidence whenever it is sent during the complaint
            return {"grievance_evidence": EVIDENCE_FILE + media[0]}
        if tracker.get_slot("requested_slot") != "grievance_evidence":
            return {}
        if latest_intent(tracker) == "deny":
            return {"grievance_evidence": NO_EVIDENCE}
        return self._free_text(tracker, "grievance_evidence")

    def validate_grievance_evidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # A file only as the channel stored it: a media_ref or "file:..." typed in is refused, and
        # the form asks for the photo again.
        if value is not None and not grievances.attachable(str(value)):
            return {"grievance_evidence": None}
        return {"grievance_evidence": value}

    async def extract_grievance_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "grievance_confirmed" and latest_intent(tracker) == "affirm":
            return {"grievance_confirmed": True}
        return {}

    @staticmethod
    def _free_text(tracker: Tracker, slot: str) -> dict[str, Any]:
        """The message as the answer to a free-text question, unless it is about something else."""
        text = latest_text(tracker)
        if tracker.get_slot("requested_slot") != slot or not is_free_text_answer(tracker, NOT_AN_ANSWER):
            return {}
        if latest_intent(tracker) == "correct_grievance" and correction(tracker, load_catalog())[0] is not None:
            return {}  # names a field: handled as a correction
        return {slot: text}


def category_rows(catalog: Catalog, language: str) -> list[dict[str, str]]:
    return [
        row(in_language(c.names, language), intent_payload("inform", grievance_category=c.key))
        for c in catalog.grievance_categories
    ]


class ActionAskGrievanceCategory(Action):
    def name(self) -> str:
        return "action_ask_grievance_category"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        rows = category_rows(load_catalog(), reply_language(tracker))
        dispatcher.utter_message(response="utter_ask_grievance_category", buttons=rows)
        return []


class ActionAskGrievanceConfirmed(Action):
    """Shows the summary to confirm, unless the citizen was just asked which field to change."""

    def name(self) -> str:
        return "action_ask_grievance_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        if asks_which_field(tracker, catalog):
            return []  # the field list was just shown; the summary follows the correction
        language = reply_language(tracker)
        category = catalog.category(tracker.get_slot("grievance_category") or "")
        evidence = tracker.get_slot("grievance_evidence")
        dispatcher.utter_message(
            response="utter_ask_grievance_confirmed",
            category=in_language(category.names, language) if category else "-",
            description=cut(tracker.get_slot("grievance_description") or "-", 300),
            location=cut(tracker.get_slot("grievance_location") or "-", 200),
            evidence=evidence_label(evidence, domain, language),
        )
        return []


def evidence_label(evidence: str | None, domain: dict[str, Any], language: str) -> str:
    if evidence in (None, NO_EVIDENCE):
        return response_text(domain, "utter_no_evidence", language)
    if evidence.startswith(EVIDENCE_FILE):
        return response_text(domain, "utter_evidence_attached", language)
    return cut(evidence, 100)


class ActionSubmitGrievance(Action):
    offers_me_too = True  # first offer another citizen's matching open grievance to join (actions.me_too)

    def name(self) -> str:
        return "action_submit_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        if self.offers_me_too:
            from actions import me_too  # here, not above: actions.me_too builds on this module

            offered = me_too.offer(dispatcher, tracker, domain, catalog, language)
            if offered is not None:
                return offered
        evidence = tracker.get_slot("grievance_evidence")
        with db.session_scope() as session:
            filing = grievances.file_grievance(
                session,
                catalog,
                phone=sender(tracker),
                category=tracker.get_slot("grievance_category"),
                description=tracker.get_slot("grievance_description"),
                location=tracker.get_slot("grievance_location"),
                evidence=None if evidence in (None, NO_EVIDENCE) else evidence,
                latitude=tracker.get_slot("grievance_latitude"),
                longitude=tracker.get_slot("grievance_longitude"),
                language=language,
            )
            grievance = filing.grievance
            department = in_language(catalog.department(grievance.department_key).name, language)
            if filing.duplicate:
                dispatcher.utter_message(
                    response="utter_grievance_duplicate",
                    tracking_id=grievance.tracking_id,
                    status=response_text(domain, f"utter_grievance_status_{grievance.status}", language),
                    department=department,
                    due_date=date_text(grievance.due_on),
                )
            else:
                dispatcher.utter_message(
                    response="utter_grievance_registered",
                    tracking_id=grievance.tracking_id,
                    department=department,
                    due_date=date_text(grievance.due_on),
                )
        return [SlotSet(slot, None) for slot in GRIEVANCE_SLOTS]


class ActionResetGrievance(Action):
    """After a cancelled filing: nothing is stored and the half-filled answers are forgotten."""

    def name(self) -> str:
        return "action_reset_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_grievance_cancelled")
        return [SlotSet(slot, None) for slot in GRIEVANCE_SLOTS]


class ActionGrievanceStatus(Action):
    """One grievance by ID, or the latest five; only ever the sender's own."""

    def name(self) -> str:
        return "action_grievance_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        ids = [parse_grievance_id(v) for v in latest_entities(tracker, "grievance_id")]
        tracking_id = next((i for i in ids if i), None) or parse_grievance_id(latest_text(tracker))

        def status_label(status: str) -> str:
            return response_text(domain, f"utter_grievance_status_{status}", language)

        with db.session_scope() as session:
            if tracking_id:
                grievance = grievances.grievance_for_filer(session, tracking_id, sender(tracker))
                if grievance is None:
                    dispatcher.utter_message(response="utter_grievance_not_found")
                    return [SlotSet("grievance_id", None)]
                category = catalog.category(grievance.category_key)
                history = "\n".join(
                    f"{date_text(e.created_at.date())}: {status_label(e.status)}" + (f" ({e.note})" if e.note else "")
                    for e in grievance.events
                )
                dispatcher.utter_message(
                    response="utter_grievance_status",
                    tracking_id=grievance.tracking_id,
                    category=in_language(category.names, language) if category else grievance.category_key,
                    status=status_label(grievance.status),
                    department=in_language(catalog.department(grievance.department_key).name, language),
                    due_date=date_text(grievance.due_on),
                    history=history,
                )
                return [SlotSet("grievance_id", None)]
            recent = grievances.recent_grievances(session, sender(tracker))
            if not recent:
                dispatcher.utter_message(response="utter_no_grievances")
                return []
            items = "\n".join(
                f"• {g.tracking_id}: {in_language(catalog.category(g.category_key).names, language)}, "
                f"{status_label(g.status)} ({date_text(g.created_at.date())})"
                for g in recent
            )
            buttons = [row(g.tracking_id, intent_payload("check_grievance", grievance_id=g.tracking_id)) for g in recent[:3]]
            dispatcher.utter_message(response="utter_grievance_list", items=items, buttons=buttons)
        return []
