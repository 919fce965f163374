"""Webhooks from Meta: every entry, change, message and status, turned into plain records.

Nothing here trusts the payload: a missing or odd field, a value of the wrong type, or a change
addressed to another phone number skips that one item (noted in `problems`) and never the rest of
the batch; only a body that is not a JSON object at all (or nested too deeply for the json module
to read) is refused (WebhookError). A message with a usable id and sender whose content the
assistant cannot use still becomes a record, so the citizen gets a useful reply instead of
silence. Every record holds only clean text that fits the store (whatsapp.limits), and no problem
note repeats more than a few characters of the payload.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from whatsapp import limits
from whatsapp.messages import clean, cut
from whatsapp.payloads import intent_payload

MEDIA_TYPES = ("image", "video", "document")
# Types the assistant answers with "please type" (media_type names the kind to the domain).
UNSUPPORTED_TYPES = {
    "audio": "audio",
    "sticker": "sticker",
    "contacts": "contacts",
    "order": "order",
    "unsupported": "unsupported",
}
IGNORED_TYPES = ("reaction", "revoke", "system", "deleted", "ephemeral")
STATUSES = ("sent", "delivered", "read", "failed")
# Types whose content is read; one of them handed on as "unsupported" had no usable content (noted).
READ_TYPES = frozenset({"text", "interactive", "button", "location", "edit", *MEDIA_TYPES})
SHORT_TEXT = 255  # profile names, MIME types, error titles
_SPACE = re.compile(r"\s")


class WebhookError(ValueError):
    """The body is not a WhatsApp webhook at all (answered 400)."""


@dataclass(frozen=True)
class InboundMessage:
    id: str  # the wamid: processed exactly once
    sender: str  # phone number (`from`) or, when there is none, the business-scoped user id
    kind: str  # text | button | media | location | unsupported | ignored
    raw_type: str
    timestamp: int | None = None
    text: str | None = None  # text body, or a button / list reply's id
    media_type: str | None = None
    media_id: str | None = None
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_name: str | None = None
    profile_name: str | None = None
    sender_is_user_id: bool = False  # reply with "recipient" instead of "to"
    reply_to: str | None = None  # the wamid this message quotes or edits

    def to_rasa_text(self) -> str | None:
        """What the assistant receives for this message (docs/whatsapp.md), or None for nothing."""
        if self.kind in ("text", "button"):
            return self.text
        if self.kind == "media":
            return intent_payload("inform", media_type=self.media_type, media_ref=self.media_id)
        if self.kind == "location":
            entities = {"latitude": f"{self.latitude:.6f}", "longitude": f"{self.longitude:.6f}"}
            if self.location_name:
                entities["location_name"] = self.location_name
            return intent_payload("inform", **entities)
        if self.kind == "unsupported":
            return intent_payload("inform", media_type=self.media_type)
        return None


@dataclass(frozen=True)
class StatusUpdate:
    id: str  # the wamid of our outbound message
    status: str  # sent | delivered | read | failed
    recipient: str
    timestamp: int | None = None
    error_code: int | None = None
    error_title: str | None = None
    callback_data: str | None = None


@dataclass
class Webhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_body(body: bytes, *, phone_number_id: str) -> Webhook:
    """The webhook in `body`, keeping only changes addressed to `phone_number_id` (ours)."""
    try:
        payload = json.loads(body, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WebhookError(f"not JSON: {str(exc)[:120]}") from exc
    except RecursionError as exc:
        raise WebhookError("not JSON that can be read: nested too deeply") from exc
    return parse(payload, phone_number_id=phone_number_id)


def _json_int(text: str) -> int | None:
    # Python refuses to read integers of over 4300 digits (a ValueError for the whole body); no
    # field of Meta's is an integer of even 20, so such a number is just a value nobody can use.
    return int(text) if len(text) <= 20 else None


def _json_float(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None  # 1e999 reads as infinity


def _json_constant(name: str) -> None:
    return None  # NaN, Infinity and -Infinity are not JSON; Python would read them as floats


def parse(payload: Any, *, phone_number_id: str) -> Webhook:
    """Every message and status in a webhook; duplicates within one payload appear once."""
    if not isinstance(payload, dict):
        raise WebhookError("the body is not a JSON object")
    result = Webhook()
    if payload.get("object") != "whatsapp_business_account":
        result.problems.append(f"object {_show(payload.get('object'))} is not whatsapp_business_account")
        return result
    seen_messages: set[str] = set()
    seen_statuses: set[tuple[str, str]] = set()
    for entry in _list(payload.get("entry"), "entry", result, required=True):
        if not isinstance(entry, dict):
            result.problems.append(f"an entry that is {_show(entry)}, not an object, was skipped")
            continue
        for change in _list(entry.get("changes"), "changes", result, required=True):
            value = _messages_value(change, phone_number_id, result)
            if value is None:
                continue
            profiles = _profiles(_list(value.get("contacts"), "contacts", result), result)
            for raw in _list(value.get("messages"), "messages", result):
                message = _message(raw, profiles, result)
                if message and message.id not in seen_messages:
                    seen_messages.add(message.id)
                    result.messages.append(message)
            for raw in _list(value.get("statuses"), "statuses", result):
                status = _status(raw, result)
                if status and (status.id, status.status) not in seen_statuses:
                    seen_statuses.add((status.id, status.status))
                    result.statuses.append(status)
            for error in _list(value.get("errors"), "errors", result):
                result.problems.append(f"webhook error notice: {_error_notice(error)}")
    return result


def _messages_value(change: Any, phone_number_id: str, result: Webhook) -> dict[str, Any] | None:
    """The value of a `messages` change addressed to our phone number, else None (noted)."""
    if not isinstance(change, dict):
        result.problems.append(f"a change that is {_show(change)}, not an object, was skipped")
        return None
    if change.get("field") != "messages":
        result.problems.append(f"change field {_show(change.get('field'))} ignored")
        return None
    value = change.get("value")
    if not isinstance(value, dict):
        result.problems.append(f"a messages change whose value is {_show(value)} was skipped")
        return None
    metadata = value.get("metadata")
    number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    if number != phone_number_id:
        # Another number of the same account (or a misrouted subscription): not ours to answer.
        counts = {name: len(value[name]) if isinstance(value.get(name), list) else 0 for name in ("messages", "statuses")}
        result.problems.append(
            f"a change for phone number id {_show(number)}, not ours, was skipped"
            f" ({counts['messages']} messages, {counts['statuses']} statuses)"
        )
        return None
    return value


def _list(value: Any, name: str, result: Webhook, *, required: bool = False) -> list[Any]:
    if isinstance(value, list):
        return value
    if required or value is not None:
        result.problems.append(f"'{name}' is {_show(value)}, not a list")
    return []


def _show(value: Any) -> str:
    """A short, flat description of a payload value for a problem note (never its whole content)."""
    if isinstance(value, str):
        return repr(value[:40] + "…" if len(value) > 40 else value)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _clean(value: Any, limit: int | None = None) -> str | None:
    """A string as text the store and the assistant can take, else None: no NUL (PostgreSQL refuses
    it), no lone surrogate (no UTF-8 exists for it), at most `limit` characters (cut at a letter)."""
    if not isinstance(value, str):
        return None
    value = clean(value)
    return cut(value, limit) if limit is not None and len(value) > limit else value


def _id(value: Any, limit: int = limits.INBOUND_ID) -> str | None:
    """An id or sender as Meta writes them: a non-empty string of printable, non-space characters
    that fits the store. Anything else is not usable (never turned into one with str())."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        return None
    if not value.isprintable() or _SPACE.search(value) or _clean(value) != value:
        return None
    return value


