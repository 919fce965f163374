"""Handing a conversation to a person: a queue of requests officials pick up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.db import models
from nagarik.shared import clock


@dataclass(frozen=True)
class HandoffRequest:
    handoff: models.Handoff
    created: bool  # False: the citizen already had an open request


def request_handoff(
    session: Session, phone: str, language: str, last_message: str, now: dt.datetime | None = None
) -> HandoffRequest:
    """Open a handoff, or return the open one: asking twice must not queue the citizen twice."""
    existing = session.execute(
        select(models.Handoff).where(models.Handoff.phone == phone, models.Handoff.status.in_(("open", "picked_up")))
    ).scalar_one_or_none()
    if existing is not None:
        return HandoffRequest(existing, created=False)
    now = now or clock.utcnow()
    year = now.year
    number = db.next_number(session, f"handoff-{year}")
    handoff = models.Handoff(
        reference=f"HO-{year}-{number:06d}",
        phone=phone,
        language=language,
        last_message=last_message[:2000],
        created_at=now,
    )
    session.add(handoff)
    session.flush()
    return HandoffRequest(handoff, created=True)


def open_handoffs(session: Session) -> list[models.Handoff]:
    return list(
        session.execute(
            select(models.Handoff).where(models.Handoff.status == "open").order_by(models.Handoff.created_at)
        ).scalars()
    )


def close_handoff(session: Session, reference: str) -> models.Handoff:
    handoff = session.execute(select(models.Handoff).where(models.Handoff.reference == reference)).scalar_one()
    handoff.status = "closed"
    return handoff
