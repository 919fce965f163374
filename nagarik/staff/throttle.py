"""Login throttling kept in the database, so that every web process counts the same failures:
at most N failures per account name and M per client address in a moving window."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models
from nagarik.shared import clock


def blocked(session: Session, username: str, ip: str) -> bool:
    per_account, per_address, minutes = settings.console_login_limits()
    since = clock.utcnow() - dt.timedelta(minutes=minutes)
    recent = select(func.count()).select_from(models.LoginFailure).where(models.LoginFailure.created_at > since)
    by_account = session.execute(recent.where(models.LoginFailure.username == username)).scalar_one()
    by_address = session.execute(recent.where(models.LoginFailure.ip == ip)).scalar_one()
    return by_account >= per_account or by_address >= per_address


def failed(session: Session, username: str, ip: str) -> None:
    session.add(models.LoginFailure(username=username[:64], ip=ip[:64], created_at=clock.utcnow()))
    # Rows past the window count for nothing; drop them as we go.
    cutoff = clock.utcnow() - dt.timedelta(minutes=settings.console_login_limits()[2])
    session.execute(delete(models.LoginFailure).where(models.LoginFailure.created_at < cutoff))


def succeeded(session: Session, username: str) -> None:
    session.execute(delete(models.LoginFailure).where(models.LoginFailure.username == username))
