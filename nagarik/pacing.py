"""Send pacing shared by every worker process: one atomic reservation per message.

Each rate is a "next free slot" time in the database (GCRA): a send reserves
max(next, now) and moves it on by the interval. No bursts, so no one-second window ever holds
more than the rate (plus one), whatever the number of workers. Keys: the business number's
throughput and each citizen's 6-second gap.
"""

from __future__ import annotations

import time

from sqlalchemy import case, insert, update
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
