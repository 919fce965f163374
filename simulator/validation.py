"""Checks on a send, as Graph makes them, answered with Graph's error codes.

Codes: 100 for a value of the wrong kind (or a missing top-level parameter, as Graph words it),
131008 for a missing parameter inside the message, 131009 for a value outside Meta's limits,
131051 for a message type the API does not send. Lengths are Python len() (code points).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .errors import GraphError, invalid, missing, not_valid
from .media import SENDABLE_KINDS, MediaStore, kind_of
from .templates import Template, TemplateRegistry

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
CAPTIONED = ("image", "video", "document")
SEND_TYPES = ("text", "interactive", "template", "location", "reaction", "contacts", *MEDIA_TYPES)
INTERACTIVE_TYPES = ("button", "list", "cta_url", "flow", "location_request_message")
# Business-scoped user ids: "US.13491208655302741918", "US.ENT.11815799212886844830".
BSUID = re.compile(r"[A-Z]{2}(\.[A-Z]+)?\.[0-9A-Za-z]+")

TEXT_BODY, INTERACTIVE_BODY, HEADER, FOOTER, CAPTION = 4096, 1024, 60, 60, 1024
BUTTONS, BUTTON_TITLE, BUTTON_ID = 3, 20, 256
LIST_BUTTON, SECTIONS, ROWS, ROW_TITLE, ROW_DESCRIPTION, ROW_ID, SECTION_TITLE = 20, 10, 10, 24, 72, 200, 24
CALLBACK_DATA = 512


@dataclass
class Accepted:
    """A send that passed every check: who it goes to and what the citizen will see."""

    type: str
    key: str  # the recipient as the window and the pair limiter know it (wa_id, or BSUID)
    to: str | None  # normalised wa_id
    user_id: str | None
    contact: dict[str, str]  # contacts[0] of the answer
    template: Template | None = None
    rendered: str = ""
    choices: list[dict[str, Any]] = field(default_factory=list)


def check_messaging_product(payload: dict[str, Any]) -> None:
    product = payload.get("messaging_product")
    if product is None:
        raise invalid("The parameter messaging_product is required.")
    if product != "whatsapp":
        raise invalid(f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".')


def validate_send(payload: Any, *, templates: TemplateRegistry, media: MediaStore) -> Accepted:
    if not isinstance(payload, dict):
        raise invalid("The request body must be a JSON object")
    check_messaging_product(payload)
    if payload.get("recipient_type", "individual") != "individual":
        raise invalid("Param recipient_type must be one of {INDIVIDUAL}")
    to, user_id, contact = _recipient(payload)
    kind = payload.get("type", "text")  # Graph treats a missing type as text
    if not isinstance(kind, str):
        raise invalid("Param type must be a string")
    if kind not in SEND_TYPES:
        raise GraphError(131051, f"Message type {kind!r} is not supported")
    _context(payload.get("context"))
    callback = payload.get("biz_opaque_callback_data")
    if callback is not None:
        _string("biz_opaque_callback_data", callback, 0, CALLBACK_DATA)
    accepted = Accepted(type=kind, key=to or user_id or "", to=to, user_id=user_id, contact=contact)
    obj = payload.get(kind)
    if kind == "template":
        accepted.template, accepted.rendered, accepted.choices = templates.check_send(obj)
    elif kind in MEDIA_TYPES:
        _media(kind, obj, accepted, media)
    else:
        _CHECKS[kind](obj, accepted)
    return accepted


# --- small helpers -------------------------------------------------------------------------------


def _object(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        raise missing(where)
    if not isinstance(value, dict):
        raise invalid(f"Param {where} must be a JSON object")
    return value


def _string(where: str, value: Any, low: int, high: int) -> str:
    if value is None:
        raise missing(where)
    if not isinstance(value, str):
        raise invalid(f"Param {where} must be a string")
    if not low <= len(value) <= high:
        raise not_valid(f"{where} length invalid. Min length: {low}, Max length: {high}, got {len(value)}")
    return value


def _only(where: str, obj: dict[str, Any], allowed: set[str]) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid(f'Unexpected key "{key}" on param "{where}"')


def _url(where: str, value: Any) -> str:
    link = _string(where, value, 1, 2000)
    parsed = urlparse(link)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise not_valid(f"{where} is not a valid http(s) URL")
    return link


def _recipient(payload: dict[str, Any]) -> tuple[str | None, str | None, dict[str, str]]:
    to, recipient = payload.get("to"), payload.get("recipient")
    if to is None and recipient is None:
        raise invalid("The parameter to is required.")
    contact: dict[str, str] = {}
    wa_id = None
    if to is not None:
        if not isinstance(to, str | int) or isinstance(to, bool):
            raise invalid("Param to must be a string")
        wa_id = re.sub(r"[\s\-().]", "", str(to)).lstrip("+")
        if not wa_id.isdigit() or not 7 <= len(wa_id) <= 15:
            raise invalid(f"Param to is not a valid phone number: {to!r}")
        contact = {"input": str(to), "wa_id": wa_id}
    if recipient is not None:
        if not isinstance(recipient, str) or not BSUID.fullmatch(recipient):
            raise invalid("Param recipient must be a business-scoped user id such as US.13491208655302741918")
        contact.setdefault("input", recipient)
        contact["user_id"] = recipient
    return wa_id, recipient, contact


def _context(context: Any) -> None:
    if context is None:
        return
    context = _object("context", context)
    _string("context['message_id']", context.get("message_id"), 1, 512)


# --- message types -------------------------------------------------------------------------------


def _text(obj: Any, accepted: Accepted) -> None:
    obj = _object("text", obj)
    _only("text", obj, {"body", "preview_url"})
    accepted.rendered = _string("text['body']", obj.get("body"), 1, TEXT_BODY)
    if "preview_url" in obj and not isinstance(obj["preview_url"], bool):
        raise invalid("Param text['preview_url'] must be a boolean")


def _media(kind: str, obj: Any, accepted: Accepted, store: MediaStore) -> None:
    obj = _object(kind, obj)
    allowed = {"id", "link"} | ({"caption"} if kind in CAPTIONED else set()) | ({"filename"} if kind == "document" else set())
    _only(kind, obj, allowed)
    has_id, has_link = obj.get("id") not in (None, ""), obj.get("link") not in (None, "")
    if has_id and has_link:
        raise not_valid(f"{kind}: give either id or link, not both")
    if not (has_id or has_link):
        raise missing(f"{kind}['id'] or {kind}['link']")
    if has_id:
        media_id = obj["id"]
        if not isinstance(media_id, str | int) or isinstance(media_id, bool):
            raise invalid(f"Param {kind}['id'] must be a string")
        item = store.get(str(media_id))
        if item is None:
            raise invalid(f"Param {kind}['id'] is not a valid media id: {media_id}")
        if kind_of(item.mime_type) not in SENDABLE_KINDS[kind]:
            raise not_valid(f"Media of type {item.mime_type} cannot be sent as {kind}")
    else:
        _url(f"{kind}['link']", obj["link"])
    caption = ""
    if "caption" in obj:
        caption = _string(f"{kind}['caption']", obj["caption"], 0, CAPTION)
    if "filename" in obj:
        _string("document['filename']", obj["filename"], 1, 240)
    accepted.rendered = caption


def _header(obj: Any, interactive_type: str) -> str | None:
    if obj is None:
        return None
    header = _object("interactive['header']", obj)
    kind = header.get("type")
    if kind is None:
        raise missing("interactive['header']['type']")
    if kind not in ("text", "image", "video", "document"):
        raise invalid("Param interactive['header']['type'] must be one of {TEXT, IMAGE, VIDEO, DOCUMENT}")
    if kind == "text":
        return _string("interactive['header']['text']", header.get("text"), 1, HEADER)
    if interactive_type not in ("button", "cta_url"):
        raise not_valid(f"{interactive_type} messages only support text headers")
    media = _object(f"interactive['header']['{kind}']", header.get(kind))
    if bool(media.get("id")) == bool(media.get("link")):
        raise not_valid(f"interactive['header']['{kind}'] needs exactly one of id or link")
    if media.get("link"):
        _url(f"interactive['header']['{kind}']['link']", media["link"])
    return f"[{kind}]"


def _interactive(obj: Any, accepted: Accepted) -> None:
    obj = _object("interactive", obj)
    kind = obj.get("type")
    if kind is None:
        raise missing("interactive['type']")
    if kind not in INTERACTIVE_TYPES:
        raise invalid("Param interactive['type'] must be one of {BUTTON, LIST, CTA_URL, FLOW, LOCATION_REQUEST_MESSAGE}")
    body = _object("interactive['body']", obj.get("body"))
    text = _string("interactive['body']['text']", body.get("text"), 1, INTERACTIVE_BODY)
    header = _header(obj.get("header"), kind)
    footer = None
    if obj.get("footer") is not None:
        footer = _string("interactive['footer']['text']", _object("interactive['footer']", obj["footer"]).get("text"), 1, FOOTER)
    action = _object("interactive['action']", obj.get("action"))
    accepted.choices = _ACTIONS[kind](action)
    accepted.rendered = "\n".join(part for part in (header, text, footer) if part)


def _buttons(action: dict[str, Any]) -> list[dict[str, Any]]:
    buttons = action.get("buttons")
    if buttons is None:
        raise missing("interactive['action']['buttons']")
    if not isinstance(buttons, list):
        raise invalid("Param interactive['action']['buttons'] must be an array")
    if not 1 <= len(buttons) <= BUTTONS:
        raise not_valid(f"Buttons count invalid. Min: 1, Max: {BUTTONS}, got {len(buttons)}")
    choices: list[dict[str, Any]] = []
    for number, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{number}]"
        button = _object(where, button)
        if button.get("type") is None:
            raise missing(f"{where}['type']")
        if button["type"] != "reply":
            raise invalid(f"Param {where}['type'] must be one of {{REPLY}}")
        reply = _object(f"{where}['reply']", button.get("reply"))
        reply_id = _string(f"{where}['reply']['id'] (button id)", reply.get("id"), 1, BUTTON_ID)
        title = _string(f"{where}['reply']['title'] (button title)", reply.get("title"), 1, BUTTON_TITLE)
        if any(choice["id"] == reply_id for choice in choices):
            raise not_valid(f"Button IDs must be unique: {reply_id!r} is repeated")
        if any(choice["title"] == title for choice in choices):
            raise not_valid(f"Button titles must be unique: {title!r} is repeated")
        choices.append({"kind": "button_reply", "id": reply_id, "title": title})
    return choices


def _list(action: dict[str, Any]) -> list[dict[str, Any]]:
    _string("interactive['action']['button'] (list button)", action.get("button"), 1, LIST_BUTTON)
    sections = action.get("sections")
    if sections is None:
        raise missing("interactive['action']['sections']")
    if not isinstance(sections, list):
        raise invalid("Param interactive['action']['sections'] must be an array")
    if not 1 <= len(sections) <= SECTIONS:
        raise not_valid(f"Sections count invalid. Min: 1, Max: {SECTIONS}, got {len(sections)}")
    choices: list[dict[str, Any]] = []
    for number, section in enumerate(sections):
        where = f"interactive['action']['sections'][{number}]"
        section = _object(where, section)
        title = section.get("title")
        if title is None and len(sections) > 1:
            raise missing(f"{where}['title'] (required when there is more than one section)")
        if title is not None:
            _string(f"{where}['title'] (section title)", title, 1, SECTION_TITLE)
        rows = section.get("rows")
        if rows is None:
            raise missing(f"{where}['rows']")
        if not isinstance(rows, list):
            raise invalid(f"Param {where}['rows'] must be an array")
        if not rows:
            raise not_valid(f"{where} has no rows")
        for row_number, row in enumerate(rows):
            row_where = f"{where}['rows'][{row_number}]"
            row = _object(row_where, row)
            row_id = _string(f"{row_where}['id'] (row id)", row.get("id"), 1, ROW_ID)
            row_title = _string(f"{row_where}['title'] (row title)", row.get("title"), 1, ROW_TITLE)
            description = row.get("description")
            if description is not None:
                _string(f"{row_where}['description'] (row description)", description, 0, ROW_DESCRIPTION)
            if any(choice["id"] == row_id for choice in choices):
                raise not_valid(f"Row IDs must be unique: {row_id!r} is repeated")
            choices.append(
                {"kind": "list_reply", "id": row_id, "title": row_title, "description": description or "", "section": title}
            )
    if not 1 <= len(choices) <= ROWS:
        raise not_valid(f"Total row count invalid. Min: 1, Max: {ROWS}, got {len(choices)}")
    return choices


def _cta_url(action: dict[str, Any]) -> list[dict[str, Any]]:
    if action.get("name") != "cta_url":
        raise invalid("Param interactive['action']['name'] must be cta_url")
    parameters = _object("interactive['action']['parameters']", action.get("parameters"))
    text = _string("interactive['action']['parameters']['display_text']", parameters.get("display_text"), 1, 20)
    url = _url("interactive['action']['parameters']['url']", parameters.get("url"))
    return [{"kind": "url", "title": text, "url": url}]


def _flow(action: dict[str, Any]) -> list[dict[str, Any]]:
    if action.get("name") != "flow":
        raise invalid("Param interactive['action']['name'] must be flow")
    parameters = _object("interactive['action']['parameters']", action.get("parameters"))
    _string("interactive['action']['parameters']['flow_message_version']", parameters.get("flow_message_version"), 1, 8)
    cta = _string("interactive['action']['parameters']['flow_cta']", parameters.get("flow_cta"), 1, 20)
    if not (parameters.get("flow_id") or parameters.get("flow_name")):
        raise missing("interactive['action']['parameters']['flow_id'] or ['flow_name']")
    if parameters.get("flow_action", "navigate") not in ("navigate", "data_exchange"):
        raise invalid("Param interactive['action']['parameters']['flow_action'] must be one of {NAVIGATE, DATA_EXCHANGE}")
    return [{"kind": "flow", "title": cta, "flow_token": parameters.get("flow_token", "unused")}]


def _location_request(action: dict[str, Any]) -> list[dict[str, Any]]:
    if action.get("name") != "send_location":
        raise invalid("Param interactive['action']['name'] must be send_location")
    return [{"kind": "location", "title": "Send location"}]


_ACTIONS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "button": _buttons,
    "list": _list,
    "cta_url": _cta_url,
    "flow": _flow,
    "location_request_message": _location_request,
}


def _coordinate(where: str, value: Any, limit: float) -> float:
    if value is None:
        raise missing(where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(f"Param {where} must be a number") from None
    if isinstance(value, bool) or not -limit <= number <= limit:
        raise not_valid(f"{where} must be between -{limit:g} and {limit:g}")
    return number


def _location(obj: Any, accepted: Accepted) -> None:
    obj = _object("location", obj)
    latitude = _coordinate("location['latitude']", obj.get("latitude"), 90)
    longitude = _coordinate("location['longitude']", obj.get("longitude"), 180)
    for key in ("name", "address"):
        if obj.get(key) is not None:
            _string(f"location['{key}']", obj[key], 0, 1000)
    accepted.rendered = " ".join(
        str(part) for part in (obj.get("name"), obj.get("address"), f"({latitude}, {longitude})") if part
    )


def _reaction(obj: Any, accepted: Accepted) -> None:
    obj = _object("reaction", obj)
    _string("reaction['message_id']", obj.get("message_id"), 1, 512)
    if "emoji" not in obj:
        raise missing("reaction['emoji']")
    accepted.rendered = _string("reaction['emoji']", obj["emoji"], 0, 16)  # "" removes the reaction


def _contacts(obj: Any, accepted: Accepted) -> None:
    if obj is None:
        raise missing("contacts")
    if not isinstance(obj, list) or not obj:
        raise invalid("Param contacts must be a non-empty array")
    names = []
    for number, card in enumerate(obj):
        card = _object(f"contacts[{number}]", card)
        name = _object(f"contacts[{number}]['name']", card.get("name"))
        names.append(_string(f"contacts[{number}]['name']['formatted_name']", name.get("formatted_name"), 1, 1000))
    accepted.rendered = ", ".join(names)


_CHECKS: dict[str, Callable[[Any, Accepted], None]] = {
    "text": _text,
    "interactive": _interactive,
    "location": _location,
    "reaction": _reaction,
    "contacts": _contacts,
}
