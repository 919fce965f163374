"""Builders of citizens' messages as Meta delivers them in webhooks (reference §1).

A spec is what POST /_sim/inbound takes, e.g. {"type": "text", "text": "hi"} or
{"type": "button_reply", "id": "/affirm", "title": "Yes"}; the fields of a type may also be
nested under its name ({"button_reply": {"id": ..., "title": ...}}).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .ids import wamid
from .samples import sample

MEDIA_KINDS = ("image", "video", "audio", "voice", "document", "sticker")
TYPES = (
    "text",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "button",
    *MEDIA_KINDS,
    "location",
    "contacts",
    "reaction",
    "edit",
    "revoke",
    "system",
    "unsupported",
    "order",
    "referral",
)
# A citizen's message opens (or refreshes) the 24-hour window; a system notice is not from the citizen.
OPENS_WINDOW = tuple(kind for kind in TYPES if kind != "system")

# Stores a file as user media: (bytes, MIME type, file name) -> media id.
AddMedia = Callable[[bytes, str, str | None], str]


class SpecError(ValueError):
    """The spec cannot be turned into a message (answered 400 by the inspection API)."""


@dataclass
class Sender:
    wa_id: str | None  # phone number; None for a BSUID-only sender
    user_id: str | None  # business-scoped user id, e.g. "US.13491208655302741918"
    name: str
    username: str | None = None

    @property
    def key(self) -> str:
        return self.wa_id or self.user_id or ""

    def contact(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"name": self.name}
        if self.username:
            profile["username"] = self.username
        contact: dict[str, Any] = {"profile": profile}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        if self.user_id:
            contact["user_id"] = self.user_id
        return contact


def sender_from(spec: dict[str, Any]) -> Sender:
    wa_id = spec.get("from")
    user_id = spec.get("bsuid") or spec.get("from_user_id")
    if not wa_id and not user_id:
        raise SpecError("give `from` (a phone number) or `bsuid` (e.g. US.1234567890)")
    wa_id = str(wa_id).lstrip("+") if wa_id else None
    if wa_id is not None and not wa_id.isdigit():
        raise SpecError(f"`from` must be a phone number in international format, got {spec.get('from')!r}")
    default_name = f"Citizen {(wa_id or str(user_id))[-4:]}"
    return Sender(wa_id, str(user_id) if user_id else None, str(spec.get("name") or default_name), spec.get("username"))


def _fields(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    nested = spec.get(kind)
    return nested if isinstance(nested, dict) else spec


def _need(fields: dict[str, Any], key: str, kind: str) -> Any:
    value = fields.get(key)
    if value is None or value == "":
        raise SpecError(f"{kind} needs `{key}`")
    return value


def build(spec: dict[str, Any], sender: Sender, *, stamp: str, business_phone: str, add_media: AddMedia) -> dict[str, Any]:
    """One `messages[]` entry. Reply context is {from: business number, id: the quoted wamid}."""
    kind = spec.get("type", "text")
    if kind not in TYPES:
        raise SpecError(f"unknown type {kind!r}; one of {', '.join(TYPES)}")
    message: dict[str, Any] = {}
    if spec.get("context"):
        message["context"] = {"from": business_phone, "id": str(spec["context"])}
    elif spec.get("forwarded") or spec.get("frequently_forwarded"):
        message["context"] = {"forwarded": True} if not spec.get("frequently_forwarded") else {"frequently_forwarded": True}
    if sender.wa_id:
        message["from"] = sender.wa_id
    message["id"] = wamid(sender.key)
    message["timestamp"] = stamp
    if sender.user_id:
        message["from_user_id"] = sender.user_id
    wire_type, content = _content(kind, spec, sender, add_media)
    message["type"] = wire_type
    message.update(content)
    return message


def _content(kind: str, spec: dict[str, Any], sender: Sender, add_media: AddMedia) -> tuple[str, dict[str, Any]]:
    fields = _fields(spec, kind)
    if kind == "text":
        text = spec.get("text")
        body = text.get("body") if isinstance(text, dict) else text
        return "text", {"text": {"body": str(_need({"text": body}, "text", kind))}}
    if kind == "referral":
        referral = {
            "source_url": "https://fb.me/simulated-ad",
            "source_id": "120200000000000000",
            "source_type": "ad",
            "headline": fields.get("headline", "City Corporation services on WhatsApp"),
            "body": fields.get("body", "Message us to file a grievance"),
            "media_type": "image",
            "image_url": "https://example.invalid/ad.jpg",
            "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-ZABI",
        }
        return "text", {"text": {"body": str(spec.get("text") or "Hi")}, "referral": referral}
    if kind in ("button_reply", "list_reply"):
        reply = {"id": str(_need(fields, "id", kind)), "title": str(_need(fields, "title", kind))}
        if kind == "list_reply":
            reply["description"] = str(fields.get("description", ""))
        return "interactive", {"interactive": {"type": kind, kind: reply}}
    if kind == "nfm_reply":
        response = dict(fields.get("response") or {})
        response.setdefault("flow_token", fields.get("flow_token", "unused"))
        nfm = {"name": "flow", "body": "Sent", "response_json": json.dumps(response, ensure_ascii=False)}
        return "interactive", {"interactive": {"type": "nfm_reply", "nfm_reply": nfm}}
    if kind == "button":
        text = str(fields.get("text") or _need(fields, "payload", kind))
        return "button", {"button": {"payload": str(fields.get("payload") or text), "text": text}}
    if kind in MEDIA_KINDS:
        return _media(kind, fields, add_media)
    if kind == "location":
        location: dict[str, Any] = {
            "latitude": float(_need(fields, "latitude", kind)),
            "longitude": float(_need(fields, "longitude", kind)),
        }
        for key in ("name", "address", "url"):
            if fields.get(key):
                location[key] = str(fields[key])
        return "location", {"location": location}
    if kind == "contacts":
        cards = spec.get("contacts") if isinstance(spec.get("contacts"), list) else None
        return "contacts", {"contacts": cards or [_sample_card()]}
    if kind == "reaction":
        emoji = fields.get("emoji", "\U0001f44d")
        return "reaction", {"reaction": {"message_id": str(_need(fields, "message_id", kind)), "emoji": str(emoji or "")}}
    if kind == "edit":
        edited = {"type": "text", "text": {"body": str(_need(fields, "text", kind))}}
        return "edit", {"edit": {"original_message_id": str(_need(fields, "message_id", kind)), "message": edited}}
    if kind == "revoke":
        return "revoke", {"revoke": {"original_message_id": str(_need(fields, "message_id", kind))}}
    if kind == "system":
        return "system", {"system": _system(fields, sender)}
    if kind == "order":
        items = fields.get("product_items") or [
            {"product_retailer_id": "SKU-1", "quantity": 1, "item_price": 100, "currency": "INR"}
        ]
        return "order", {
            "order": {
                "catalog_id": str(fields.get("catalog_id", "1234567890")),
                "text": str(fields.get("text", "")),
                "product_items": items,
            }
        }
    # unsupported: a message type the Cloud API cannot pass on (polls, view-once, ...)
    error = {
        "code": 131051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."},
    }
    return "unsupported", {"errors": [error], "unsupported": {"type": str(fields.get("unsupported_type", "poll"))}}


def _media(kind: str, fields: dict[str, Any], add_media: AddMedia) -> tuple[str, dict[str, Any]]:
    voice = kind == "voice" or (kind == "audio" and bool(fields.get("voice")))
    sample_kind = "voice" if voice else kind
    mime, data, filename = sample(sample_kind)
    if fields.get("data_b64"):
        try:
            data = base64.b64decode(fields["data_b64"], validate=True)
        except (binascii.Error, ValueError):
            raise SpecError("data_b64 is not valid base64") from None
    mime = str(fields.get("mime_type") or mime)
    filename = str(fields.get("filename") or filename)
    wire_type = "audio" if kind == "voice" else kind
    media_id = add_media(data, mime, filename)
    content: dict[str, Any] = {"mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(), "id": media_id}
    if wire_type in ("image", "video", "document") and fields.get("caption"):
        content["caption"] = str(fields["caption"])
    if wire_type == "document":
        content["filename"] = filename
    if wire_type == "audio":
        content["voice"] = voice
    if wire_type == "sticker":
        content["animated"] = bool(fields.get("animated", False))
    return wire_type, {wire_type: content}


def _system(fields: dict[str, Any], sender: Sender) -> dict[str, Any]:
    if fields.get("system_type") == "customer_identity_changed":
        return {"body": "User identity changed", "type": "customer_identity_changed", "customer": sender.key}
    new_number = str(fields.get("new_wa_id") or "919000000001")
    return {
        "body": f"User {sender.name} changed from {sender.key} to {new_number}",
        "wa_id": new_number,
        "type": "user_changed_number",
    }


def _sample_card() -> dict[str, Any]:
    return {
        "name": {"formatted_name": "Asha Rao", "first_name": "Asha", "last_name": "Rao"},
        "phones": [{"phone": "+91 98450 12345", "wa_id": "919845012345", "type": "CELL"}],
    }
