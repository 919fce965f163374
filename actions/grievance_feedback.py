"""After a grievance is resolved, in the chat: rating it (the resolution notice's buttons, or a
typed "poor"), appealing a poor rating, reopening it within its window, and adding details or a
photo to one still open. Only ever the sender's own grievances: any other ID is answered as one
that does not exist.

The states, windows and moves live in nagarik.citizens.grievance_lifecycle; additions in
nagarik.citizens.grievance_additions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    NEW_REQUESTS,
    date_text,
    is_free_text_answer,
    latest_entities,
    latest_text,
    reply_language,
    response_text,
    row,
    sender,
)
from nagarik import db
from nagarik.citizens import grievance_additions, grievance_lifecycle, grievances
from nagarik.citizens.grievance_lifecycle import APPEAL_DAYS, OPEN_STATES, RATINGS, REOPEN_DAYS
from nagarik.shared import clock
from nagarik.shared.text import fold, parse_grievance_id
from whatsapp.payloads import intent_payload

MAX_CHOICES = 10  # one WhatsApp list
MIN_REASON_CHARS = 5
# feedback_next: what the rules do after action_check_appeal / action_check_grievance_info.
ASK_REASON, ASK_INFO, NOTHING = "reason", "info", "nothing"
FEEDBACK_SLOTS = ("feedback_grievance_id", "feedback_next", "appeal_reason", "grievance_info")
PHOTO = grievances.EVIDENCE_FILE  # grievance_info's prefix for a photo the channel stored
# While a form waits for words, these are not the answer (the form asks again after serving them).
NOT_AN_ANSWER = NEW_REQUESTS | {"cancel", "human_handoff"}

# Ratings typed after the rating question, in folded form (nagarik.shared.text.fold).
_RATING_WORDS = {
    "good": {
        "good", "gud", "great", "excellent", "satisfied", "happy", "nice", "accha", "acha", "achha", "badhiya",
        "badiya", "बढ़िया", "बढिया", "अच्छा", "अच्छी", "संतुष्ट", "ಒಳ್ಳೆಯದು", "ಚೆನ್ನಾಗಿದೆ", "ಉತ್ತಮ", "ಚೆನ್ನಾಗಿತ್ತು", "ತೃಪ್ತಿ",
    },
    "average": {
        "average", "avg", "okay", "ok", "okish", "theek", "thik", "thikthak", "सामान्य", "ठीक", "ಸಾಧಾರಣ", "ಪರವಾಗಿಲ್ಲ",
        "ಸುಮಾರು", "ಓಕೆ",
    },
    "poor": {
        "poor", "bad", "worst", "terrible", "useless", "unsatisfied", "dissatisfied", "bekaar", "bekar", "bakwas",
        "kharab", "bura", "ghatiya", "खराब", "ख़राब", "बेकार", "बुरा", "घटिया", "बकवास", "ಕೆಟ್ಟದು", "ಕೆಟ್ಟ", "ಕಳಪೆ",
        "ಚೆನ್ನಾಗಿಲ್ಲ", "ಅತೃಪ್ತಿ",
    },
}  # fmt: skip
_NEGATIONS = {"not", "no", "nahi", "nahin", "नहीं", "ಇಲ್ಲ"}


def typed_rating(text: str) -> str | None:
    """good, average or poor from the citizen's words; "not good" is poor. None if unclear."""
    words = fold(text).split()
    found = {rating for rating, cues in _RATING_WORDS.items() if any(word in cues for word in words)}
    if "good" in found and _NEGATIONS & set(words):
        return "poor"  # "not good", "accha nahi tha"
    if len(found) == 1:
        return found.pop()
    if found == {"good", "average"}:
        return "average"  # "ok ok, not great": the milder one
    return None


def rating_of(tracker: Tracker) -> str | None:
    chosen = next((value for value in latest_entities(tracker, "rating") if value in RATINGS), None)
    return chosen or typed_rating(latest_text(tracker))


def mentioned_id(tracker: Tracker) -> str | None:
    """The grievance the message names: a button's tracking_id, a typed ID the NLU found, or one in the text."""
    for entity in ("tracking_id", "grievance_id"):
        for value in latest_entities(tracker, entity):
            if found := parse_grievance_id(value):
                return found
    return parse_grievance_id(latest_text(tracker))


