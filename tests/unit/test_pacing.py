"""Pacing: never faster than the rate in any second, the daily tier, held copies."""

import datetime as dt

from nagarik import db
from nagarik.outbound import broadcasts, pacing
from nagarik.outbound.broadcasts import Audience
from tests.unit.broadcast_helpers import citizen


def test_pacing_never_exceeds_the_rate_in_any_second(database):
    interval = pacing.throughput_interval(80, priority=100)
    with db.session_scope() as session:
        slots = [pacing.reserve(session, "number:test", interval, now=1000.0 + i * 0.001) for i in range(400)]
    for start in slots:  # every one-second window, starting at any send
        assert sum(start <= s < start + 1.0 for s in slots) <= 80
    with db.session_scope() as session:
        bulk = [pacing.reserve(session, "number:bulk", pacing.throughput_interval(80, priority=10), now=0.0) for _ in range(100)]
    assert sum(s < 1.0 for s in bulk) == 64  # bulk leaves a fifth of the rate for replies and alerts


def test_the_daily_tier_counts_unique_citizens_outside_the_window(database):
    now = dt.datetime(2026, 11, 25, 6, 0)
    with db.session_scope() as session:
        assert pacing.may_contact_outside_window(session, "919000000041", 2, now)
        assert pacing.may_contact_outside_window(session, "919000000042", 2, now)
        assert pacing.may_contact_outside_window(session, "919000000041", 2, now)  # already counted today
        assert not pacing.may_contact_outside_window(session, "919000000043", 2, now)  # a third citizen: over
        assert pacing.may_contact_outside_window(session, "919000000043", None, now)  # unlimited tier
        later = now + pacing.TIER_WINDOW + dt.timedelta(minutes=1)
        assert pacing.may_contact_outside_window(session, "919000000044", 2, later)  # the moving 24 h has passed


def test_held_copies_are_retried_and_cancellable(database):
    citizen("919000000051")
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind="announcement", texts={"en": "x"}, audience=Audience(), created_by="t")
        broadcasts.materialize(session, broadcast)
        [copy] = broadcasts.unfinished(session, broadcast.id, with_queued=True)
        broadcasts.record(session, copy, state="held")
        assert broadcasts.unfinished(session, broadcast.id, with_queued=False) == [copy]  # the sweep retries it
        assert not broadcasts.finish_if_done(session, broadcast)
        broadcasts.cancel(session, broadcast.id)
        assert broadcasts.progress(session, broadcast.id).states == {"skipped": 1}


def test_held_copies_are_retried_only_as_far_as_the_tier_has_room(database):
    for n in range(4):
        citizen(f"91900000006{n}")
    now = dt.datetime(2026, 11, 25, 6, 0)
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind="announcement", texts={"en": "x"}, audience=Audience(), created_by="t")
        broadcasts.materialize(session, broadcast)
        copies = broadcasts.unfinished(session, broadcast.id, with_queued=True)
        broadcasts.record_many(session, [broadcasts.Outcome(copy, "held") for copy in copies[1:]])
        reached = ["919000000060", "919000000070"]  # two citizens reached outside their window today
        assert pacing.allowed_outside_window(session, reached, 3, now) == set(reached)
        assert pacing.tier_room(session, 3, now) == 1 and pacing.tier_room(session, None, now) is None
        assert broadcasts.unfinished(session, broadcast.id, with_queued=False, held_limit=1) == copies[1:2]
        assert broadcasts.unfinished(session, broadcast.id, with_queued=True, held_limit=0) == copies[:1]  # still queued
        assert broadcasts.unfinished(session, broadcast.id, with_queued=False) == copies[1:]