def _profiles(contacts: list[Any], result: Webhook) -> dict[str, str]:
    """Profile names by wa_id and by user_id; a malformed contact only loses its name."""
    names: dict[str, str] = {}
    for contact in contacts:
        if not isinstance(contact, dict):
            result.problems.append(f"a contact that is {_show(contact)} was skipped")
            continue
        profile = contact.get("profile")
        if profile is not None and not isinstance(profile, dict):
            result.problems.append(f"a contact whose profile is {_show(profile)} was skipped")
            continue
        name = _clean((profile or {}).get("name"), SHORT_TEXT)
        for key in (_id(contact.get("wa_id"), limits.INBOUND_SENDER), _id(contact.get("user_id"), limits.INBOUND_SENDER)):
            if key and name:
                names[key] = name
    return names


def _timestamp(value: Any) -> int | None:
    """Seconds since 1970 (Meta sends a string of digits); None when unusable, and the message is
    kept anyway: a bad timestamp must not lose it."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    return None


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _message(raw: Any, profiles: dict[str, str], result: Webhook) -> InboundMessage | None:
    if not isinstance(raw, dict):
        result.problems.append(f"a message that is {_show(raw)} was skipped")
        return None
    wamid = _id(raw.get("id"))
    if wamid is None:
        result.problems.append(f"a message without a usable id ({_show(raw.get('id'))}) was skipped")
        return None
    phone = _id(raw.get("from"), limits.INBOUND_SENDER)
    sender = phone or _id(raw.get("from_user_id"), limits.INBOUND_SENDER)
    if not sender:
        result.problems.append(f"message {wamid} has no usable sender and was skipped")
        return None
    raw_type = _id(raw.get("type"), 32) or ""
    if raw.get("type") is not None and not raw_type:
        result.problems.append(f"message {wamid} has type {_show(raw.get('type'))}: handed on as unsupported")
    context = raw.get("context")
    common: dict[str, Any] = {
        "id": wamid,
        "sender": sender,
        "raw_type": raw_type,
        "timestamp": _timestamp(raw.get("timestamp")),
        "profile_name": profiles.get(sender),
        "sender_is_user_id": not phone,
        "reply_to": _id(context.get("id")) if isinstance(context, dict) else None,
    }
    body = raw.get(raw_type) if raw_type and isinstance(raw.get(raw_type), dict) else {}
    message = _content(raw_type, body, common, result)
    if message.kind == "unsupported" and message.media_type == "unsupported" and raw_type in READ_TYPES:
        result.problems.append(f"{raw_type} message {wamid} has no usable content: handed on as unsupported")
    return message


def _content(raw_type: str, body: dict[str, Any], common: dict[str, Any], result: Webhook) -> InboundMessage:
    """The record for one message whose id and sender are usable, by its type."""
    if raw_type == "text":
        text = _clean(body.get("body"), limits.INBOUND_TEXT)
        if text is None:
            return InboundMessage(kind="unsupported", media_type="unsupported", **common)
        return InboundMessage(kind="text", text=text, **common)
    if raw_type == "interactive":
        reply_type = body.get("type") if isinstance(body.get("type"), str) else None
        reply = body.get(reply_type) if reply_type and isinstance(body.get(reply_type), dict) else {}
        payload = _clean(reply.get("id"))
        if reply_type in ("button_reply", "list_reply") and payload and len(payload) <= limits.BUTTON_ID:
            return InboundMessage(kind="button", text=payload, **common)
        return InboundMessage(kind="unsupported", media_type="flow" if reply_type == "nfm_reply" else "unsupported", **common)
    if raw_type == "button":
        payload = _clean(body.get("payload")) or _clean(body.get("text"))
        if payload and len(payload) <= limits.BUTTON_ID:
            return InboundMessage(kind="button", text=payload, **common)
    media_id = _id(body.get("id"))
    if raw_type in MEDIA_TYPES and media_id:
        return InboundMessage(
            kind="media",
            media_type=raw_type,
            media_id=media_id,
            mime_type=_clean(body.get("mime_type"), SHORT_TEXT),
            caption=_clean(body.get("caption"), limits.INBOUND_TEXT),
            filename=_clean(body.get("filename"), limits.DOCUMENT_FILENAME),
            **common,
        )
    if raw_type == "location":
        latitude, longitude = _coordinate(body.get("latitude"), 90), _coordinate(body.get("longitude"), 180)
        if latitude is None or longitude is None:
            result.problems.append(f"location {common['id']} has no usable coordinates")
        else:
            parts = (_clean(body.get("name"), limits.INBOUND_TEXT), _clean(body.get("address"), limits.INBOUND_TEXT))
            joined = ", ".join(part for part in parts if part)
            name = cut(joined, limits.INBOUND_TEXT) if joined else None  # two long parts are one text too long
            return InboundMessage(kind="location", latitude=latitude, longitude=longitude, location_name=name, **common)
    if raw_type == "audio":
        return InboundMessage(kind="unsupported", media_type="voice" if body.get("voice") is True else "audio", **common)
    if raw_type in UNSUPPORTED_TYPES:
        return InboundMessage(kind="unsupported", media_type=UNSUPPORTED_TYPES[raw_type], **common)
    if raw_type == "edit":
        text = _edited_text(body)
        if text is not None:
            original = _id(body.get("original_message_id")) or common["reply_to"]
            return InboundMessage(kind="text", text=text, **{**common, "reply_to": original})
    if raw_type in IGNORED_TYPES:
        return InboundMessage(kind="ignored", **common)
    return InboundMessage(kind="unsupported", media_type="unsupported", **common)


def _edited_text(edit: dict[str, Any]) -> str | None:
    """The new text of an edited message; the shape is new, so the known places are tried."""
    for candidate in (edit.get("message"), edit):
        if isinstance(candidate, dict):
            text = candidate.get("text")
            if isinstance(text, dict) and isinstance(text.get("body"), str):
                return _clean(text["body"], limits.INBOUND_TEXT)
            if isinstance(candidate.get("body"), str):
                return _clean(candidate["body"], limits.INBOUND_TEXT)
    return None


def _status(raw: Any, result: Webhook) -> StatusUpdate | None:
    if not isinstance(raw, dict):
        result.problems.append(f"a status that is {_show(raw)} was skipped")
        return None
    status = raw.get("status")
    if status not in STATUSES:
        result.problems.append(f"status {_show(status)} ignored")
        return None
    wamid = _id(raw.get("id"))
    if wamid is None:
        result.problems.append(f"a status without a usable id ({_show(raw.get('id'))}) was skipped")
        return None
    errors = raw.get("errors") if isinstance(raw.get("errors"), list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    callback = raw.get("biz_opaque_callback_data")
    if callback is not None and _clean(callback, limits.INBOUND_ID) != callback:
        result.problems.append(f"status of {wamid}: callback data {_show(callback)} dropped")
        callback = None
    recipient = _id(raw.get("recipient_id"), limits.INBOUND_SENDER) or _id(raw.get("recipient_user_id"), limits.INBOUND_SENDER)
    return StatusUpdate(
        id=wamid,
        status=status,
        recipient=recipient or "",
        timestamp=_timestamp(raw.get("timestamp")),
        error_code=code if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < 2**31 else None,
        error_title=_clean(first.get("title"), SHORT_TEXT),
        callback_data=callback,
    )


def _error_notice(error: Any) -> str:
    """Meta's error notice as code and title only (its details may quote the citizen's message)."""
    if not isinstance(error, dict):
        return _show(error)
    code = error.get("code") if isinstance(error.get("code"), int) else _show(error.get("code"))
    return f"{code} {_show(_clean(error.get('title'), 120))}"
