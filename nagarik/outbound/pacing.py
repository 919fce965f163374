"""Send pacing shared by every worker process, and the daily tier of citizens reached outside the window.

Each rate is a "next free slot" time (GCRA): a batch of k sends reserves k slots from max(next, now)
and moves `next` on by k intervals, in one atomic step. No bursts, so no one-second window ever
holds more than the rate (plus one), whatever the number of workers. Keys: the business number's
throughput and each citizen's 6-second gap.

Two stores for the slots, the same arithmetic:
- the civic database (default): one row per key, reserved by one upsert ... RETURNING, serialised
  by the database; the time is this machine's clock;
- Redis (NAGARIK_PACING_URL=redis://..., or the queue's Redis when NAGARIK_QUEUE_URL is one): a Lua
  script on Redis's own clock, so workers on several machines share one limit even if their clocks
  disagree. NAGARIK_PACING_URL=database keeps the database with a Redis queue.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol

from sqlalchemy import case, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models
from nagarik.shared import clock

CITIZEN_GAP_SECONDS = 6.0  # WhatsApp's pair rate: about one message per 6 s to the same person
BULK_SHARE = 0.8  # bulk sends use 80 % of the number's rate: replies and alerts keep headroom
REDIS_PREFIX = "nagarik:pacing:"


class Pacer(Protocol):
    def reserve(self, counts: dict[str, int], interval: float, now: float | None = None) -> dict[str, float]:
        """For each key, the start of `count` consecutive slots `interval` apart, as epoch seconds
        on this machine's clock (slot i of a key is start + i * interval)."""
        ...


class DatabasePacer:
    """Slots in the civic database's pacing_slots table, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def reserve(self, counts: dict[str, int], interval: float, now: float | None = None) -> dict[str, float]:
        if not counts:
            return {}
        now = time.time() if now is None else now
        slot = models.PacingSlot.__table__
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        # Sorted keys: concurrent batches lock shared rows in the same order (no deadlock on PostgreSQL).
        rows = [{"key": key, "next_at": now + interval * counts[key]} for key in sorted(counts)]
        statement = dialect.insert(slot).values(rows)
        # The inserted row carries now + k * interval; an existing key moves on from max(next, now).
        statement = statement.on_conflict_do_update(
            index_elements=[slot.c.key],
            set_={"next_at": case((slot.c.next_at > now, slot.c.next_at), else_=now) + (statement.excluded.next_at - now)},
        ).returning(slot.c.key, slot.c.next_at)
        return {key: next_at - interval * counts[key] for key, next_at in self.session.execute(statement)}


# KEYS: the rates; ARGV: now ('' = Redis's clock), interval, count per key (in KEYS order).
# Returns each key's first slot, then the "now" used, as text with every digit of the double.
_RESERVE_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local interval = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local start = math.max(tonumber(redis.call('GET', key) or 0), now)
  local next_at = start + interval * tonumber(ARGV[2 + i])
  redis.call('SET', key, string.format('%.17g', next_at), 'PX', math.ceil((next_at - now) * 1000) + 60000)
  out[i] = string.format('%.17g', start)
end
out[#KEYS + 1] = string.format('%.17g', now)
return out
"""


class RedisPacer:
    """Slots in Redis, reserved atomically by a Lua script (keys expire a minute after their last slot)."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        import redis  # only where Redis is configured

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._script = self.client.register_script(_RESERVE_LUA)

    def reserve(self, counts: dict[str, int], interval: float, now: float | None = None) -> dict[str, float]:
        if not counts:
            return {}
        keys = sorted(counts)
        answer = self._script(
            keys=[self.prefix + key for key in keys],
            args=["" if now is None else repr(now), repr(interval), *(counts[key] for key in keys)],
        )
        # On Redis's clock unless `now` was given; then moved onto this machine's clock.
        offset = 0.0 if now is not None else time.time() - float(answer[-1])
        return {key: float(start) + offset for key, start in zip(keys, answer[:-1], strict=True)}


@cache
def _redis_pacer(url: str) -> RedisPacer:
    return RedisPacer(url)  # one connection pool per process, shared by its threads


def pacer(session: Session) -> Pacer:
    url = settings.pacing_url()
    return DatabasePacer(session) if url == "database" else _redis_pacer(url)


def reserve(session: Session, key: str, interval: float, now: float | None = None) -> float:
    """The time (epoch seconds) one send on this rate may go, from the configured store."""
    return pacer(session).reserve({key: 1}, interval, now)[key]


def throughput_interval(messages_per_second: float, priority: int, bulk_below: int = 50) -> float:
    """Seconds between sends on the business number: bulk at 80 % of the rate, alerts at all of it."""
    share = BULK_SHARE if priority < bulk_below else 1.0
    return 1.0 / (messages_per_second * share)


TIER_WINDOW = dt.timedelta(hours=24)  # Meta's moving window for NAGARIK_MESSAGING_TIER (nagarik.settings)


def tier_room(session: Session, tier: int | None, now: dt.datetime | None = None) -> int | None:
    """How many more citizens the tier lets us reach outside their window now (None: no limit)."""
    if tier is None:
        return None
    since = (now or clock.utcnow()) - TIER_WINDOW
    contact = models.TemplateContact
    reached = session.execute(select(func.count(func.distinct(contact.phone))).where(contact.sent_at > since)).scalar_one()
    return max(0, tier - reached)


def may_contact_outside_window(session: Session, phone: str, tier: int | None, now: dt.datetime | None = None) -> bool:
    """Whether one more template to this citizen stays within the tier; records it if so.

    A citizen already reached in the moving 24 hours does not count again."""
    return phone in allowed_outside_window(session, [phone], tier, now)


def allowed_outside_window(session: Session, phones: Iterable[str], tier: int | None, now: dt.datetime | None = None) -> set[str]:
    """Which of these citizens may get a template now within the tier (in the order given, while
    there is room); records a contact for each of them."""
    now = now or clock.utcnow()
    since = now - TIER_WINDOW
    contact = models.TemplateContact
    wanted = list(dict.fromkeys(phones))
    if not wanted:
        return set()
    already = set(
        session.execute(select(contact.phone).where(contact.phone.in_(wanted), contact.sent_at > since).distinct()).scalars()
    )
    new = [phone for phone in wanted if phone not in already]
    if new and tier is not None:
        reached = session.execute(select(func.count(func.distinct(contact.phone))).where(contact.sent_at > since)).scalar_one()
        new = new[: max(0, tier - reached)]
    allowed = already | set(new)
    rows: list[dict[str, Any]] = [{"phone": phone, "sent_at": now} for phone in wanted if phone in allowed]
    if rows:
        session.execute(insert(contact), rows)
    return allowed
