"""The one place where Graph message bodies are built, each field cut to Meta's limit.

Every builder returns a message body without `messaging_product` / `to`; `addressed` makes the
whole request from one, for whoever sends it (the channel's replies, the broadcast workers' copies).
Text is cut with `cut`, never by slicing, so a Devanagari or Kannada letter (a consonant with its
vowel signs, or two consonants joined by a virama) is never split. Payloads are not cut: a payload
over its limit would come back as something else, so it is an error. Titles are on one line,
never blank, and unique within a message (WhatsApp refuses repeated button titles, and a citizen
could not tell two equal rows apart); ids are unique (a tap must say which one was meant). Text
holds no lone surrogate: it has no UTF-8, and the HTTP client would fail on it at every retry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from whatsapp import limits

Message = dict[str, Any]  # a Graph message body without messaging_product / recipient

_VIRAMAS = "\u094d\u0ccd"  # Devanagari and Kannada: joins the next consonant into one letter
# A business-scoped user id (BSUID), how WhatsApp names a user whose phone number it does not share:
# "US.13491208655302741918", "US.ENT.11815799212886844830". A phone number is digits only.
USER_ID = re.compile(r"[A-Z]{2}(\.[A-Z]+)?\.[0-9A-Za-z]+")


class UnsendableMessageError(ValueError):
    """A message that cannot be valid on the wire (an empty payload, or one over its limit)."""


def is_user_id(recipient: str) -> bool:
    """Whether a sender id is a business-scoped user id rather than a phone number."""
    return bool(USER_ID.fullmatch(recipient))


def addressed(recipient: str, body: Message, *, by_user_id: bool | None = None) -> dict[str, Any]:
    """The whole send request: a phone number goes in `to`, a business-scoped user id in
    `recipient` (a citizen known only by it has no number to send to). Unless the caller knows
    (the channel does, from the webhook), the id's form says which."""
    if by_user_id is None:
        by_user_id = is_user_id(recipient)
    address = "recipient" if by_user_id else "to"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", **body, address: recipient}


def cut(text: str, limit: int) -> str:
    """At most `limit` characters without splitting a letter, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    end = limit - 1
    # Step back while the cut would leave a vowel sign behind, or end on a virama.
    while end > 0 and (unicodedata.category(text[end])[0] == "M" or text[end - 1] in _VIRAMAS):
        end -= 1
    return text[:end].rstrip() + "…"


def clean(text: str) -> str:
    """Text that can go on the wire: without NUL, and a lone surrogate (which JSON can escape but
    no UTF-8 holds) replaced by U+FFFD."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def checked_payload(payload: str, limit: int) -> str:
    if not payload.strip() or len(payload) > limit or clean(payload) != payload:
        raise UnsendableMessageError(f"payload {payload[:40]!r}… is blank, longer than {limit} characters or not text")
    return payload


def title(words: str, limit: int) -> str:
    """A button's or row's title: on one line, cut to `limit`; a blank one is an error."""
    line = " ".join(clean(words).split())
    if not line:
        raise UnsendableMessageError("a button or list row without a title")
    return cut(line, limit)


def unique_titles(titles: Sequence[str], limit: int) -> list[str]:
    """The titles with each repeat numbered, "Yes (2)", still within `limit` (two long titles may
    only become equal once cut)."""
    shown: list[str] = []
    for words in titles:
        candidate, number = words, 2
        while candidate in shown:
            suffix = f" ({number})"
            candidate = cut(words.removesuffix("…"), limit - len(suffix)) + suffix
            number += 1
        shown.append(candidate)
    return shown


