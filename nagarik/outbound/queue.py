"""The outbound work queue (Huey): embedded SQLite by default, Redis when NAGARIK_QUEUE_URL says so.

Run workers with `python -m nagarik worker` (several processes may share one queue and one
rate limit: pacing lives in the database or in Redis, see nagarik.outbound.pacing). Tasks only say "start
this broadcast" or "send these rows"; the rows themselves (nagarik.outbound.broadcasts) are the truth, so a
task lost with a killed worker is recreated by the sweep that every worker runs at start-up and
every minute.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from typing import Any

from huey import PriorityRedisHuey, SqliteHuey, crontab
from sqlalchemy import select

from nagarik import db, settings
from nagarik.db import models
from nagarik.outbound import broadcasts, pacing, polls
from nagarik.shared import clock

BATCH = 20  # small batches: an emergency waits behind at most one reserved batch per worker thread


def make_queue() -> SqliteHuey | PriorityRedisHuey:
    url = settings.queue_url()
    if url.startswith("redis"):
        return PriorityRedisHuey("nagarik", url=url)  # plain RedisHuey refuses task priorities
    path = url.removeprefix("sqlite:///")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("nagarik", filename=path)


huey = make_queue()


def enqueue_unfinished(broadcast: models.Broadcast, recipient_ids: list[int]) -> None:
    for start in range(0, len(recipient_ids), BATCH):
        send_batch(recipient_ids[start : start + BATCH], priority=broadcast.priority)


@huey.task(retries=3, retry_delay=10)
def start_broadcast(broadcast_id: int) -> None:
    with db.session_scope() as session:
        broadcast = session.get(models.Broadcast, broadcast_id)
        if broadcast is None or broadcast.status == "cancelled":
            return
        broadcasts.materialize(session, broadcast)
    # Committed before any batch is queued: a worker must find the rows its batch names.
    with db.session_scope() as session:
        enqueue_unfinished(broadcast, broadcasts.unfinished(session, broadcast_id, with_queued=True))


@huey.task(retries=3, retry_delay=10)  # a batch that failed before claiming (database away) is not left queued
def send_batch(recipient_ids: list[int]) -> None:
    loop, sender = _thread_sender()
    outcomes = loop.run_until_complete(sender.send_many(recipient_ids))
    schedule_retries([outcome for outcome in outcomes if outcome.state == "retrying"])


def schedule_retries(outcomes: list[broadcasts.Outcome]) -> None:
    """Queue the copies to try again at their time, with their broadcast's priority (the sweep
    would find them too, a little later, if the queue lost these tasks)."""
    if not outcomes:
        return
    row = models.BroadcastRecipient
    with db.session_scope() as session:
        priority = dict(
            session.execute(
                select(row.id, models.Broadcast.priority)
                .join(models.Broadcast, models.Broadcast.id == row.broadcast_id)
                .where(row.id.in_([o.recipient_id for o in outcomes]))
            ).all()
        )
    groups: dict[tuple[Any, int], list[int]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome.retry_at, priority.get(outcome.recipient_id, 0)), []).append(outcome.recipient_id)
    for (at, rank), ids in groups.items():
        send_batch.schedule(args=(ids,), eta=at, priority=rank)


_local = threading.local()


def _thread_sender() -> tuple[asyncio.AbstractEventLoop, Any]:
    """One event loop and one Sender (with its HTTP connections) per worker thread, kept between
    batches: a new client per batch would cost more than the batch's sends."""
    if not hasattr(_local, "sender"):
        from nagarik.outbound.sender import Sender  # imported in the worker only

        try:
            import uvloop

            _local.loop = uvloop.new_event_loop()
        except ImportError:
            _local.loop = asyncio.new_event_loop()
        _local.sender = Sender.from_environment()
    return _local.loop, _local.sender


def sweep(*, with_queued: bool = False) -> None:
    """Start broadcasts that fell due; re-queue copies left unsent by a dead worker; close done ones
    (and polls past their closing time, whose unsent copies are then not sent)."""
    now = clock.utcnow()
    with db.session_scope() as session:
        polls.close_due(session, now)
        room = pacing.tier_room(session, settings.messaging_tier(), now)
        # Held copies (over the daily tier) are retried as far as the tier has room, and a batch
        # more (whose citizens may have written to us since, opening their window).
        held_limit = None if room is None else room + BATCH
        for broadcast in session.execute(
            select(models.Broadcast).where(models.Broadcast.status.in_(("scheduled", "running")))
        ).scalars():
            if broadcast.status == "scheduled" and broadcast.send_at <= now:
                start_broadcast(broadcast.id, priority=broadcast.priority)
            elif broadcast.status == "running" and not broadcasts.finish_if_done(session, broadcast):
                unsent = broadcasts.unfinished(session, broadcast.id, with_queued=with_queued, now=now, held_limit=held_limit)
                enqueue_unfinished(broadcast, unsent)


