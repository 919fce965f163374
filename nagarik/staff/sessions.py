"""Server-side, revocable console sessions.

Hand-written because Starlette's SessionMiddleware keeps the session in a signed cookie, which
logout cannot revoke. The cookie holds an opaque random id; the table holds only its sha256, so a
copy of the database does not log anyone in. Idle and absolute timeouts come from settings and
the project's clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models
from nagarik.shared import clock


@dataclass(frozen=True)
class Started:
    token: str  # for the cookie only; never stored
    row: models.OfficialSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _by_token(session: Session, token: str) -> models.OfficialSession | None:
    query = select(models.OfficialSession).where(models.OfficialSession.token_hash == _hash(token))
    return session.execute(query).scalar_one_or_none()


def start(session: Session, official: models.Official, ip: str = "", user_agent: str = "") -> Started:
    """A new session (a new id at every login, so a planted id is useless)."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    row = models.OfficialSession(
        token_hash=_hash(token),
        official_id=official.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    session.add(row)
    session.flush()
    return Started(token, row)


def _expired(row: models.OfficialSession, now: dt.datetime) -> bool:
    idle = dt.timedelta(minutes=settings.console_idle_minutes())
    absolute = dt.timedelta(hours=settings.console_absolute_hours())
    return now - row.last_seen_at >= idle or now - row.created_at >= absolute


def resume(session: Session, token: str | None) -> models.OfficialSession | None:
    """The live session this cookie names, its last use moved to now; None when ended or expired."""
    if not token:
        return None
    row = _by_token(session, token)
    if row is None or row.ended_at is not None:
        return None
    now = clock.utcnow()
    if _expired(row, now):
        row.ended_at = now
        return None
    official = session.get(models.Official, row.official_id)
    if official is None or official.disabled_at is not None:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


def end(session: Session, row: models.OfficialSession) -> None:
    row.ended_at = row.ended_at or clock.utcnow()


def end_by_token(session: Session, token: str | None) -> None:
    if token:
        row = _by_token(session, token)
        if row is not None:
            end(session, row)


def end_all(session: Session, official: models.Official) -> int:
    rows = live(session, official)
    for row in rows:
        end(session, row)
    return len(rows)


def live(session: Session, official: models.Official | None = None) -> list[models.OfficialSession]:
    """Sessions not ended nor expired: one official's, or everyone's."""
    query = select(models.OfficialSession).where(models.OfficialSession.ended_at.is_(None))
    if official is not None:
        query = query.where(models.OfficialSession.official_id == official.id)
    now = clock.utcnow()
    rows = session.execute(query.order_by(models.OfficialSession.created_at.desc())).scalars()
    return [row for row in rows if not _expired(row, now)]


def by_id(session: Session, session_id: int) -> models.OfficialSession | None:
    return session.get(models.OfficialSession, session_id)