def own_grievances(session: Any, phone: str, keep: Callable[[grievances.Grievance], bool]) -> list[grievances.Grievance]:
    """The sender's grievances that fit, newest first."""
    return [g for g in grievances.recent_grievances(session, phone, limit=50) if keep(g)]


def appeal_refusal(grievance: grievances.Grievance, now: dt.datetime) -> str | None:
    """Why this grievance may not be appealed (a response name), or None if it may."""
    if grievance_lifecycle.may_appeal(grievance, now):
        return None
    if grievance.status in ("appealed", "appeal_decided"):
        return "utter_appeal_already"
    if grievance.status in OPEN_STATES:
        return "utter_appeal_not_finished"
    if grievance.status == "resolved":
        return "utter_appeal_not_rated"
    if grievance.status == "closed" and grievance.rating == "poor":
        return "utter_appeal_window_passed"
    return "utter_appeal_not_poor"  # rated good or average, closed unrated, or rejected


def rating_refusal(grievance: grievances.Grievance) -> str:
    if grievance.rating:
        return "utter_grievance_already_rated"
    if grievance.status in OPEN_STATES:
        return "utter_grievance_not_rateable"
    return "utter_grievance_rating_closed"


def choose(dispatcher: CollectingDispatcher, candidates: list[grievances.Grievance], payload: Callable[[str], str]) -> None:
    buttons = [row(g.tracking_id, payload(g.tracking_id)) for g in candidates[:MAX_CHOICES]]
    dispatcher.utter_message(response="utter_choose_grievance", buttons=buttons)


def which_grievance(
    session: Any,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    keep: Callable[[grievances.Grievance], bool],
    payload: Callable[[str], str],
    nothing: str,
    **nothing_values: Any,
) -> grievances.Grievance | None:
    """The grievance the citizen means: the one they named (only if they filed it), else their only
    one that `keep`s. Otherwise says so (not found, `nothing`, or buttons to choose) and gives None."""
    tracking_id = mentioned_id(tracker)
    if tracking_id:
        grievance = grievances.grievance_for_filer(session, tracking_id, sender(tracker))
        if grievance is None:
            dispatcher.utter_message(response="utter_grievance_not_found")
        return grievance
    fitting = own_grievances(session, sender(tracker), keep)
    if not fitting:
        dispatcher.utter_message(response=nothing, **nothing_values)
        return None
    if len(fitting) > 1:
        choose(dispatcher, fitting, payload)
        return None
    return fitting[0]


def rating_buttons(domain: dict[str, Any], language: str, tracking_id: str) -> list[dict[str, str]]:
    return [
        row(response_text(domain, f"utter_rating_{rating}", language),
            intent_payload("rate_grievance", tracking_id=tracking_id, rating=rating))
        for rating in RATINGS
    ]  # fmt: skip


def refuse(dispatcher: CollectingDispatcher, response: str, tracking_id: str, domain: dict[str, Any], language: str) -> None:
    """Tell why nothing was done; with the buttons that help (rate first, file a new one)."""
    days = REOPEN_DAYS if response in ("utter_reopen_window_passed", "utter_grievance_info_not_open") else APPEAL_DAYS
    if response == "utter_appeal_not_rated":
        buttons = rating_buttons(domain, language, tracking_id)
        dispatcher.utter_message(response=response, tracking_id=tracking_id, buttons=buttons)
    else:
        dispatcher.utter_message(response=response, tracking_id=tracking_id, days=days)


