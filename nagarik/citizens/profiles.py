"""Citizens as the office knows them: a phone number, the language they want and, if they gave it, their name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.shared import clock


def get_or_create(session: Session, phone: str, now: dt.datetime | None = None) -> models.Citizen:
    citizen = session.get(models.Citizen, phone)
    if citizen is None:
        now = now or clock.utcnow()
        citizen = models.Citizen(phone=phone, first_seen=now, last_seen=now)
        session.add(citizen)
        session.flush()
    return citizen


def remember_language(session: Session, phone: str, language: str, chosen: bool) -> models.Citizen:
    """Keep the reply language across sessions; a chosen language outranks an inferred one."""
    citizen = get_or_create(session, phone)
    citizen.language = language
    if chosen or citizen.language_source != "chosen":
        citizen.language_source = "chosen" if chosen else "inferred"
    citizen.last_seen = clock.utcnow()
    return citizen


def set_name(session: Session, phone: str, name: str) -> models.Citizen:
    """The name the citizen gave (already checked by nagarik.citizens.names.clean_name)."""
    citizen = get_or_create(session, phone)
    citizen.name = name
    citizen.last_seen = clock.utcnow()
    return citizen