def _unique_ids(ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        raise UnsendableMessageError(f"a payload appears twice among {len(ids)}: a tap could not say which was meant")


def text(body: str) -> Message:
    """A text message (the caller splits text over 4096 characters: whatsapp.outbound.split_text)."""
    body = clean(body)
    if not body.strip() or len(body) > limits.TEXT_BODY:
        raise UnsendableMessageError(f"a text of {len(body)} characters: WhatsApp takes 1 to {limits.TEXT_BODY}")
    return {"type": "text", "text": {"body": body, "preview_url": "http://" in body or "https://" in body}}


def media(kind: str, *, link: str | None = None, media_id: str | None = None, caption: str = "", filename: str = "") -> Message:
    """An image, video or document by public link or uploaded media id, with an optional caption."""
    if (link is None) == (media_id is None):
        raise ValueError("a media message needs exactly one of link and media_id")
    source = link if link is not None else media_id
    if not isinstance(source, str) or not source.strip() or clean(source) != source:
        raise UnsendableMessageError(f"a {kind} whose link or media id is {source!r:.40}")
    body: dict[str, Any] = {"link": link} if link is not None else {"id": media_id}
    caption, filename = clean(caption).strip(), clean(filename).strip()
    if caption:
        body["caption"] = cut(caption, limits.CAPTION)
    if filename and kind == "document":
        body["filename"] = cut(filename, limits.DOCUMENT_FILENAME)
    return {"type": kind, kind: body}


def _interactive(kind: str, body: str, action: dict[str, Any], footer: str = "", header: dict[str, Any] | None = None) -> Message:
    body, footer = clean(body).strip(), clean(footer).strip()
    if not body:
        raise UnsendableMessageError("an interactive message without a body")
    interactive: dict[str, Any] = {"type": kind, "body": {"text": cut(body, limits.INTERACTIVE_BODY)}}
    if header:
        interactive["header"] = header
    if footer:
        interactive["footer"] = {"text": cut(footer, limits.FOOTER)}
    interactive["action"] = action
    return {"type": "interactive", "interactive": interactive}


def image_header(media: dict[str, str]) -> dict[str, Any]:
    """A reply-button message's image above its body: {"id": a media-store id} or {"link": https}."""
    if media.get("id"):
        return {"type": "image", "image": {"id": media["id"]}}
    if str(media.get("link", "")).startswith("https://"):
        return {"type": "image", "image": {"link": media["link"]}}
    raise UnsendableMessageError("an image header needs a media id or an https link")


def reply_buttons(
    body: str, buttons: Sequence[tuple[str, str]], footer: str = "", image: dict[str, str] | None = None
) -> Message:
    """1-3 reply buttons, each (payload, title); a tap comes back with the payload. `image`
    ({"id"} or {"link"}) goes above the body (an officer's photo of the repair)."""
    if not 1 <= len(buttons) <= limits.REPLY_BUTTONS:
        raise UnsendableMessageError(f"{len(buttons)} reply buttons: WhatsApp takes 1 to {limits.REPLY_BUTTONS}")
    ids = [checked_payload(payload, limits.BUTTON_ID) for payload, _ in buttons]
    _unique_ids(ids)
    titles = unique_titles([title(words, limits.BUTTON_TITLE) for _, words in buttons], limits.BUTTON_TITLE)
    action = {
        "buttons": [{"type": "reply", "reply": {"id": id_, "title": shown}} for id_, shown in zip(ids, titles, strict=True)]
    }
    return _interactive("button", body, action, footer, image_header(image) if image else None)


def list_row(payload: str, name: str, description: str = "") -> dict[str, str]:
    """One row; a title too long for the row goes whole into the description, where it fits."""
    line = " ".join(clean(name).split())
    row = {"id": checked_payload(payload, limits.ROW_ID), "title": title(line, limits.ROW_TITLE)}
    description = " ".join(clean(description).split()) or (line if len(line) > limits.ROW_TITLE else "")
    if description:
        row["description"] = cut(description, limits.ROW_DESCRIPTION)
    return row


def list_message(body: str, button: str, rows: Iterable[dict[str, str]], footer: str = "") -> Message:
    """A list of up to 10 rows (built with `list_row`) behind a button labelled `button`."""
    rows = list(rows)
    if not 1 <= len(rows) <= limits.LIST_ROWS:
        raise UnsendableMessageError(f"{len(rows)} list rows: WhatsApp takes 1 to {limits.LIST_ROWS}")
    _unique_ids([row["id"] for row in rows])
    titles = unique_titles([row["title"] for row in rows], limits.ROW_TITLE)
    rows = [{**row, "title": shown} for row, shown in zip(rows, titles, strict=True)]
    action = {"button": title(button, limits.LIST_BUTTON), "sections": [{"rows": rows}]}
    return _interactive("list", body, action, footer)


def template(name: str, language: str, parameters: Sequence[str] = (), quick_replies: Sequence[str] = ()) -> Message:
    """An approved template with its body parameters (on one line each, as Meta requires) and the
    payloads of its quick-reply buttons, in order."""
    components: list[dict[str, Any]] = []
    if parameters:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": " ".join(str(p).split())} for p in parameters]}
        )
    for index, payload in enumerate(quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": checked_payload(payload, limits.BUTTON_ID)}],
            }
        )
    return {"type": "template", "template": {"name": name, "language": {"code": language}, "components": components}}
