"""What every action needs: who is writing, in which language, the catalog, and small formatters.

Replies come from the domain (`domain/responses/`); actions only fill their placeholders.
Catalog texts (service names, fees, documents) come from the database in the reply language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker

from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.shared.catalog import LANGUAGES, Catalog
from nagarik.shared.text import named_in_text
from whatsapp import limits
from whatsapp.messages import cut

Button = dict[str, str]


def sender(tracker: Tracker) -> str:
    """The citizen's phone number in WhatsApp form (the channel's sender id)."""
    return tracker.sender_id


def reply_language(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else "en"


def in_language(texts: dict[str, Any], language: str) -> Any:
    return texts.get(language) or texts["en"]


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


# Questions about something else: while a form waits for an answer, these (when NLU is sure)
# are answered by rules and the form asks again. Each form adds its own neighbours.
SIDE_QUESTIONS = frozenset(
    {
        "cancel",
        "help",
        "human_handoff",
        "out_of_scope",
        "greet",
        "goodbye",
        "thank",
        "choose_language",
        "ask_service",
        "ask_documents",
        "ask_fee",
        "ask_deadline",
        "ask_processing_time",
        "ask_where_to_apply",
        "ask_office_hours",
        "ask_holidays",
        "check_grievance",
    }
)


# Requests of their own: while a form waits for an answer, one of these (when NLU is sure) is not
# taken as the answer; the pending question is dropped and the request is served instead
# (data/rules/new_requests.yml). A new request wins over a question left pending, even one
# left from before a restart or a tap on an old message's button.
NEW_REQUESTS = frozenset(
    {
        "subscribe",
        "stop_messages",
        "start_messages",
        "my_subscriptions",
        "choose_ward",
        "poll_answer",
        "poll_comment",
        "request_form",
        "request_certificate",
        "stop_reminder",
        "check_application_status",
        "file_grievance",
        "my_data",
        "delete_my_data",
        "change_name",
    }
)


# Below this confidence a message a form is waiting for is taken as the answer, even if NLU
# thinks it is another question: free text ("near the water tank") often looks like one.
DIGRESSION_CONFIDENCE = 0.55
# Short replies that are never an answer to "describe the problem" or "where is it".
NOT_FREE_TEXT_INTENTS = frozenset({"affirm", "deny", "greet", "goodbye", "thank", "cancel"})
CONTROL_WORDS = frozenset({"stop", "cancel", "no", "yes", "ok", "okay", "hi", "hello", "menu", "help", "start"})


def is_digression(tracker: Tracker, digression_intents: set[str]) -> bool:
    """Whether the latest message is confidently about something else than the form's question."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") in digression_intents and (intent.get("confidence") or 0.0) >= DIGRESSION_CONFIDENCE


def is_free_text_answer(tracker: Tracker, digression_intents: set[str]) -> bool:
    """Whether the latest message can answer a free-text question (a description, a place)."""
    text = latest_text(tracker).strip()
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return not (
        text.startswith("/")
        or is_digression(tracker, digression_intents)
        or (intent in NOT_FREE_TEXT_INTENTS and len(text.split()) <= 3)
        or text.lower().strip(".!?") in CONTROL_WORDS
    )


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_entities(tracker: Tracker, entity: str) -> list[str]:
    return [str(e["value"]) for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]


def load_catalog() -> Catalog:
    with db.session_scope() as session:
        return current_catalog(session)


def resolve(catalog_items: Iterable[Any], value: str) -> str | None:
    """A catalog key from an entity value: the key itself (button payloads) or any synonym or name."""
    items = list(catalog_items)
    for item in items:
        if value == item.key:
            return item.key
    return named_in_text(value, items)


def entity_key(tracker: Tracker, entity: str, catalog_items: Iterable[Any]) -> str | None:
    """The catalog key of the first `entity` value in the latest message that names an item."""
    items = list(catalog_items)
    return next((key for value in latest_entities(tracker, entity) if (key := resolve(items, value))), None)


def response_variation(domain: dict[str, Any], name: str, language: str) -> dict[str, Any]:
    """A domain response's variation for a language (its text and buttons), for replies whose
    language is known before the `language` slot is (Rasa picks variations by the slot)."""
    variations = domain.get("responses", {}).get(name, [])
    fallback: dict[str, Any] = {}
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            fallback = variation
        elif any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variation
    return fallback


def response_text(domain: dict[str, Any], name: str, language: str) -> str:
    """The text of a short domain response (a label) in the reply language."""
    return response_variation(domain, name, language).get("text", "")


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def numbered(items: Iterable[str]) -> str:
    return "\n".join(f"{position}. {item}" for position, item in enumerate(items, start=1))


def date_text(value: dt.date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "-"


def row(title: str, payload: str) -> Button:
    """A list row / reply button, its title kept within WhatsApp's limit without splitting a letter."""
    return {"title": cut(title, limits.ROW_TITLE), "payload": payload}
