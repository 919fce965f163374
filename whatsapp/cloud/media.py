"""Grievance evidence: a citizen's photo, video or document, fetched and kept under a new name.

The download URL expires within minutes, so media is fetched as soon as the message is handled.
The claimed MIME type is not trusted: the file's first bytes must say what it is.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from whatsapp.cloud.graph import GraphClient
from whatsapp.limits import EVIDENCE_MEDIA

# Leading bytes of the file types kept as evidence -> (MIME type, file extension).
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


class RejectedMediaError(ValueError):
    """Too large, or not the kind of file it claims to be."""


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, mime, extension in _SIGNATURES:
        if data.startswith(magic):
            return mime, extension
    if data[4:8] == b"ftyp":  # ISO media: MP4 and 3GP video
        brand = data[8:12]
        return ("video/3gpp", "3gp") if brand.startswith(b"3g") else ("video/mp4", "mp4")
    return None


async def fetch_evidence(graph: GraphClient, media_type: str, media_id: str, directory: Path) -> str:
    """Download, check and store one file; return its stored name (the grievance's evidence reference)."""
    max_bytes, allowed = EVIDENCE_MEDIA[media_type]
    info = await graph.media_info(media_id)
    if int(info.get("file_size") or 0) > max_bytes:
        raise RejectedMediaError(f"{media_type} of {info.get('file_size')} bytes is over {max_bytes}")
    data = await graph.download(str(info["url"]), max_bytes)
    kind = sniff(data)
    if kind is None or kind[0] not in allowed:
        raise RejectedMediaError(f"the file is not a {media_type} we keep (it looks like {kind[0] if kind else 'unknown'})")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{kind[1]}"
    (directory / name).write_bytes(data)
    return name