class ActionRateGrievance(Action):
    """A rating from the resolution notice's buttons, or typed; "poor" is offered an appeal."""

    def name(self) -> str:
        return "action_rate_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        rating = rating_of(tracker)
        with db.session_scope() as session:
            grievance = which_grievance(
                session, dispatcher, tracker, lambda g: g.status == "resolved",
                lambda i: intent_payload("rate_grievance", tracking_id=i, rating=rating), "utter_nothing_to_rate",
            )  # fmt: skip
            if grievance is None:
                return []
            if grievance.status != "resolved":
                refuse(dispatcher, rating_refusal(grievance), grievance.tracking_id, domain, language)
                return []
            if rating is None:
                dispatcher.utter_message(
                    response="utter_ask_grievance_rating",
                    tracking_id=grievance.tracking_id,
                    buttons=rating_buttons(domain, language, grievance.tracking_id),
                )
                return []
            try:
                grievance_lifecycle.rate(session, grievance, rating)
            except ValueError:  # moved on meanwhile (closed unrated)
                refuse(dispatcher, rating_refusal(grievance), grievance.tracking_id, domain, language)
                return []
            if rating == "poor":
                appeal = row(response_text(domain, "utter_appeal_button", language),
                             intent_payload("appeal_grievance", tracking_id=grievance.tracking_id))  # fmt: skip
                dispatcher.utter_message(
                    response="utter_grievance_rated_poor", tracking_id=grievance.tracking_id, days=APPEAL_DAYS, buttons=[appeal]
                )
            else:
                dispatcher.utter_message(response="utter_grievance_rated", tracking_id=grievance.tracking_id)
        return []


class ActionCheckAppeal(Action):
    """Whether the named (or the only appealable) grievance may be appealed: then its reason is asked."""

    def name(self) -> str:
        return "action_check_appeal"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        now = clock.utcnow()
        nothing = [SlotSet("feedback_grievance_id", None), SlotSet("feedback_next", NOTHING)]
        with db.session_scope() as session:
            grievance = which_grievance(
                session, dispatcher, tracker, lambda g: appeal_refusal(g, now) is None,
                lambda i: intent_payload("appeal_grievance", tracking_id=i), "utter_nothing_to_appeal", days=APPEAL_DAYS,
            )  # fmt: skip
            if grievance is None:
                return nothing
            refusal = appeal_refusal(grievance, now)
            if refusal:
                refuse(dispatcher, refusal, grievance.tracking_id, domain, reply_language(tracker))
                return nothing
            return [SlotSet("feedback_grievance_id", grievance.tracking_id), SlotSet("feedback_next", ASK_REASON),
                    SlotSet("appeal_reason", None)]  # fmt: skip


class ValidateGrievanceAppealForm(FormValidationAction):
    """The citizen's next words are the reason, unless they are a request of their own."""

    def name(self) -> str:
        return "validate_grievance_appeal_form"

    async def extract_appeal_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "appeal_reason" or not is_free_text_answer(tracker, NOT_AN_ANSWER):
            return {}
        return {"appeal_reason": latest_text(tracker).strip()}

    def validate_appeal_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < MIN_REASON_CHARS:
            dispatcher.utter_message(response="utter_appeal_reason_too_short")
            return {"appeal_reason": None}
        return {"appeal_reason": text[:2000]}


class ActionSubmitAppeal(Action):
    def name(self) -> str:
        return "action_submit_appeal"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        done = [SlotSet(slot, None) for slot in FEEDBACK_SLOTS]
        tracking_id = tracker.get_slot("feedback_grievance_id") or ""
        now = clock.utcnow()
        with db.session_scope() as session:
            grievance = grievances.grievance_for_filer(session, tracking_id, sender(tracker))
            if grievance is None:
                dispatcher.utter_message(response="utter_grievance_not_found")
                return done
            try:
                grievance_lifecycle.appeal(session, grievance, tracker.get_slot("appeal_reason") or "", now=now)
            except ValueError:  # the window closed while the reason was written, or it moved on
                refusal = appeal_refusal(grievance, now) or "utter_appeal_window_passed"
                refuse(dispatcher, refusal, grievance.tracking_id, domain, reply_language(tracker))
                return done
            dispatcher.utter_message(
                response="utter_grievance_appealed",
                tracking_id=grievance.tracking_id,
                decide_by=date_text(grievance.appeal_due_on),  # the appellate authority's deadline
            )
        return done


