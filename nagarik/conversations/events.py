"""Rasa 3.6's serialised events (`Event.as_dict()` plus `sender_id`, as its event brokers publish
them) read into what the console keeps. Pure: no database.

- user (UserUttered): text, parse_data.intent.{name, confidence}, parse_data.entities, metadata
  (our WhatsApp channel's whatsapp_type: image, audio, location...);
- bot (BotUttered): text and data (buttons, quick_replies, image, attachment, custom, elements);
- action (ActionExecuted): name; slot (SlotSet): name and value; session_started.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from nagarik import settings

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
HANDOFF_ACTION = "action_handoff"
GRIEVANCE_ACTION = "action_submit_grievance"
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start"})  # Rasa's bookkeeping, not something it did
BOT_PARTS = ("buttons", "quick_replies", "image", "attachment", "custom", "elements")
LANGUAGES = ("en", "hi", "kn")
GRIEVANCE_ID = re.compile(r"\bGRV-\d{4}-\d{6}\b")
HANDOFF_REF = re.compile(r"\bHO-\d{4}-\d{6}\b")
APPLICATION_NUMBER = re.compile(r"\b(?!GRV-|HO-)[A-Z]{2,4}-\d{4}-\d{6}\b")


@cache
def fallback_threshold() -> float:
    """The FallbackClassifier's threshold in config.yml: below it a guess counts as not understood."""
    config = yaml.safe_load((settings.PROJECT_ROOT / "config.yml").read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.3  # Rasa's default


@dataclass
class Event:
    """One broker event, read."""

    type: str
    sender: str
    at: dt.datetime
    key: str  # a hash of the raw JSON: the same event delivered twice has the same key
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    name: str | None = None  # an action's or a slot's
    value: Any = None  # a slot's
    data: dict[str, Any] | None = None
    links: set[tuple[str, str]] = field(default_factory=set)  # (grievance|handoff|application, ref)


def read(raw: str | bytes, sender: str | None = None) -> Event | None:
    """The event in one broker row or message; None for one that is not a Rasa event."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        return None
    who = str(body.get("sender_id") or sender or "")
    if not who:
        return None
    raw_bytes = raw if isinstance(raw, bytes) else raw.encode()
    event = Event(body["event"], who, _moment(body.get("timestamp")), hashlib.sha256(raw_bytes).hexdigest())
    if event.type == "user":
        _user(event, body)
    elif event.type == "bot":
        _bot(event, body)
    elif event.type in ("action", "slot"):
        event.name = str(body.get("name") or "") or None
        event.value = body.get("value")
    return event


def _moment(timestamp: Any) -> dt.datetime:
    seconds = float(timestamp) if isinstance(timestamp, (int, float)) else 0.0
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


def _user(event: Event, body: dict[str, Any]) -> None:
    event.text = _text(body.get("text"))
    parse = body.get("parse_data") if isinstance(body.get("parse_data"), dict) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    event.intent = str(intent["name"])[:128] if intent.get("name") else None
    confidence = intent.get("confidence")
    event.confidence = float(confidence) if isinstance(confidence, (int, float)) else None
    entities = [e for e in parse.get("entities") or [] if isinstance(e, dict) and e.get("entity")]
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    data: dict[str, Any] = {}
    if entities:
        data["entities"] = {str(e["entity"]): e.get("value") for e in entities}
    if metadata.get("whatsapp_type"):
        data["whatsapp_type"] = str(metadata["whatsapp_type"])
    event.data = data or None
    values = " ".join(str(v) for v in data.get("entities", {}).values())
    event.links = _links(f"{event.text or ''} {values}")


def _bot(event: Event, body: dict[str, Any]) -> None:
    event.text = _text(body.get("text"))
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    kept = {part: data[part] for part in BOT_PARTS if data.get(part)}
    event.data = kept or None
    event.links = _links(event.text or "")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _links(text: str) -> set[tuple[str, str]]:
    found = {("grievance", ref) for ref in GRIEVANCE_ID.findall(text)}
    found |= {("handoff", ref) for ref in HANDOFF_REF.findall(text)}
    return found | {("application", ref) for ref in APPLICATION_NUMBER.findall(text.upper())}


def not_understood(event: Event) -> tuple[bool, bool]:
    """(a fallback, a low-confidence guess) for a citizen's message."""
    fallback = event.intent == FALLBACK_INTENT
    low = event.confidence is not None and event.confidence < fallback_threshold()
    return fallback, low and not fallback
