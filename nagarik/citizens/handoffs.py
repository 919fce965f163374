"""Handing a conversation to a person: a queue of requests officials take, answer and close.

One owner at a time: taking is a single conditional UPDATE, so of two officers who press "take"
together exactly one gets it. The reply itself and the assistant's silence meanwhile are
nagarik.outbound.live_handoffs (they need the outbound queue and the channel's store).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from nagarik import db
from nagarik.db import models
from nagarik.shared import clock

OPEN = ("open", "taken")  # waiting for an officer, or being answered
OUTCOMES = ("answered", "no_reply_needed", "referred", "unreachable")


class HandoffTakenError(Exception):
    """Someone else owns it already (or it was closed)."""


@dataclass(frozen=True)
class HandoffRequest:
    handoff: models.Handoff
    created: bool  # False: the citizen already had an open request


def request_handoff(
    session: Session, phone: str, language: str, last_message: str, now: dt.datetime | None = None
) -> HandoffRequest:
    """Open a handoff, or return the open one: asking twice must not queue the citizen twice."""
    existing = session.execute(
        select(models.Handoff).where(models.Handoff.phone == phone, models.Handoff.status.in_(OPEN))
    ).scalar_one_or_none()
    if existing is not None:
        return HandoffRequest(existing, created=False)
    now = now or clock.utcnow()
    year = now.year
    number = db.next_number(session, f"handoff-{year}")
    citizen = session.get(models.Citizen, phone)
    handoff = models.Handoff(
        reference=f"HO-{year}-{number:06d}",
        phone=phone,
        language=language,
        last_message=last_message[:2000],
        created_at=now,
        ward_key=citizen.ward_key if citizen else None,
    )
    session.add(handoff)
    session.flush()
    return HandoffRequest(handoff, created=True)


def handoff_by_reference(session: Session, reference: str) -> models.Handoff | None:
    query = select(models.Handoff).where(models.Handoff.reference == reference).options(selectinload(models.Handoff.owner))
    return session.execute(query).scalar_one_or_none()


def open_handoffs(session: Session, departments: list[str] | None = None) -> list[models.Handoff]:
    """Waiting or being answered, oldest first; `departments` (None: all) also sees the general desk's."""
    query = (
        select(models.Handoff)
        .where(models.Handoff.status.in_(OPEN))
        .options(selectinload(models.Handoff.owner))
        .order_by(models.Handoff.created_at)
    )
    if departments is not None:
        query = query.where(or_(models.Handoff.department_key.is_(None), models.Handoff.department_key.in_(departments)))
    return list(session.execute(query).scalars())


def unanswered(handoff: models.Handoff, now: dt.datetime, minutes: int) -> bool:
    """Open with no officer's reply for longer than `minutes`: a breach supervisors see."""
    return handoff.status in OPEN and handoff.first_reply_at is None and now - handoff.created_at > dt.timedelta(minutes=minutes)


def take(session: Session, handoff: models.Handoff, official: models.Official, now: dt.datetime | None = None) -> None:
    """Make `official` its one owner, or raise HandoffTakenError."""
    now = now or clock.utcnow()
    taken = session.execute(
        update(models.Handoff)
        .where(models.Handoff.id == handoff.id, models.Handoff.status == "open", models.Handoff.owner_id.is_(None))
        .values(status="taken", owner_id=official.id, taken_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(handoff)
    if not taken:
        raise HandoffTakenError(handoff.reference)


def replied(handoff: models.Handoff, now: dt.datetime | None = None) -> None:
    if handoff.first_reply_at is None:
        handoff.first_reply_at = now or clock.utcnow()


def close(session: Session, handoff: models.Handoff, outcome: str, now: dt.datetime | None = None) -> models.Handoff:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: one of {', '.join(OUTCOMES)}")
    handoff.status = "closed"
    handoff.outcome = outcome
    handoff.closed_at = now or clock.utcnow()
    session.flush()
    return handoff
