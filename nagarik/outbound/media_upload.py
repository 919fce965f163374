"""A file an official attaches to a broadcast from the console: an image, a video or a PDF.

Its type is read from its own first bytes (never from its name or what the browser says), its size
is held to WhatsApp's limits for that type, and it goes to WhatsApp's media store (the Cloud API's
media endpoint), so every copy names it by id and no public file server of ours has to exist. The
broadcast keeps {"type", "id", "filename"} (nagarik.outbound.checks.media). Meta keeps an uploaded
file for 30 days, so a broadcast scheduled further ahead should be composed nearer its day.
"""

from __future__ import annotations

from dataclasses import dataclass

from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings

MB = 1024 * 1024
# mime type -> (message kind, largest size): WhatsApp takes images up to 5 MB and videos up to 16 MB;
# a PDF may be 100 MB there, but 16 MB is what a citizen's phone should be asked to download.
ACCEPTED: dict[str, tuple[str, int]] = {
    "image/jpeg": ("image", 5 * MB),
    "image/png": ("image", 5 * MB),
    "video/mp4": ("video", 16 * MB),
    "video/3gpp": ("video", 16 * MB),
    "application/pdf": ("document", 16 * MB),
}
LARGEST = max(limit for _, limit in ACCEPTED.values())  # read no more than this (and a byte) from a form


class MediaRefusedError(ValueError):
    """The file is not one a broadcast can carry; `reason` is too_big, wrong_type or empty."""

    def __init__(self, reason: str, message: str, limit: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.limit = limit


class UploadError(RuntimeError):
    """WhatsApp's media store did not take the file; the message says why."""


@dataclass(frozen=True)
class Checked:
    kind: str  # image | video | document
    mime_type: str
    data: bytes
    filename: str


def sniff(data: bytes) -> str | None:
    """The mime type the bytes themselves say, among those accepted; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data[4:8] == b"ftyp":  # ISO media: the brand says 3GPP or MP4
        return "video/3gpp" if data[8:11] == b"3gp" else "video/mp4"
    return None


def check(data: bytes, filename: str) -> Checked:
    """The file as a broadcast's media, or MediaRefusedError saying why not."""
    if not data:
        raise MediaRefusedError("empty", "the file is empty")
    mime_type = sniff(data)
    if mime_type is None:
        raise MediaRefusedError("wrong_type", f"{filename}: not a JPEG or PNG image, an MP4 or 3GPP video, or a PDF")
    kind, limit = ACCEPTED[mime_type]
    if len(data) > limit:
        raise MediaRefusedError("too_big", f"{filename}: {len(data)} bytes; a {kind} may have at most {limit}", limit)
    name = "".join(char for char in filename if char.isprintable()).strip()[-120:] or f"file.{mime_type.split('/')[1]}"
    return Checked(kind, mime_type, data, name)


async def upload(checked: Checked) -> str:
    """The media id WhatsApp gave the file; UploadError if it was not taken."""
    settings = WhatsAppSettings.load()
    graph = GraphClient(settings, timeout=settings.http_timeout)
    try:
        result = await graph.upload_media(checked.data, checked.mime_type, checked.filename)
    finally:
        await graph.close()
    if result.media_id is None:
        status = f"HTTP {result.http_status}" if result.http_status else "no answer"
        raise UploadError(f"{status}, error {result.error_code}: {result.error_message or 'no reason given'}")
    return result.media_id


def as_media(checked: Checked, media_id: str) -> dict[str, str]:
    """What the broadcast keeps (the filename is shown to the citizen only for a PDF)."""
    return {"type": checked.kind, "id": media_id, **({"filename": checked.filename} if checked.kind == "document" else {})}
