"""Consent, audiences, recipients and pacing: who may receive a broadcast, exactly once, how fast."""

import datetime as dt

import pytest

from nagarik import broadcasts, db, pacing, subscriptions
from nagarik.broadcasts import Audience
from tests.support import add_subscriber

JAYANAGAR, BASAVANAGUDI = "jayanagar", "basavanagudi"


def citizen(phone: str, *, topics=("water_supply",), ward=JAYANAGAR, language="kn", stop=False) -> None:
    add_subscriber(phone, topics, ward, language, stop)


def phones(kind: str, audience: Audience) -> list[str]:
    with db.session_scope() as session:
        return [phone for phone, _ in session.execute(broadcasts.audience_query(kind, audience))]


def test_consent_is_kept_with_purpose_time_and_notice(database):
    with db.session_scope() as session:
        assert subscriptions.needs_notice(session, "919000000001")
    citizen("919000000001")  # shown the notice, then chose updates
    with db.session_scope() as session:
        assert not subscriptions.needs_notice(session, "919000000001")
        consents = session.query(db.Consent).filter_by(phone="919000000001").all()
        assert {(c.purpose, c.granted) for c in consents} == {("water_supply", True), ("ward", True)}
        assert all(c.notice_version == subscriptions.NOTICE_VERSION and c.channel == "whatsapp" for c in consents)


def test_stop_and_start(database):
    citizen("919000000002", topics=("water_supply", "health"))
    with db.session_scope() as session:
        subscriptions.stop_all(session, "919000000002")
        assert subscriptions.choices(session, "919000000002").opted_out
    assert phones("announcement", Audience()) == []
    with db.session_scope() as session:
        again = subscriptions.start_again(session, "919000000002")
        assert again.topics == ["health", "water_supply"] and not again.opted_out


def test_audiences_by_ward_topic_and_language(database):
    citizen("919000000011")  # jayanagar, water, kn
    citizen("919000000012", ward=BASAVANAGUDI)  # another ward
    citizen("919000000013", topics=("health",))  # another topic
    citizen("919000000014", stop=True)  # said STOP
    citizen("919000000015", language="hi")
    with db.session_scope() as session:
        session.add(db.Citizen(phone="919000000016", ward_key=JAYANAGAR))  # never opted in to anything
    water_in_jayanagar = Audience(wards=(JAYANAGAR,), topics=("water_supply",))
    assert phones("announcement", water_in_jayanagar) == ["919000000011", "919000000015"]
    assert phones("announcement", Audience(wards=(JAYANAGAR,), topics=("water_supply",), languages=("hi",))) == ["919000000015"]
    # An emergency reaches everyone in the ward who opted in to anything, but never who said STOP.
    assert phones("emergency", Audience(wards=(JAYANAGAR,))) == ["919000000011", "919000000013", "919000000015"]


def test_recipients_are_created_once_and_claimed_once(database):
    for n in range(5):
        citizen(f"91900000002{n}")
    with db.session_scope() as session:
        broadcast = broadcasts.create(
            session, kind="announcement", texts={"en": "Water off Friday"}, audience=Audience(), created_by="t"
        )
        assert broadcasts.materialize(session, broadcast) == 5
        assert broadcasts.materialize(session, broadcast) == 0  # idempotent
        ids = broadcasts.unfinished(session, broadcast.id, with_queued=True)
        first = broadcasts.claim(session, ids)
        assert first == ids and broadcasts.claim(session, ids) == []  # a second worker gets nothing
        later = db.utcnow() + broadcasts.LEASE + dt.timedelta(seconds=1)
        assert broadcasts.unfinished(session, broadcast.id, with_queued=False, now=later) == ids  # a dead worker's copies
        assert broadcasts.claim(session, ids[:2], now=later) == ids[:2]


def test_cancel_skips_whoever_was_not_sent_yet(database):
    citizen("919000000031")
    citizen("919000000032")
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind="announcement", texts={"en": "x"}, audience=Audience(), created_by="t")
        broadcasts.materialize(session, broadcast)
        first = broadcasts.unfinished(session, broadcast.id, with_queued=True)[0]
        broadcasts.record(session, first, state="sent", wamid="wamid.1")
        broadcasts.cancel(session, broadcast.id)
        state = broadcasts.progress(session, broadcast.id)
        assert state.states == {"sent": 1, "skipped": 1} and state.status == "cancelled"


def test_bad_broadcasts_are_refused(database):
    with db.session_scope() as session, pytest.raises(ValueError):
        broadcasts.create(session, kind="emergency", texts={"en": "flood"}, audience=Audience(), created_by="t")
    with db.session_scope() as session, pytest.raises(ValueError):
        broadcasts.create(session, kind="announcement", texts={"hi": "सूचना"}, audience=Audience(), created_by="t")


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
