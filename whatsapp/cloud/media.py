"""Grievance evidence: a citizen's photo, video or document, fetched and kept under a new name.

Only when the conversation expects evidence (the channel asks the tracker) and within the
citizen's daily quota; otherwise nothing is downloaded. The download URL expires within minutes,
so media is fetched as soon as the message is handled. The claimed MIME type is not trusted: the
file's first bytes must say what it is. What cannot be fetched or kept becomes a reason the
assistant answers (the `media_type` of an `unsupported` message), never a retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from whatsapp.cloud.graph import GONE, REFUSED, TOO_LARGE, GraphClient, RejectedMediaError
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.inbound import InboundMessage
from whatsapp.limits import EVIDENCE_MEDIA

if TYPE_CHECKING:
    from whatsapp.cloud.store import Store

logger = logging.getLogger(__name__)

# Why nothing was fetched (the `media_type` the assistant gets, like the reasons in graph.py).
NOT_EXPECTED = "media_not_expected"  # no complaint is waiting for a photo
OVER_QUOTA = "media_quota"  # the citizen sent more than the daily quota

# Leading bytes of the file types kept as evidence -> (MIME type, file extension).
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
# The names fetch_evidence gives: a random hex id and the extension of what the bytes are.
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|pdf|mp4|3gp)")


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, mime, extension in _SIGNATURES:
        if data.startswith(magic):
            return mime, extension
    if data[4:8] == b"ftyp":  # ISO media: MP4 and 3GP video
        brand = data[8:12]
        return ("video/3gpp", "3gp") if brand.startswith(b"3g") else ("video/mp4", "mp4")
    return None


def stored_evidence(name: str, directory: Path) -> Path | None:
    """The file of an evidence reference the channel made, or None for anything else (a path, a
    name typed in, a file that is not there)."""
    if not STORED_NAME.fullmatch(name):
        return None
    path = directory / name
    return path if path.is_file() else None


async def receive_evidence(
    graph: GraphClient, store: Store, settings: WhatsAppSettings, message: InboundMessage, *, expected: bool
) -> InboundMessage:
    """A citizen's media message as the assistant gets it: with the stored file's name as its
    media_id, or as an `unsupported` message whose media_type says why nothing was kept.
    Errors worth trying again (timeouts, 5xx, the store down) are raised for the inbox to retry."""
    if not expected:
        return _refused(message, NOT_EXPECTED, "no complaint is waiting for evidence")
    count, size = await asyncio.to_thread(store.media_fetched, message.sender)
    if count >= settings.media_per_day:
        return _refused(message, OVER_QUOTA, f"{count} files in 24 hours")
    try:
        name = await fetch_evidence(
            graph,
            message.media_type or "",
            message.media_id or "",
            settings.evidence_dir,
            bytes_left=settings.media_bytes_per_day - size,
            on_download=lambda fetched: asyncio.to_thread(store.record_media_fetch, message.sender, message.id, fetched),
        )
    except RejectedMediaError as exc:
        return _refused(message, exc.reason, str(exc))
    return dataclasses.replace(message, media_id=name)


async def fetch_evidence(
    graph: GraphClient,
    media_type: str,
    media_id: str,
    directory: Path,
    *,
    bytes_left: int | None = None,
    on_download: Callable[[int], Awaitable[object]] | None = None,
) -> str:
    """Download, check and store one file; return its stored name (the grievance's evidence reference).
    `bytes_left`: what the citizen's quota still allows; `on_download(size)` is awaited once the
    bytes are in (they count against the quota whether or not the file is kept)."""
    if media_type not in EVIDENCE_MEDIA:
        raise RejectedMediaError(REFUSED, f"{media_type!r} is not a kind of evidence")
    max_bytes, allowed = EVIDENCE_MEDIA[media_type]
    info = await graph.media_info(media_id)
    try:
        declared = int(info.get("file_size") or 0)
    except (TypeError, ValueError):
        declared = 0  # the download's own limit still applies
    if declared > max_bytes:
        raise RejectedMediaError(TOO_LARGE, f"{media_type} of {declared} bytes is over {max_bytes}")
    if bytes_left is not None and declared > bytes_left:
        raise RejectedMediaError(OVER_QUOTA, f"{declared} bytes, {max(bytes_left, 0)} left of the daily quota")
    if not isinstance(info.get("url"), str) or not info["url"]:
        raise RejectedMediaError(GONE, "the media lookup gave no URL")
    data = await graph.download(info["url"], max_bytes)
    if on_download is not None:
        await on_download(len(data))
    kind = sniff(data)
    if kind is None or kind[0] not in allowed:
        looks = kind[0] if kind else "unknown"
        raise RejectedMediaError(REFUSED, f"the file is not a {media_type} we keep (it looks like {looks})")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{kind[1]}"
    (directory / name).write_bytes(data)
    return name


def _refused(message: InboundMessage, reason: str, detail: str) -> InboundMessage:
    logger.info("media %s from %s not kept (%s): %s", message.id, message.sender, reason, detail)  # masked by log_privacy
    return dataclasses.replace(message, kind="unsupported", media_type=reason, media_id=None)
