"""Send pacing shared by every worker process: one atomic reservation per message.

Each rate is a "next free slot" time in the database (GCRA): a send reserves
max(next, now) and moves it on by the interval. No bursts, so no one-second window ever holds
more than the rate (plus one), whatever the number of workers. Keys: the business number's
throughput and each citizen's 6-second gap. Also here: the daily tier of unique citizens reached
outside their window.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nagarik import db

CITIZEN_GAP_SECONDS = 6.0  # WhatsApp's pair rate: about one message per 6 s to the same person
BULK_SHARE = 0.8  # bulk sends use 80 % of the number's rate: replies and alerts keep headroom


def reserve(session: Session, key: str, interval: float, now: float | None = None) -> float:
    """The time (epoch seconds) this send may go; the caller waits until then."""
    now = time.time() if now is None else now
    slot = db.PacingSlot
    start = case((slot.next_at > now, slot.next_at), else_=now)
    reserved = session.execute(
        update(slot).where(slot.key == key).values(next_at=start + interval).returning(slot.next_at)
    ).scalar_one_or_none()
    if reserved is not None:
        return reserved - interval
    try:
        with session.begin_nested():
            session.execute(insert(slot).values(key=key, next_at=now + interval))
        return now
    except IntegrityError:  # another worker created the key first
        return reserve(session, key, interval, now)


def throughput_interval(messages_per_second: float, priority: int, bulk_below: int = 50) -> float:
    """Seconds between sends on the business number: bulk at 80 % of the rate, alerts at all of it."""
    share = BULK_SHARE if priority < bulk_below else 1.0
    return 1.0 / (messages_per_second * share)


# Meta's messaging limits: unique citizens a business may reach outside their 24-hour window in
# any moving 24 hours (per business portfolio). Set NAGARIK_MESSAGING_TIER to the account's tier.
TIERS = {"250": 250, "2000": 2_000, "10000": 10_000, "100000": 100_000, "unlimited": None}
TIER_WINDOW = dt.timedelta(hours=24)


def messaging_tier() -> int | None:
    value = os.environ.get("NAGARIK_MESSAGING_TIER", "2000")
    if value not in TIERS:
        raise ValueError(f"NAGARIK_MESSAGING_TIER must be one of {', '.join(TIERS)}")
    return TIERS[value]


def may_contact_outside_window(session: Session, phone: str, tier: int | None, now: dt.datetime | None = None) -> bool:
    """Whether one more template to this citizen stays within the tier; records it if so.

    A citizen already reached in the moving 24 hours does not count again."""
    now = now or db.utcnow()
    since = now - TIER_WINDOW
    recent = select(db.TemplateContact).where(db.TemplateContact.sent_at > since)
    already = session.execute(recent.where(db.TemplateContact.phone == phone).limit(1)).first() is not None
    if not already and tier is not None:
        reached = session.execute(
            select(func.count(func.distinct(db.TemplateContact.phone))).where(db.TemplateContact.sent_at > since)
        )
        if reached.scalar_one() >= tier:
            return False
    session.add(db.TemplateContact(phone=phone, sent_at=now))
    return True
