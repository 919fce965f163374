"""The audit log: appended to, never changed; read by admins (policy.READ_AUDIT)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.shared import clock


def record(session: Session, who: str, action: str, target: str = "", ip: str = "", detail: str = "") -> models.AuditEntry:
    entry = models.AuditEntry(
        who=who[:64], action=action[:64], object=target[:128], ip=ip[:64], detail=detail, created_at=clock.utcnow()
    )
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, limit: int = 200) -> list[models.AuditEntry]:
    return list(session.execute(select(models.AuditEntry).order_by(models.AuditEntry.id.desc()).limit(limit)).scalars())
