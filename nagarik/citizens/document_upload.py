"""Sending a generated PDF on WhatsApp: upload it to the Cloud API's media endpoint, then send a
document message that names the media id (no public URL of ours has to exist)."""

from __future__ import annotations

from typing import Any

from whatsapp import messages
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings

PDF_MIME = "application/pdf"


class UploadError(RuntimeError):
    """Meta did not take the file; the message says why (error code and text)."""


async def upload_pdf(data: bytes, filename: str) -> str:
    """The media id of the uploaded PDF; raises UploadError if it was not accepted."""
    if not data:
        raise UploadError(f"{filename}: the PDF is empty")
    settings = WhatsAppSettings.load()
    graph = GraphClient(settings, timeout=settings.http_timeout)
    try:
        result = await graph.upload_media(data, PDF_MIME, filename)
    finally:
        await graph.close()
    if result.media_id is None:
        status = f"HTTP {result.http_status}" if result.http_status else "no answer"
        raise UploadError(
            f"upload of {filename} failed ({status}, error {result.error_code}): {result.error_message or 'no reason given'}"
        )
    return result.media_id


def document_message(media_id: str, filename: str, caption: str) -> dict[str, Any]:
    """A document message body for GraphClient.send; a caption over WhatsApp's limit is shortened."""
    return messages.media("document", media_id=media_id, caption=caption, filename=filename)
