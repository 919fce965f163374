"""Citizens as the office knows them: a phone number and the language they want."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from nagarik import db


def get_or_create(session: Session, phone: str, now: dt.datetime | None = None) -> db.Citizen:
    citizen = session.get(db.Citizen, phone)
    if citizen is None:
        now = now or db.utcnow()
        citizen = db.Citizen(phone=phone, first_seen=now, last_seen=now)
        session.add(citizen)
        session.flush()
    return citizen


def remember_language(session: Session, phone: str, language: str, chosen: bool) -> db.Citizen:
    """Keep the reply language across sessions; a chosen language outranks an inferred one."""
    citizen = get_or_create(session, phone)
    citizen.language = language
    if chosen or citizen.language_source != "chosen":
        citizen.language_source = "chosen" if chosen else "inferred"
    citizen.last_seen = db.utcnow()
    return citizen
