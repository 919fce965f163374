"""What a citizen adds to an open grievance they filed: more words, or a photo sent on WhatsApp.

Neither is a status change (no grievance_event: the citizen's history lists only those). Both are
a grievance_note of kind "citizen_info", which the department sees among its notes; a photo also
becomes the grievance's evidence, served and kept like the one sent while filing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from nagarik.citizens.grievance_lifecycle import OPEN_STATES
from nagarik.citizens.grievances import EVIDENCE_FILE
from nagarik.db import models
from nagarik.shared import clock
from whatsapp.cloud.media import stored_evidence
from whatsapp.cloud.settings import evidence_dir

CITIZEN_INFO = "citizen_info"  # grievance_notes.kind
AUTHOR = "citizen"  # grievance_notes.author: the filer, not an official
PHOTO = "photo"  # grievance_notes.detail of a photo's note
MIN_TEXT = 3
MAX_TEXT = 2000  # as an official's note (grievance_work.MAX_TEXT)


class NotAddableError(ValueError):
    """Nothing was added; `reason` says why: not_open, too_short, not_stored or has_photo."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_open(grievance: models.Grievance) -> None:
    if grievance.status not in OPEN_STATES:
        raise NotAddableError("not_open")  # finished work is reopened or appealed, not added to


def _record(grievance: models.Grievance, text: str, detail: str, now: dt.datetime) -> models.GrievanceNote:
    note = models.GrievanceNote(kind=CITIZEN_INFO, author=AUTHOR, text=text, detail=detail, created_at=now)
    grievance.notes.append(note)
    return note


def add_text(session: Session, grievance: models.Grievance, text: str, *, now: dt.datetime | None = None) -> models.GrievanceNote:
    """More details in the citizen's words, for the department."""
    _check_open(grievance)
    text = " ".join(text.split())
    if len(text) < MIN_TEXT:
        raise NotAddableError("too_short")
    note = _record(grievance, text[:MAX_TEXT], "", now or clock.utcnow())
    session.flush()
    return note


def add_photo(
    session: Session,
    grievance: models.Grievance,
    media_ref: str,
    *,
    now: dt.datetime | None = None,
    directory: Path | None = None,
) -> models.GrievanceNote:
    """A photo the WhatsApp channel stored (its own name for it, never a path typed in) becomes the
    grievance's evidence. A grievance holds one file: one that has a photo already keeps it."""
    _check_open(grievance)
    if stored_evidence(media_ref, directory or evidence_dir()) is None:
        raise NotAddableError("not_stored")
    previous = grievance.evidence_ref
    if previous and previous.startswith(EVIDENCE_FILE):
        raise NotAddableError("has_photo")
    grievance.evidence_ref = EVIDENCE_FILE + media_ref
    # Words given as the evidence while filing ("photo is on my phone") stay, in the note.
    note = _record(grievance, previous or "", PHOTO, now or clock.utcnow())
    session.flush()
    return note
