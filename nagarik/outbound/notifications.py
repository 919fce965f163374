"""Telling citizens, on our own initiative, that their application or grievance moved on.

The words are the approved templates' (nagarik.outbound.templates), in each language, so the message is
the same inside the 24-hour window (free-form) and outside it (the template itself).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.catalog.store import current_catalog
from nagarik.citizens import applications, grievances
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.templates import render
from nagarik.shared.seed_files import LANGUAGES, load_yaml

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


def _notify(session: Session, template: str, phone: str, parameters: dict[str, list[str]], by: str) -> models.Broadcast:
    return broadcasts.create(
        session,
        kind="notification",
        texts={lang: render(template, lang, parameters[lang]) for lang in LANGUAGES},
        audience=broadcasts.Audience(phones=(phone,)),
        created_by=by,
        template=template,
        template_params=parameters,
    )


def application_moved(
    session: Session, number: str, stage: str, expected_on: dt.date | None = None, *, by: str
) -> models.Broadcast:
    """Move the application and tell the applicant; `by` (who moved it) is kept on both."""
    application = applications.move_to_stage(session, number, stage, expected_on, by=by)
    names = current_catalog(session).stage(stage).names
    parameters = {lang: [number, names[lang]] for lang in LANGUAGES}
    return _notify(session, "application_update", application.phone, parameters, by)


def grievance_moved(session: Session, tracking_id: str, status: str, note: str = "", *, by: str) -> models.Broadcast:
    """Change the grievance's status and tell the citizen; `by` is kept in its history and on the message."""
    grievance = grievances.change_status(session, tracking_id, status, note, by=by)
    labels = grievance_status_labels()[status]
    parameters = {lang: [tracking_id, labels[lang]] for lang in LANGUAGES}
    return _notify(session, "grievance_update", grievance.phone, parameters, by)
