"""Rasa responses as WhatsApp messages, always within Meta's limits.

Text is split above 4096 characters; 1-3 buttons become reply buttons, 4-10 a list, more than 10
several lists in a row. Titles are shortened without cutting a letter (a consonant and its vowel
signs stay together). Button ids are the Rasa payloads, so a tap comes back as the payload.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from whatsapp import limits, messages

# The list's opening button, in the language the message is written in.
LIST_BUTTON_LABELS = {"kn": "ಆಯ್ಕೆಗಳು", "hi": "विकल्प", "en": "Options"}

# What the channel says, once, when it could not handle a message at all (after its retries), in
# the language the message was written in: the message is not silently dropped.
APOLOGIES = {
    "en": "Sorry, something went wrong on our side and your last message was not handled. Please send it again.",
    "hi": "माफ़ कीजिए, हमारी ओर से कुछ गड़बड़ी हुई और आपका पिछला संदेश संभाला नहीं जा सका। कृपया उसे फिर से भेजें।",
    "kn": "ಕ್ಷಮಿಸಿ, ನಮ್ಮ ಕಡೆ ಏನೋ ತೊಂದರೆಯಾಗಿ ನಿಮ್ಮ ಕೊನೆಯ ಸಂದೇಶವನ್ನು ನಿರ್ವಹಿಸಲಾಗಲಿಲ್ಲ. ದಯವಿಟ್ಟು ಅದನ್ನು ಮತ್ತೆ ಕಳುಹಿಸಿ.",
}


def script_language(text: str) -> str:
    for ch in text:
        if "\u0c80" <= ch <= "\u0cff":
            return "kn"
        if "\u0900" <= ch <= "\u097f":
            return "hi"
    return "en"


def apology(text: str) -> messages.Message:
    """The apology for a message that could not be handled, in the script of that message."""
    return text_message(APOLOGIES[script_language(text)])


def split_text(text: str, limit: int = limits.TEXT_BODY) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or space where possible."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
            while cut > 0 and unicodedata.category(rest[cut])[0] == "M":
                cut -= 1  # never leave a vowel sign without its consonant
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_message(body: str) -> messages.Message:
    return messages.text(body)


def _payload(button: dict[str, Any], limit: int) -> str:
    return messages.checked_payload(str(button.get("payload") or button.get("title") or ""), limit)


def reply_buttons(body: str, buttons: list[dict[str, Any]]) -> messages.Message:
    return messages.reply_buttons(body, [(_payload(b, limits.BUTTON_ID), str(b["title"])) for b in buttons])


def list_message(body: str, rows: list[dict[str, Any]]) -> messages.Message:
    label = LIST_BUTTON_LABELS[script_language(body)]
    return messages.list_message(
        body, label, [messages.list_row(_payload(row, limits.ROW_ID), str(row["title"])) for row in rows]
    )


def render(response: dict[str, Any]) -> list[messages.Message]:
    """The WhatsApp messages for one Rasa bot response (text, buttons, image, attachment, custom)."""
    out: list[messages.Message] = []
    text = str(response.get("text") or "").strip()
    buttons = response.get("buttons") or response.get("quick_replies") or []
    custom = response.get("custom") or {}

    if isinstance(custom, dict) and isinstance(custom.get("whatsapp"), dict):
        out.append(custom["whatsapp"])  # a message an action built for WhatsApp itself
    if response.get("image"):
        caption = text if len(text) <= limits.CAPTION and not buttons else ""
        image: dict[str, Any] = {"link": response["image"]}
        if caption:
            image["caption"] = caption
            text = ""
        out.append({"type": "image", "image": image})
    if response.get("attachment"):
        out.append({"type": "document", "document": {"link": str(response["attachment"])}})

    if buttons:
        body = text or "⬇️"
        if len(body) > limits.INTERACTIVE_BODY:
            *leading, body = split_text(body, limits.INTERACTIVE_BODY)
            out.extend(text_message(piece) for piece in leading)
        if len(buttons) <= limits.REPLY_BUTTONS:
            out.append(reply_buttons(body, buttons))
        else:
            pages = [buttons[i : i + limits.LIST_ROWS] for i in range(0, len(buttons), limits.LIST_ROWS)]
            for number, page in enumerate(pages, start=1):
                page_body = body if number == 1 else f"({number}/{len(pages)})"
                out.append(list_message(page_body, page))
    elif text:
        out.extend(text_message(piece) for piece in split_text(text))
    return out
