"""A turn as the citizen saw it on WhatsApp: the bot's text, buttons, list, image, document,
location pin or custom message (as whatsapp.outbound renders them), and the citizen's tap (the
button's title, not its payload), photo, voice note or pin. Pure: the template shows these."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nagarik.db import models

MAX_REPLY_BUTTONS = 3  # more become a list (whatsapp.outbound)


@dataclass
class Shown:
    turn: models.Turn
    text: str | None = None
    buttons: list[str] = field(default_factory=list)
    list_button: str | None = None  # the list's opening button, when the choices were a list
    rows: list[str] = field(default_factory=list)
    image: str | None = None
    document: str | None = None  # its link or name
    location: dict[str, str] | None = None  # latitude, longitude, name, address
    media: str | None = None  # what the citizen sent: image, video, document, audio (a voice note), sticker...
    payload: str | None = None  # the payload behind a tap, for the reviewer


def shown(turns: list[models.Turn]) -> list[Shown]:
    out: list[Shown] = []
    titles: dict[str, str] = {}  # the payloads of the latest bot message's choices, to their titles
    for turn in turns:
        if turn.kind == "bot":
            item = _bot(turn)
            titles = _choices(turn.data or {})
        elif turn.kind == "user":
            item = _user(turn, titles)
        else:
            item = Shown(turn)
        out.append(item)
    return out


def _choices(data: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for button in data.get("buttons") or data.get("quick_replies") or []:
        if isinstance(button, dict):
            title = str(button.get("title") or button.get("payload") or "")
            found[str(button.get("payload") or title)] = title
    custom = ((data.get("custom") or {}).get("whatsapp") or {}) if isinstance(data.get("custom"), dict) else {}
    action = (custom.get("interactive") or {}).get("action") or {} if isinstance(custom, dict) else {}
    for button in action.get("buttons") or []:
        reply = button.get("reply") or {} if isinstance(button, dict) else {}
        if reply.get("id"):
            found[str(reply["id"])] = str(reply.get("title") or reply["id"])
    for section in action.get("sections") or []:
        for row in (section.get("rows") or []) if isinstance(section, dict) else []:
            if isinstance(row, dict) and row.get("id"):
                found[str(row["id"])] = str(row.get("title") or row["id"])
    return found


def _bot(turn: models.Turn) -> Shown:
    data = turn.data or {}
    item = Shown(turn, text=turn.text, image=_str(data.get("image")), document=_str(data.get("attachment")))
    choices = data.get("buttons") or data.get("quick_replies") or []
    titles = [str(b.get("title") or b.get("payload") or "") for b in choices if isinstance(b, dict)]
    if len(titles) > MAX_REPLY_BUTTONS:
        item.list_button, item.rows = "☰", titles
    else:
        item.buttons = titles
    custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
    message = custom.get("whatsapp") if isinstance(custom.get("whatsapp"), dict) else None
    if message:
        _custom(item, message)
    elif custom:
        item.text = item.text or json.dumps(custom, ensure_ascii=False)[:500]
    return item


def _custom(item: Shown, message: dict[str, Any]) -> None:
    kind = str(message.get("type") or "")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        item.text = _str(part.get("body")) or item.text
    elif kind == "location":
        item.location = {key: str(part.get(key) or "") for key in ("latitude", "longitude", "name", "address")}
    elif kind == "image":
        item.image, item.text = _str(part.get("link") or part.get("id")), _str(part.get("caption")) or item.text
    elif kind in ("document", "video", "audio"):
        item.document = _str(part.get("filename") or part.get("link") or part.get("id"))
        item.text = _str(part.get("caption")) or item.text
    elif kind == "interactive":
        item.text = _str((part.get("body") or {}).get("text")) or item.text
        action = part.get("action") or {}
        buttons = [b for b in action.get("buttons") or [] if isinstance(b, dict)]
        item.buttons += [str((b.get("reply") or {}).get("title") or "") for b in buttons]
        sections = [s for s in action.get("sections") or [] if isinstance(s, dict)]
        if sections:
            item.list_button = _str(action.get("button")) or "☰"
            item.rows += [str(r.get("title") or "") for s in sections for r in s.get("rows") or [] if isinstance(r, dict)]
    elif kind == "template":
        item.text = item.text or f"[{(part.get('name') or '')}]"


def _user(turn: models.Turn, titles: dict[str, str]) -> Shown:
    data = turn.data or {}
    entities = data.get("entities") or {}
    item = Shown(turn, text=turn.text)
    if turn.text and turn.text.startswith("/"):
        item.payload, item.text = turn.text, titles.get(turn.text)
    if "latitude" in entities and "longitude" in entities:
        item.location = {"latitude": str(entities["latitude"]), "longitude": str(entities["longitude"]),
                         "name": str(entities.get("location_name") or ""), "address": ""}  # fmt: skip
    sent = data.get("whatsapp_type")
    kind = entities.get("media_type") or (sent if sent not in (None, "text", "interactive", "button", "location") else None)
    if kind:
        item.media = str(kind)
    return item


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") and not isinstance(value, (dict, list)) else None
