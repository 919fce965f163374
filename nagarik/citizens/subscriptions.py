"""Consent and subscriptions: what a citizen agreed to receive, and STOP / START.

Every grant and withdrawal is kept with its time, channel and privacy-notice version. STOP
withdraws everything at once; START restores the earlier choices. An opted-out citizen is
never in a broadcast's audience (nagarik.outbound.broadcasts checks `opted_out_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nagarik.citizens import profiles
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.topics import topic

NOTICE_VERSION = "2026-12"  # change when the privacy notice's wording changes: citizens see it again


@dataclass(frozen=True)
class Choices:
    topics: list[str]
    ward: str | None
    opted_out: bool


def _consent(session: Session, phone: str, purpose: str, granted: bool, channel: str) -> None:
    session.add(models.Consent(phone=phone, purpose=purpose, granted=granted, channel=channel, notice_version=NOTICE_VERSION))


def needs_notice(session: Session, phone: str) -> bool:
    return profiles.get_or_create(session, phone).notice_version != NOTICE_VERSION


def notice_shown(session: Session, phone: str) -> None:
    profiles.get_or_create(session, phone).notice_version = NOTICE_VERSION


def subscribe(session: Session, phone: str, topic_key: str, channel: str = "whatsapp") -> None:
    """Opt in to a topic. Choosing updates after STOP is a new opt-in: STOP is lifted."""
    if topic(topic_key) is None:
        raise ValueError(f"unknown topic {topic_key}")
    citizen = profiles.get_or_create(session, phone)
    citizen.opted_out_at = None
    if session.get(models.Subscription, (phone, topic_key)) is None:
        session.add(models.Subscription(phone=phone, topic=topic_key))
    _consent(session, phone, topic_key, True, channel)
    session.flush()


def unsubscribe(session: Session, phone: str, topic_key: str, channel: str = "whatsapp") -> None:
    session.execute(delete(models.Subscription).where(models.Subscription.phone == phone, models.Subscription.topic == topic_key))
    _consent(session, phone, topic_key, False, channel)


def set_ward(session: Session, phone: str, ward_key: str | None, channel: str = "whatsapp") -> None:
    profiles.get_or_create(session, phone).ward_key = ward_key
    _consent(session, phone, "ward", ward_key is not None, channel)


def stop_all(session: Session, phone: str, channel: str = "whatsapp", now: dt.datetime | None = None) -> None:
    """STOP: no broadcast of any kind from now on. The choices are kept for a later START."""
    profiles.get_or_create(session, phone).opted_out_at = now or clock.utcnow()
    _consent(session, phone, "all", False, channel)
    session.flush()


def start_again(session: Session, phone: str, channel: str = "whatsapp") -> Choices:
    profiles.get_or_create(session, phone).opted_out_at = None
    _consent(session, phone, "all", True, channel)
    session.flush()
    return choices(session, phone)


def choices(session: Session, phone: str) -> Choices:
    citizen = profiles.get_or_create(session, phone)
    chosen = session.execute(select(models.Subscription.topic).where(models.Subscription.phone == phone)).scalars()
    return Choices(sorted(chosen), citizen.ward_key, citizen.opted_out_at is not None)
