"""What officials hand in for a broadcast, poll, campaign or date (the API's JSON or the command
line's arguments), checked before anything is stored.

Each check returns the clean value or raises a ValueError that names the field, so the API
answers 400 with it and no worker ever meets a copy it cannot build (the shapes follow the
builder, nagarik.outbound.messages: a text per language, media as {type, link}).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES

MEDIA_TYPES = ("image", "video", "document")  # what messages.media sends by link
# A caption holds 1024 characters, and outside the window the template adds its own words.
LONGEST_TEXT = 900
LONGEST_LINK = 2000
LONGEST_ITEM = 64  # a ward, topic or language key
MEDIA_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")  # as Meta gives them (whatsapp.cloud.graph.MEDIA_ID)
LONGEST_FILENAME = 240


def texts(value: Any, field: str = "texts", longest: int | None = LONGEST_TEXT) -> dict[str, str]:
    """{language: text}: English at least, only known languages, every text a non-empty string."""
    if not isinstance(value, Mapping):
        raise ValueError(f'{field}: expected an object of texts by language, e.g. {{"en": "..."}}')
    unknown = sorted(str(lang) for lang in value if lang not in LANGUAGES)
    if unknown:
        raise ValueError(f"{field}: unknown language(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{field}.{lang}: expected a non-empty text")
        if longest is not None and len(text.strip()) > longest:
            raise ValueError(f"{field}.{lang}: {len(text.strip())} characters; at most {longest}")
    if "en" not in value:
        raise ValueError(f"{field}: needs at least an English text (en)")
    return {lang: text.strip() for lang, text in value.items()}


def is_https(link: Any) -> bool:
    if not isinstance(link, str) or len(link) > LONGEST_LINK or any(char.isspace() or ord(char) < 32 for char in link):
        return False
    try:
        parsed = urlparse(link)
        return parsed.scheme == "https" and bool(parsed.hostname)
    except ValueError:  # a broken address, e.g. an unclosed [IPv6
        return False


def media(value: Any, field: str = "media") -> dict[str, str] | None:
    """None, or {"type": image|video|document, "link": an https:// address}; the broadcast's text
    is the caption, so no other field is taken. A file uploaded to WhatsApp's media store (from
    the console, nagarik.outbound.media_upload) is {"type", "id", "filename"} instead."""
    if value is None:
        return None
    if isinstance(value, Mapping) and "id" in value:
        return _stored_media(value, field)
    if not isinstance(value, Mapping):
        raise ValueError(f'{field}: expected an object {{"type": {"|".join(MEDIA_TYPES)}, "link": "https://..."}}')
    extra = sorted(str(key) for key in value if key not in ("type", "link"))
    if extra:
        raise ValueError(f"{field}: unknown field(s) {', '.join(extra)}; only type and link (the text is the caption)")
    if value.get("type") not in MEDIA_TYPES:
        raise ValueError(f"{field}.type: must be one of {', '.join(MEDIA_TYPES)}")
    if not is_https(value.get("link")):
        raise ValueError(f"{field}.link: must be an https:// address (at most {LONGEST_LINK} characters)")
    return {"type": value["type"], "link": value["link"]}


def _stored_media(value: Mapping[str, Any], field: str) -> dict[str, str]:
    extra = sorted(str(key) for key in value if key not in ("type", "id", "filename"))
    if extra:
        raise ValueError(f"{field}: unknown field(s) {', '.join(extra)}; a stored file has type, id and filename")
    if value.get("type") not in MEDIA_TYPES:
        raise ValueError(f"{field}.type: must be one of {', '.join(MEDIA_TYPES)}")
    if not isinstance(value["id"], str) or not MEDIA_ID.fullmatch(value["id"]):
        raise ValueError(f"{field}.id: expected the media id WhatsApp gave")
    filename = value.get("filename") or ""
    if not isinstance(filename, str) or len(filename) > LONGEST_FILENAME:
        raise ValueError(f"{field}.filename: at most {LONGEST_FILENAME} characters")
    return {"type": value["type"], "id": value["id"], **({"filename": filename} if filename else {})}


def strings(value: Any, field: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """A list of keys (or, from a query string, one comma-separated text); empty when absent."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) and 0 < len(item) <= LONGEST_ITEM for item in value):
        raise ValueError(f'{field}: expected a list of names, e.g. ["jayanagar"]')
    if allowed is not None and set(value) - set(allowed):
        raise ValueError(f"{field}: unknown {', '.join(sorted(set(value) - set(allowed)))}; use {', '.join(allowed)}")
    return tuple(value)


def moment(value: Any, field: str) -> dt.datetime | None:
    """An ISO time (the office's local time unless it names its offset) as naive UTC; None when absent."""
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise TypeError
        return clock.from_local(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected an ISO time such as 2030-01-01T09:00 (IST unless it names its offset)") from None


def day(value: Any, field: str, required: bool = True) -> dt.date | None:
    """An ISO date (YYYY-MM-DD); None when absent and not required."""
    if (value is None or value == "") and not required:
        return None
    try:
        if not isinstance(value, str):
            raise TypeError
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a date YYYY-MM-DD") from None


def flag(value: Any, field: str, default: bool) -> bool:
    """true or false (not "false", which Python would take for true)."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{field}: expected true or false")
    return value


def text(value: Any, field: str, longest: int, default: str = "") -> str:
    """An optional text (a note, a reference), at most `longest` characters."""
    if value is None:
        return default
    if not isinstance(value, str) or len(value.strip()) > longest:
        raise ValueError(f"{field}: expected a text of at most {longest} characters")
    return value.strip()


def choice(value: Any, field: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise ValueError(f"{field}: must be one of {', '.join(allowed)}")
    return str(value)
