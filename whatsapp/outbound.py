"""Rasa responses as WhatsApp messages, always within Meta's limits.

Text is split above 4096 characters; 1-3 buttons become reply buttons, 4-10 a list, more than 10
several lists in a row. Titles are shortened without cutting a letter (a consonant and its vowel
signs stay together). Button ids are the Rasa payloads, so a tap comes back as the payload; a
button without a title shows its payload's words, and a repeated payload is one button.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from whatsapp import limits, messages, payloads

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
            if cut == 0:
                cut = limit  # marks without a letter to keep them with: there is no letter to split
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_message(body: str) -> messages.Message:
    return messages.text(body)


Choice = tuple[str, str]  # (payload, title) of one button or list row


def choices(buttons: Any) -> list[Choice]:
    """Rasa's buttons as (payload, title): a button without a payload sends its title; one without
    a (readable) title shows its payload's words; one with neither, or repeating an earlier
    payload (the same choice twice), is left out."""
    if not isinstance(buttons, list):
        raise messages.UnsendableMessageError(f"buttons that are {type(buttons).__name__}, not a list")
    out: list[Choice] = []
    for button in buttons:
        if not isinstance(button, dict):
            continue
        title = _words(button.get("title"))
        payload = _words(button.get("payload"), keep=True) or title
        if not title and len(payload) <= limits.BUTTON_ID:  # a longer payload is refused anyway
            title = _words(payloads.readable(payload))
        if title and payload not in (seen for seen, _ in out):
            out.append((payload, title))
    return out


def _words(value: Any, *, keep: bool = False) -> str:
    """A title (on one line) or, with `keep`, a payload (as it is) from whatever Rasa passed; "" for none."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    words = str(value)
    if not words.strip():
        return ""
    return words if keep else " ".join(messages.clean(words).split())


def reply_buttons(body: str, buttons: list[Choice]) -> messages.Message:
    return messages.reply_buttons(body, buttons)


def list_message(body: str, rows: list[Choice]) -> messages.Message:
    label = LIST_BUTTON_LABELS[script_language(body)]
    return messages.list_message(body, label, [messages.list_row(payload, title) for payload, title in rows])


def _custom(body: Any) -> messages.Message:
    """A message an action built for WhatsApp itself (with whatsapp.messages): at least its shape."""
    kind = body.get("type")
    if not isinstance(kind, str) or not isinstance(body.get(kind), dict):
        raise messages.UnsendableMessageError(f"a custom WhatsApp message of type {kind!r:.40} without its {kind!r:.40} part")
    return body


def render(response: dict[str, Any]) -> list[messages.Message]:
    """The WhatsApp messages for one Rasa bot response (text, buttons, image, attachment, custom);
    UnsendableMessageError for a response that gives no valid message."""
    out: list[messages.Message] = []
    text = messages.clean(str(response.get("text") or "")).strip()
    buttons = choices(response.get("buttons") or response.get("quick_replies") or [])
    custom = response.get("custom") or {}

    if isinstance(custom, dict) and isinstance(custom.get("whatsapp"), dict):
        out.append(_custom(custom["whatsapp"]))
    if response.get("image"):
        caption = text if len(text) <= limits.CAPTION and not buttons else ""
        out.append(messages.media("image", link=_words(response["image"], keep=True), caption=caption))
        text = "" if caption else text
    if response.get("attachment"):
        out.append(messages.media("document", link=_words(response["attachment"], keep=True)))

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
    if not out:
        raise messages.UnsendableMessageError(f"nothing to send in a response with {sorted(response)[:5]}")
    return out
