"""Consent and subscriptions: what a citizen agreed to receive, and STOP / START.

Every grant and withdrawal is kept with its time, channel and privacy-notice version. STOP
withdraws everything at once: the citizen's topics are held (kept, sent nothing) and reminders
stop. A topic chosen after STOP is a new opt-in to that topic alone; the held ones and reminders
stay off until START restores them. Broadcasts go only to topics not held
(nagarik.outbound.broadcasts), and the sender checks again just before each copy goes
(nagarik.outbound.consent).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from nagarik.citizens import profiles
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.topics import topic

NOTICE_VERSION = "2026-12"  # change when the privacy notice's wording changes: citizens see it again


@dataclasses.dataclass(frozen=True)
class Choices:
    topics: list[str]  # what the citizen receives now
    ward: str | None
    opted_out: bool  # said STOP, and not START since
    held: list[str] = field(default_factory=list)  # chosen before STOP: back only with START
    restored: list[str] = field(default_factory=list)  # what a START just turned back on


def _consent(session: Session, phone: str, purpose: str, granted: bool, channel: str) -> None:
    session.add(models.Consent(phone=phone, purpose=purpose, granted=granted, channel=channel, notice_version=NOTICE_VERSION))


def needs_notice(session: Session, phone: str) -> bool:
    return profiles.get_or_create(session, phone).notice_version != NOTICE_VERSION


def notice_shown(session: Session, phone: str) -> None:
    profiles.get_or_create(session, phone).notice_version = NOTICE_VERSION


def subscribe(session: Session, phone: str, topic_key: str, channel: str = "whatsapp") -> Choices:
    """Opt in to a topic. After STOP this is a new opt-in to this topic only: the earlier choices
    stay held, and reminders stay off, until START."""
    if topic(topic_key) is None:
        raise ValueError(f"unknown topic {topic_key}")
    profiles.get_or_create(session, phone)
    chosen = session.get(models.Subscription, (phone, topic_key))
    if chosen is None:
        session.add(models.Subscription(phone=phone, topic=topic_key))
    else:
        chosen.held_since = None  # chosen again after STOP: granted anew
    _consent(session, phone, topic_key, True, channel)
    session.flush()
    return choices(session, phone)


def unsubscribe(session: Session, phone: str, topic_key: str, channel: str = "whatsapp") -> None:
    session.execute(delete(models.Subscription).where(models.Subscription.phone == phone, models.Subscription.topic == topic_key))
    _consent(session, phone, topic_key, False, channel)


def set_ward(session: Session, phone: str, ward_key: str | None, channel: str = "whatsapp") -> None:
    """The citizen's ward, one of the catalog's (a ValueError names any other)."""
    if ward_key is not None and session.get(models.WardRow, ward_key) is None:
        raise ValueError(f"unknown ward {ward_key}")
    profiles.get_or_create(session, phone).ward_key = ward_key
    _consent(session, phone, "ward", ward_key is not None, channel)


def stop_all(session: Session, phone: str, channel: str = "whatsapp", now: dt.datetime | None = None) -> None:
    """STOP: no broadcast of any kind from now on, and no reminders. The choices are kept, held,
    for a later START."""
    now = now or clock.utcnow()
    profiles.get_or_create(session, phone).opted_out_at = now
    row = models.Subscription
    session.execute(
        update(row)
        .where(row.phone == phone, row.held_since.is_(None))
        .values(held_since=now)
        .execution_options(synchronize_session="fetch")
    )
    _consent(session, phone, "all", False, channel)
    session.flush()


def start_again(session: Session, phone: str, channel: str = "whatsapp") -> Choices:
    """START: the choices STOP held come back (`restored` names them), and reminders too."""
    profiles.get_or_create(session, phone).opted_out_at = None
    held = choices(session, phone).held
    row = models.Subscription
    session.execute(
        update(row)
        .where(row.phone == phone, row.held_since.is_not(None))
        .values(held_since=None)
        .execution_options(synchronize_session="fetch")
    )
    _consent(session, phone, "all", True, channel)
    session.flush()
    return dataclasses.replace(choices(session, phone), restored=held)


def choices(session: Session, phone: str) -> Choices:
    citizen = profiles.get_or_create(session, phone)
    row = models.Subscription
    chosen = session.execute(select(row.topic, row.held_since).where(row.phone == phone)).all()
    return Choices(
        topics=sorted(key for key, held_since in chosen if held_since is None),
        ward=citizen.ward_key,
        opted_out=citizen.opted_out_at is not None,
        held=sorted(key for key, held_since in chosen if held_since is not None),
    )
