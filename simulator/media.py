"""Media held by the simulated number: uploads by the business and files citizens "sent"."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from .ids import media_id

MB = 1024 * 1024
_DOCUMENT_TYPES = (
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
# Base MIME type -> (media kind, largest upload). Sticker size: Meta allows 100 KB static, 500 KB animated.
UPLOAD_TYPES: dict[str, tuple[str, int]] = {
    "image/jpeg": ("image", 5 * MB),
    "image/png": ("image", 5 * MB),
    "image/webp": ("sticker", 500 * 1024),
    "video/mp4": ("video", 16 * MB),
    "video/3gpp": ("video", 16 * MB),
    "audio/aac": ("audio", 16 * MB),
    "audio/amr": ("audio", 16 * MB),
    "audio/mpeg": ("audio", 16 * MB),
    "audio/mp4": ("audio", 16 * MB),
    "audio/ogg": ("audio", 16 * MB),
    **{mime: ("document", 100 * MB) for mime in _DOCUMENT_TYPES},
}

# Which stored kinds each outbound media message accepts (any file can go out as a document).
SENDABLE_KINDS: dict[str, tuple[str, ...]] = {
    "image": ("image",),
    "video": ("video",),
    "audio": ("audio",),
    "sticker": ("sticker",),
    "document": ("image", "video", "audio", "sticker", "document"),
}


def base_mime(mime: str) -> str:
    return mime.split(";", 1)[0].strip().lower()


def kind_of(mime: str) -> str | None:
    entry = UPLOAD_TYPES.get(base_mime(mime))
    return entry[0] if entry else None


@dataclass
class MediaItem:
    id: str
    data: bytes
    mime_type: str
    filename: str | None
    origin: str  # "business" (uploaded) or "user" (a citizen's message)
    created: float

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def lookup_json(self, url: str) -> dict[str, object]:
        return {
            "url": url,
            "mime_type": self.mime_type,
            "sha256": self.sha256,
            "file_size": len(self.data),
            "id": self.id,
            "messaging_product": "whatsapp",
        }


class MediaStore:
    def __init__(self) -> None:
        self.items: dict[str, MediaItem] = {}
        self._urls: dict[str, tuple[str, float]] = {}  # url token -> (media id, expiry)

    def add(self, data: bytes, mime_type: str, *, filename: str | None, origin: str, now: float) -> MediaItem:
        item = MediaItem(media_id(), data, mime_type, filename, origin, now)
        self.items[item.id] = item
        return item

    def get(self, item_id: str) -> MediaItem | None:
        return self.items.get(item_id)

    def delete(self, item_id: str) -> bool:
        return self.items.pop(item_id, None) is not None

    def issue_url(self, item_id: str, now: float, ttl: float) -> tuple[str, float]:
        """A fresh download token for each lookup, valid for `ttl` seconds (Meta: 5 minutes)."""
        token = secrets.token_urlsafe(24)
        self._urls[token] = (item_id, now + ttl)
        return token, now + ttl

    def resolve(self, token: str, now: float) -> tuple[str, MediaItem | None]:
        """("ok", item), ("expired", None) or ("unknown", None)."""
        entry = self._urls.get(token)
        if entry is None:
            return "unknown", None
        item_id, expires = entry
        if now >= expires:
            return "expired", None
        item = self.items.get(item_id)
        return ("ok", item) if item else ("unknown", None)
