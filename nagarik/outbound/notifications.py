"""Telling citizens, on our own initiative, that their application or grievance moved on.

The words are the approved templates' (nagarik.outbound.templates), in each language, so the message is
the same inside the 24-hour window (free-form) and outside it (the template itself).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.catalog.store import current_catalog
from nagarik.citizens import applications, grievance_lifecycle, grievances, me_too
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.templates import quick_replies, render
from nagarik.shared.seed_files import LANGUAGES, load_yaml
from whatsapp import messages

GRIEVANCE_RESPONSES = settings.PROJECT_ROOT / "domain" / "responses" / "grievances.yml"


@lru_cache(maxsize=1)
def grievance_status_labels() -> dict[str, dict[str, str]]:
    """status -> language -> label, from the domain's utter_grievance_status_* replies (one source)."""
    labels: dict[str, dict[str, str]] = {}
    for name, variations in load_yaml(GRIEVANCE_RESPONSES)["responses"].items():
        if name.startswith("utter_grievance_status_"):
            status = name.removeprefix("utter_grievance_status_")
            for variation in variations:
                conditions = variation.get("condition") or []
                language = next((c["value"] for c in conditions if c.get("name") == "language"), "en")
                labels.setdefault(status, {})[language] = variation["text"]
    return labels


def _notify(
    session: Session, template: str, phone: str, parameters: dict[str, list[str]], by: str, media: dict[str, str] | None = None
) -> models.Broadcast:
    return broadcasts.create(
        session,
        kind="notification",
        texts={lang: render(template, lang, parameters[lang]) for lang in LANGUAGES},
        audience=broadcasts.Audience(phones=(phone,)),
        created_by=by,
        template=template,
        template_params=parameters,
        media=media,
    )


def application_moved(
    session: Session, number: str, stage: str, expected_on: dt.date | None = None, *, by: str
) -> models.Broadcast:
    """Move the application and tell the applicant; `by` (who moved it) is kept on both."""
    application = applications.move_to_stage(session, number, stage, expected_on, by=by)
    names = current_catalog(session).stage(stage).names
    parameters = {lang: [number, names[lang]] for lang in LANGUAGES}
    return _notify(session, "application_update", application.phone, parameters, by)


DECISION_CHARS = 900  # an appeal's decision in a template parameter (Meta's limit is 1,024)
RESOLVED_TEMPLATE = "grievance_resolved"  # {{1}} tracking id, {{2}} the resolution note; Good / Average / Poor


def grievance_moved(
    session: Session, tracking_id: str, status: str, note: str = "", *, by: str, actor: str = "official",
    photo: dict[str, str] | None = None,
) -> models.Broadcast:  # fmt: skip
    """Change the grievance's status (as the lifecycle lets `actor`: IllegalTransition if not) and
    tell the citizen; `by` is kept in its history and on the message. A resolution carries its note
    and the rating buttons (resolution_message), and the officer's `photo` of the repair if given
    ({"type": "image", "id"} from the media store or {"type": "image", "link"})."""
    grievance = grievances.change_status(session, tracking_id, status, note, by=by, actor=actor)
    labels = grievance_status_labels()[status]
    if status == "appeal_decided" and note.strip():
        # The decision is what the citizen waited for: their status line carries it.
        decision = messages.cut(" ".join(note.split()), DECISION_CHARS)
        labels = {lang: f"{label}: {decision}" for lang, label in labels.items()}
    tell_followers(session, grievance, labels, by)
    if status == "resolved":
        parameters = {lang: [tracking_id, note.strip() or labels[lang]] for lang in LANGUAGES}
        return _notify(session, RESOLVED_TEMPLATE, grievance.phone, parameters, by, photo)
    parameters = {lang: [tracking_id, labels[lang]] for lang in LANGUAGES}
    return _notify(session, "grievance_update", grievance.phone, parameters, by)


def tell_followers(session: Session, grievance: models.Grievance, labels: dict[str, str], by: str) -> models.Broadcast | None:
    """The citizens who joined the grievance (nagarik.citizens.me_too) are told of the change too, as
    news of their own case (so after STOP too, as the filer), each in their language, without the
    filer's rating buttons; a broadcast of its own, which the workers' sweep starts."""
    phones = tuple(phone for phone, _ in me_too.followers(session, grievance))
    if not phones:
        return None
    parameters = {lang: [grievance.tracking_id, labels[lang]] for lang in LANGUAGES}
    return broadcasts.create(
        session,
        kind="notification",
        texts={lang: render("grievance_update", lang, parameters[lang]) for lang in LANGUAGES},
        audience=broadcasts.Audience(phones=phones),
        created_by=by,
        template="grievance_update",
        template_params=parameters,
    )


def rating_payload(tracking_id: str, rating: str) -> str:
    """What a rating button sends back: /rate_grievance{"tracking_id":...,"rating":...} (compact JSON)."""
    return "/rate_grievance" + json.dumps({"tracking_id": tracking_id, "rating": rating}, separators=(",", ":"))


def resolution_message(broadcast: models.Broadcast, language: str, in_window: bool) -> dict[str, Any]:
    """Inside the window the resolution with Good / Average / Poor reply buttons in the citizen's
    language; outside it the grievance_resolved template, whose quick replies carry the same payloads."""
    language = language if language in broadcast.texts else "en"
    parameters = (broadcast.template_params or {}).get(language) or broadcast.template_params["en"]
    payloads = [rating_payload(parameters[0], rating) for rating in grievance_lifecycle.RATINGS]
    if in_window:
        titles = quick_replies()[(RESOLVED_TEMPLATE, language)]
        photo = broadcast.media if (broadcast.media or {}).get("type") == "image" else None
        return messages.reply_buttons(broadcast.texts[language], list(zip(payloads, titles, strict=True)), image=photo)
    # Outside the window: the approved template, which has no image header (the photo is not sent).
    return messages.template(RESOLVED_TEMPLATE, language, parameters, quick_replies=payloads)
