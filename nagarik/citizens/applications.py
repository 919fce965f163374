"""Application status, told only to the person entitled to it.

The registered phone number sees its own application at once. Anyone else must answer a
second check (the applicant's date of birth). A wrong answer and a number that does not
exist look exactly the same from outside, and failed checks are limited per sender, so the
status service cannot be used to discover applications or guess birth dates.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.catalog.office_hours import local_now
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog

MAX_FAILED_CHECKS = 3
FAILED_CHECK_WINDOW = dt.timedelta(hours=24)


class Outcome(enum.Enum):
    VERIFIED = "verified"  # show the status
    NEEDS_SECOND_CHECK = "needs_second_check"  # ask the date of birth
    NOT_VERIFIED = "not_verified"  # wrong answer or no such application: the same reply
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class StatusCheck:
    outcome: Outcome
    application: models.Application | None = None


def find(session: Session, number: str) -> models.Application | None:
    return session.get(models.Application, number)


def failed_checks(session: Session, sender: str, now: dt.datetime) -> int:
    statement = select(models.StatusCheckFailure).where(
        models.StatusCheckFailure.sender == sender,
        models.StatusCheckFailure.created_at > now - FAILED_CHECK_WINDOW,
    )
    return db.count(session, statement)


def check_by_sender(session: Session, number: str, sender: str, now: dt.datetime | None = None) -> StatusCheck:
    """First step: is the sender the registered phone? Otherwise a second check is needed."""
    now = now or clock.utcnow()
    application = session.get(models.Application, number)
    if application is not None and application.phone == sender:
        return StatusCheck(Outcome.VERIFIED, application)
    if failed_checks(session, sender, now) >= MAX_FAILED_CHECKS:
        return StatusCheck(Outcome.RATE_LIMITED)
    return StatusCheck(Outcome.NEEDS_SECOND_CHECK)


def check_by_date_of_birth(
    session: Session, number: str, sender: str, date_of_birth: dt.date, now: dt.datetime | None = None
) -> StatusCheck:
    """Second step: the applicant's date of birth. Failures are recorded and limited."""
    now = now or clock.utcnow()
    if failed_checks(session, sender, now) >= MAX_FAILED_CHECKS:
        return StatusCheck(Outcome.RATE_LIMITED)
    application = session.get(models.Application, number)
    if application is not None and application.date_of_birth == date_of_birth:
        return StatusCheck(Outcome.VERIFIED, application)
    session.add(models.StatusCheckFailure(sender=sender, application_number=number, created_at=now))
    session.flush()
    return StatusCheck(Outcome.NOT_VERIFIED)


def move_to_stage(
    session: Session, number: str, stage_key: str, expected_on: dt.date | None = None, *, by: str
) -> models.Application:
    """Used by officials' tools (through notifications): advance an application; `by` is who did it."""
    application = session.get(models.Application, number)
    if application is None:
        raise KeyError(number)
    if session.get(models.StageRow, stage_key) is None:
        raise ValueError(f"unknown stage {stage_key}")
    application.stage_key = stage_key
    application.updated_by = by
    if expected_on is not None:
        application.expected_on = expected_on
    session.flush()
    return application


def is_delayed(application: models.Application, catalog: Catalog, now: dt.datetime | None = None) -> bool:
    """Past its expected date (in the office's calendar) while the office's work is not over."""
    stage = catalog.stage(application.stage_key)
    if application.expected_on is None or stage is None or stage.done:
        return False
    return application.expected_on < local_now(catalog, now or clock.utcnow()).date()
