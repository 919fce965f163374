"""What one copy of a broadcast looks like on the wire, for a citizen's language and window.

Inside the 24-hour window: free-form (text, or the image/video/PDF with the text as caption);
outside it: the broadcast's approved template (config/templates.yml) with its parameters.
Kinds with their own shape (polls, reminders) add their branch here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.outbound import notifications, polls, reminders
from whatsapp import messages


def ward_names(session: Session, broadcast: models.Broadcast) -> dict[str, str]:
    """The affected wards in every language, for the emergency template's first parameter."""
    rows = [session.get(models.WardRow, key) for key in broadcast.audience.get("wards", [])]
    return {lang: ", ".join(row.names[lang] for row in rows if row) for lang in ("en", "hi", "kn")}


def message_body(broadcast: models.Broadcast, language: str, in_window: bool, wards: dict[str, str]) -> dict[str, Any]:
    if broadcast.kind == "poll":  # the question with its options, or the invitation template
        return polls.broadcast_message(broadcast, language, in_window)
    if broadcast.kind == "reminder":  # the text with a button that stops this kind of reminder
        return reminders.message_body(broadcast, language, in_window)
    if broadcast.template == notifications.RESOLVED_TEMPLATE:  # the resolution with its rating buttons
        return notifications.resolution_message(broadcast, language, in_window)
    language = language if language in broadcast.texts else "en"
    text = broadcast.texts[language]
    media = broadcast.media or {}
    if in_window:
        if media.get("type") in ("image", "video", "document"):
            if "id" in media:  # uploaded to WhatsApp's media store from the console
                return messages.media(media["type"], media_id=media["id"], caption=text, filename=media.get("filename", ""))
            return messages.media(media["type"], link=media["link"], caption=text)
        return messages.text(text)
    if broadcast.template_params:
        parameters = broadcast.template_params.get(language) or broadcast.template_params["en"]
    elif broadcast.template == "emergency_alert":
        parameters = [wards.get(language) or wards["en"], text]
    else:
        parameters = [text]
    return messages.template(broadcast.template, language, parameters)
