"""Webhooks from Meta: every entry, change, message and status, turned into plain records.

Nothing here trusts the payload: missing or odd fields skip that one item (noted in
`problems`) and never the rest of the batch. A message the assistant cannot use still
becomes a record, so the citizen gets a useful reply instead of silence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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


def parse_body(body: bytes) -> Webhook:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookError(f"not JSON: {exc}") from exc
    return parse(payload)


def parse(payload: Any) -> Webhook:
    """Every message and status in a webhook; duplicates within one payload appear once."""
    if not isinstance(payload, dict):
        raise WebhookError("the body is not a JSON object")
    result = Webhook()
    if payload.get("object") != "whatsapp_business_account":
        result.problems.append(f"object {payload.get('object')!r} is not whatsapp_business_account")
        return result
    seen_messages: set[str] = set()
    seen_statuses: set[tuple[str, str]] = set()
    for entry in _list(payload.get("entry"), "entry", result):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None, "changes", result):
            if not isinstance(change, dict) or change.get("field") != "messages":
                result.problems.append(f"change field {change.get('field') if isinstance(change, dict) else change!r} ignored")
                continue
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            profiles = _profiles(value.get("contacts"))
            for raw in value.get("messages") or []:
                message = _message(raw, profiles, result)
                if message and message.id not in seen_messages:
                    seen_messages.add(message.id)
                    result.messages.append(message)
            for raw in value.get("statuses") or []:
                status = _status(raw, result)
                if status and (status.id, status.status) not in seen_statuses:
                    seen_statuses.add((status.id, status.status))
                    result.statuses.append(status)
            for error in value.get("errors") or []:
                result.problems.append(f"webhook error notice: {error}")
    return result


def _list(value: Any, name: str, result: Webhook) -> list[Any]:
    if isinstance(value, list):
        return value
    result.problems.append(f"'{name}' is missing or not a list")
    return []


def _profiles(contacts: Any) -> dict[str, str]:
    """Profile names by wa_id and by user_id."""
    names: dict[str, str] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        name = (contact.get("profile") or {}).get("name")
        for key in (contact.get("wa_id"), contact.get("user_id")):
            if key and name:
                names[str(key)] = str(name)
    return names


def _timestamp(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None  # kept anyway: a bad timestamp must not lose the message


def _message(raw: Any, profiles: dict[str, str], result: Webhook) -> InboundMessage | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        result.problems.append("a message without an id was skipped")
        return None
    phone = raw.get("from")
    user_id = raw.get("from_user_id")
    sender = str(phone or user_id or "")
    if not sender:
        result.problems.append(f"message {raw['id']} has no sender and was skipped")
        return None
    raw_type = str(raw.get("type") or "")
    common = {
        "id": str(raw["id"]),
        "sender": sender,
        "raw_type": raw_type,
        "timestamp": _timestamp(raw.get("timestamp")),
        "profile_name": profiles.get(sender),
        "sender_is_user_id": not phone,
        "reply_to": (raw.get("context") or {}).get("id") if isinstance(raw.get("context"), dict) else None,
    }
    body = raw.get(raw_type) if isinstance(raw.get(raw_type), dict) else {}

    if raw_type == "text":
        text = body.get("body")
        if not isinstance(text, str):
            return InboundMessage(kind="unsupported", media_type="unsupported", **common)
        return InboundMessage(kind="text", text=text, **common)
    if raw_type == "interactive":
        reply = body.get(body.get("type")) if isinstance(body.get(body.get("type")), dict) else {}
        if body.get("type") in ("button_reply", "list_reply") and reply.get("id"):
            return InboundMessage(kind="button", text=str(reply["id"]), **common)
        return InboundMessage(
            kind="unsupported", media_type="flow" if body.get("type") == "nfm_reply" else "unsupported", **common
        )
    if raw_type == "button":
        payload = body.get("payload") or body.get("text")
        if payload:
            return InboundMessage(kind="button", text=str(payload), **common)
    if raw_type in MEDIA_TYPES and body.get("id"):
        return InboundMessage(
            kind="media",
            media_type=raw_type,
            media_id=str(body["id"]),
            mime_type=body.get("mime_type"),
            caption=body.get("caption"),
            filename=body.get("filename"),
            **common,
        )
    if raw_type == "location":
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            result.problems.append(f"location {raw['id']} has no usable coordinates")
        else:
            name = ", ".join(str(part) for part in (body.get("name"), body.get("address")) if part) or None
            return InboundMessage(kind="location", latitude=latitude, longitude=longitude, location_name=name, **common)
    if raw_type == "audio":
        return InboundMessage(kind="unsupported", media_type="voice" if body.get("voice") else "audio", **common)
    if raw_type in UNSUPPORTED_TYPES:
        return InboundMessage(kind="unsupported", media_type=UNSUPPORTED_TYPES[raw_type], **common)
    if raw_type == "edit":
        text = _edited_text(body)
        if text is not None:
            original = body.get("original_message_id") or common["reply_to"]
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
                return text["body"]
            if isinstance(candidate.get("body"), str):
                return candidate["body"]
    return None


def _status(raw: Any, result: Webhook) -> StatusUpdate | None:
    if not isinstance(raw, dict) or not raw.get("id") or raw.get("status") not in STATUSES:
        if isinstance(raw, dict) and raw.get("status") not in STATUSES:
            result.problems.append(f"status {raw.get('status')!r} ignored")
        else:
            result.problems.append("a status without an id was skipped")
        return None
    errors = raw.get("errors") if isinstance(raw.get("errors"), list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return StatusUpdate(
        id=str(raw["id"]),
        status=raw["status"],
        recipient=str(raw.get("recipient_id") or raw.get("recipient_user_id") or ""),
        timestamp=_timestamp(raw.get("timestamp")),
        error_code=first.get("code"),
        error_title=first.get("title"),
        callback_data=raw.get("biz_opaque_callback_data"),
    )