class ActionReopenGrievance(Action):
    """A "not fixed": a resolved grievance goes back to the department within its window, with the
    citizen's words as the remark; after it, a new complaint is offered."""

    def name(self) -> str:
        return "action_reopen_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        with db.session_scope() as session:
            grievance = which_grievance(
                session, dispatcher, tracker, lambda g: g.status == "resolved",
                lambda i: intent_payload("reopen_grievance", tracking_id=i), "utter_nothing_to_reopen", days=REOPEN_DAYS,
            )  # fmt: skip
            if grievance is None:
                return []
            if grievance.status in OPEN_STATES:
                refuse(dispatcher, "utter_reopen_still_open", grievance.tracking_id, domain, language)
                return []
            remark = latest_text(tracker).strip()
            try:
                grievance_lifecycle.reopen(session, grievance, "" if remark.startswith("/") else remark[:2000])
            except ValueError:  # past REOPEN_DAYS, or no longer resolved (closed, appealed, rejected)
                refuse(dispatcher, "utter_reopen_window_passed", grievance.tracking_id, domain, language)
                return []
            dispatcher.utter_message(response="utter_grievance_reopened", tracking_id=grievance.tracking_id)
        return []


class ActionCheckGrievanceInfo(Action):
    """Which open grievance of the sender's the next words or photo go to."""

    def name(self) -> str:
        return "action_check_grievance_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        nothing = [SlotSet("feedback_grievance_id", None), SlotSet("feedback_next", NOTHING)]
        with db.session_scope() as session:
            grievance = which_grievance(
                session, dispatcher, tracker, lambda g: g.status in OPEN_STATES,
                lambda i: intent_payload("add_grievance_info", tracking_id=i), "utter_nothing_to_add_to",
            )  # fmt: skip
            if grievance is None:
                return nothing
            if grievance.status not in OPEN_STATES:
                refuse(dispatcher, "utter_grievance_info_not_open", grievance.tracking_id, domain, reply_language(tracker))
                return nothing
            return [SlotSet("feedback_grievance_id", grievance.tracking_id), SlotSet("feedback_next", ASK_INFO),
                    SlotSet("grievance_info", None)]  # fmt: skip


class ValidateGrievanceInfoForm(FormValidationAction):
    """A photo (only as the channel stored it) or the citizen's words."""

    def name(self) -> str:
        return "validate_grievance_info_form"

    async def extract_grievance_info(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "grievance_info":
            return {}
        media = latest_entities(tracker, "media_ref")
        if media:
            return {"grievance_info": PHOTO + media[0]}
        if not is_free_text_answer(tracker, NOT_AN_ANSWER):
            return {}
        return {"grievance_info": latest_text(tracker).strip()}

    def validate_grievance_info(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith(PHOTO):
            # A name the channel gave, for a file it kept; anything else (typed "file:...", a
            # forged media_ref) is refused and the question asked again.
            return {"grievance_info": text if grievances.attachable(text) and latest_entities(tracker, "media_ref") else None}
        if len(" ".join(text.split())) < grievance_additions.MIN_TEXT:
            dispatcher.utter_message(response="utter_grievance_info_too_short")
            return {"grievance_info": None}
        return {"grievance_info": text}


class ActionSaveGrievanceInfo(Action):
    def name(self) -> str:
        return "action_save_grievance_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        done = [SlotSet(slot, None) for slot in FEEDBACK_SLOTS]
        info = tracker.get_slot("grievance_info") or ""
        with db.session_scope() as session:
            grievance = grievances.grievance_for_filer(session, tracker.get_slot("feedback_grievance_id") or "", sender(tracker))
            if grievance is None:
                dispatcher.utter_message(response="utter_grievance_not_found")
                return done
            try:
                if info.startswith(PHOTO):
                    grievance_additions.add_photo(session, grievance, info[len(PHOTO) :])
                    response = "utter_grievance_photo_added"
                else:
                    grievance_additions.add_text(session, grievance, info)
                    response = "utter_grievance_info_added"
            except grievance_additions.NotAddableError as refused:
                response = {
                    "not_open": "utter_grievance_info_not_open",
                    "has_photo": "utter_grievance_info_has_photo",
                }.get(refused.reason, "utter_grievance_info_too_short")
                refuse(dispatcher, response, grievance.tracking_id, domain, reply_language(tracker))
                return done
            dispatcher.utter_message(response=response, tracking_id=grievance.tracking_id)
        return done


class ActionResetGrievanceFeedback(Action):
    """An appeal or an addition cancelled: nothing is stored."""

    def name(self) -> str:
        return "action_reset_grievance_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return [SlotSet(slot, None) for slot in FEEDBACK_SLOTS]
