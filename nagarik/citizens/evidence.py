"""Citizens' evidence files (photos, videos and PDFs the channel keeps under WHATSAPP_EVIDENCE_DIR):
which ones a grievance uses, and removing the others (after an erasure, or past their retention)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.citizens.grievances import EVIDENCE_FILE, OPEN_STATUSES
from nagarik.db import models
from whatsapp.cloud.media import STORED_NAME, stored_evidence


def file_name(evidence_ref: str | None) -> str | None:
    """The stored file an evidence reference names, if it names one."""
    if evidence_ref and evidence_ref.startswith(EVIDENCE_FILE):
        return evidence_ref[len(EVIDENCE_FILE) :]
    return None


def linked(session: Session, open_only: bool = False) -> set[str]:
    """Files some grievance uses (with open_only, an open one)."""
    query = select(models.Grievance.evidence_ref).where(models.Grievance.evidence_ref.like(EVIDENCE_FILE + "%"))
    if open_only:
        query = query.where(models.Grievance.status.in_(OPEN_STATUSES))
    return {name for ref in session.execute(query).scalars() if (name := file_name(ref))}


def unlinked_before(session: Session, directory: Path, before: dt.datetime) -> list[Path]:
    """The channel's files older than `before` (naive UTC, by their modification time) that no
    grievance uses. Only names the channel gives (nothing else an operator put there)."""
    if not directory.is_dir():
        return []
    used = linked(session)
    limit = before.replace(tzinfo=dt.timezone.utc).timestamp()
    files = (p for p in directory.iterdir() if STORED_NAME.fullmatch(p.name) and p.is_file() and p.name not in used)
    return sorted(p for p in files if p.stat().st_mtime < limit)


def remove(directory: Path, names: Iterable[str], keep: set[str]) -> int:
    """Remove the named files, except those in `keep`; the number removed."""
    removed = 0
    for name in set(names) - keep:
        path = stored_evidence(name, directory)  # only a file the channel stored: never a path
        if path is not None:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