_started = threading.Lock()


@huey.on_startup()
def sweep_at_start() -> None:
    """Once per worker process (Huey calls start-up hooks in every worker thread)."""
    if _started.acquire(blocking=False):
        sweep(with_queued=True)
        run_sla_sweep()


@huey.periodic_task(crontab(minute="*"))
def sweep_every_minute() -> None:
    sweep()


@huey.periodic_task(crontab(minute="*/5"))
def reminders_every_five_minutes() -> None:
    """Date reminders that fell due become scheduled broadcasts; the sweep starts them."""
    from nagarik.outbound import reminders

    with db.session_scope() as session:
        reminders.run_due(session)


@huey.periodic_task(crontab(minute="*"))
def erasures_every_minute() -> None:
    """Finish citizens' erasures: their conversation, the channel's texts, their evidence files
    (nagarik.citizens.data_rights; each pass is claimed, so several workers may run this)."""
    from nagarik.citizens import data_rights

    data_rights.run_due_erasures()


@huey.periodic_task(crontab(minute="*"))
def conversations_every_minute() -> None:
    """Rasa's event broker (its endpoints file's `event_broker`) into the console's conversations."""
    from nagarik.conversations import consumer

    consumer.run_from_endpoints()


# The SLA sweep's claim: the queue's storage, like the purge's, because every worker that runs the
# periodic task shares it, put_if_empty is atomic there (SQLite or Redis) and it needs no table of its
# own. A lost claim (a worker killed mid-sweep) costs only that slot: the next one catches up, and the
# sweep's conditional updates make a second run at once harmless anyway, so a lease would buy nothing.
SLA_SWEEP_CLAIM = "sla-sweep:"  # + the 5-minute slot (UTC)
SLA_SWEEP_EVERY = dt.timedelta(minutes=5)


def claim_sla_sweep(now: dt.datetime) -> bool:
    """True for the first caller in this 5-minute slot across every worker sharing the queue."""
    slot = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    if not huey.put_if_empty(SLA_SWEEP_CLAIM + slot.isoformat(), "claimed"):
        return False
    huey.delete(SLA_SWEEP_CLAIM + (slot - SLA_SWEEP_EVERY).isoformat())  # the last slot's is no longer needed
    return True


def run_sla_sweep() -> None:
    """The SLA sweep (nagarik.outbound.sla_sweep), by one worker per slot; its messages are
    scheduled notifications, which the broadcasts' sweep starts."""
    from nagarik.catalog.store import current_catalog
    from nagarik.outbound import sla_sweep

    now = clock.utcnow()
    if claim_sla_sweep(now):
        with db.session_scope() as session:
            sla_sweep.run_sweep(session, current_catalog(session), now)


@huey.periodic_task(crontab(minute="*/5"))
def sla_sweep_every_five_minutes() -> None:
    run_sla_sweep()


PURGE_CLAIM = "retention-purge:"  # + the UTC day: which worker purges that day, in the queue's storage


def claim_purge(day: dt.date) -> bool:
    """True for the first caller of the day across every worker sharing the queue."""
    if not huey.put_if_empty(PURGE_CLAIM + day.isoformat(), "claimed"):
        return False
    huey.delete(PURGE_CLAIM + (day - dt.timedelta(days=1)).isoformat())  # yesterday's claim is no longer needed
    return True


@huey.periodic_task(crontab(minute="17"))
def purge_once_a_day() -> None:
    """The retention purge (config/retention.yml). Tried every hour, so a day when the workers were
    down at one hour is not missed; run by one worker a day (Huey enqueues periodic tasks in every
    worker process)."""
    from nagarik.citizens import purge

    if claim_purge(clock.utcnow().date()):
        purge.purge()


def run_workers(threads: int) -> None:
    """One worker process: `threads` queue consumers, and a thread copying Meta's delivery
    statuses of broadcast copies into the civic database (nagarik.outbound.delivery)."""
    from huey.consumer import Consumer

    from nagarik.outbound import delivery
    from nagarik.outbound.sender import window_store

    stop = threading.Event()
    follower = threading.Thread(target=delivery.follow, args=(window_store(), stop), name="delivery-statuses", daemon=True)
    follower.start()
    try:
        # An idle worker polls at least every second, so a new emergency never waits on back-off.
        Consumer(huey, workers=threads, worker_type="thread", periodic=True, max_delay=1.0).run()
    finally:
        stop.set()
