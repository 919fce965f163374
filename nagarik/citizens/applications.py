"""Application status, told only to the person entitled to it.

The registered phone number sees its own application at once. Anyone else must answer a
second check (the applicant's date of birth). A wrong answer and a number that does not
exist look exactly the same from outside. Failed checks are limited per sender, and per
application number whoever sends them (counted for numbers that do not exist just the same,
so the "ask at the counter" answer reveals nothing), so the status service cannot be used to
discover applications or guess birth dates by rotating phones.

A passed check is recorded (sender, number, time): the action that tells a status or sends a
certificate asks `verified_application` rather than trusting what the conversation says.
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

MAX_FAILED_CHECKS = 3  # per sender, over FAILED_CHECK_WINDOW
FAILED_CHECK_WINDOW = dt.timedelta(hours=24)
# Per application number, from every sender together: a week's guesses, then only the counter.
MAX_FAILED_CHECKS_PER_APPLICATION = 5
APPLICATION_FAILURE_WINDOW = dt.timedelta(days=7)
# How long a passed check lets that sender see that application (the same turn, with room to spare).
VERIFIED_FOR = dt.timedelta(minutes=10)


class Outcome(enum.Enum):
    VERIFIED = "verified"  # show the status
    NEEDS_SECOND_CHECK = "needs_second_check"  # ask the date of birth
    NOT_VERIFIED = "not_verified"  # wrong answer or no such application: the same reply
    RATE_LIMITED = "rate_limited"  # this sender failed too often today
    ASK_AT_COUNTER = "ask_at_counter"  # this number was failed too often, by anyone: no more checks by chat


@dataclass(frozen=True)
class StatusCheck:
    outcome: Outcome
    application: models.Application | None = None


def find(session: Session, number: str) -> models.Application | None:
    return session.get(models.Application, number)


def failed_checks(session: Session, sender: str, now: dt.datetime) -> int:
    """This sender's failed checks (on any number) in the last FAILED_CHECK_WINDOW."""
    statement = select(models.StatusCheckFailure).where(
        models.StatusCheckFailure.sender == sender,
        models.StatusCheckFailure.created_at > now - FAILED_CHECK_WINDOW,
    )
    return db.count(session, statement)


def failed_checks_on(session: Session, number: str, now: dt.datetime) -> int:
    """Failed checks on this number (existing or not), from any sender, in the last APPLICATION_FAILURE_WINDOW."""
    statement = select(models.StatusCheckFailure).where(
        models.StatusCheckFailure.application_number == number,
        models.StatusCheckFailure.created_at > now - APPLICATION_FAILURE_WINDOW,
    )
    return db.count(session, statement)


def _refusal(session: Session, number: str, sender: str, now: dt.datetime) -> StatusCheck | None:
    """A second check that may not be tried now. Never looks at the application, so it reads
    the same for a number that exists and one that does not."""
    if failed_checks(session, sender, now) >= MAX_FAILED_CHECKS:
        return StatusCheck(Outcome.RATE_LIMITED)
    if failed_checks_on(session, number, now) >= MAX_FAILED_CHECKS_PER_APPLICATION:
        return StatusCheck(Outcome.ASK_AT_COUNTER)
    return None


def check_by_sender(session: Session, number: str, sender: str, now: dt.datetime | None = None) -> StatusCheck:
    """First step: is the sender the registered phone? Otherwise a second check is needed.
    The registered phone is never locked out by other people's failures."""
    now = now or clock.utcnow()
    application = session.get(models.Application, number)
    if application is not None and application.phone == sender:
        return StatusCheck(Outcome.VERIFIED, application)
    return _refusal(session, number, sender, now) or StatusCheck(Outcome.NEEDS_SECOND_CHECK)


def check_by_date_of_birth(
    session: Session, number: str, sender: str, date_of_birth: dt.date, now: dt.datetime | None = None
) -> StatusCheck:
    """Second step: the applicant's date of birth. Failures are recorded and limited; a pass is
    recorded for `verified_application`."""
    now = now or clock.utcnow()
    refusal = _refusal(session, number, sender, now)
    if refusal is not None:
        return refusal
    application = session.get(models.Application, number)
    if application is not None and application.date_of_birth == date_of_birth:
        session.add(models.StatusCheckPass(sender=sender, application_number=number, created_at=now))
        session.flush()
        return StatusCheck(Outcome.VERIFIED, application)
    session.add(models.StatusCheckFailure(sender=sender, application_number=number, created_at=now))
    session.flush()
    return StatusCheck(Outcome.NOT_VERIFIED)


def verified_application(
    session: Session, number: str | None, sender: str, now: dt.datetime | None = None
) -> models.Application | None:
    """The application, if this sender may see it now: its registered phone, or a passed second
    check on this number by this sender within VERIFIED_FOR. Otherwise None."""
    application = session.get(models.Application, number) if number else None
    if application is None or application.phone == sender:
        return application
    now = now or clock.utcnow()
    passed = models.StatusCheckPass
    recent = session.execute(
        select(passed.id)
        .where(
            passed.sender == sender,
            passed.application_number == number,
            passed.created_at > now - VERIFIED_FOR,
            passed.created_at <= now,
        )
        .limit(1)
    ).first()
    return application if recent is not None else None


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
