"""Consent, audiences, recipients and pacing: who may receive a broadcast, exactly once, how fast."""

import asyncio
import datetime as dt
import itertools
import time

import pytest
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.outbound import broadcasts, pacing
from nagarik.outbound.broadcasts import Audience
from nagarik.outbound.sender import MAX_SEND_ATTEMPTS, Sender
from nagarik.shared import clock
from tests.support import add_subscriber
from whatsapp.cloud.graph import GraphResult
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import Store, outbox, windows
from whatsapp.errors import Action

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
        consents = session.query(models.Consent).filter_by(phone="919000000001").all()
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
        session.add(models.Citizen(phone="919000000016", ward_key=JAYANAGAR))  # never opted in to anything
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
        later = clock.utcnow() + broadcasts.LEASE + dt.timedelta(seconds=1)
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


# --- the sender: a batch at a time ------------------------------------------------------------


class FakeGraph:
    """Meta's side, as the sender sees it: every send accepted and remembered."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, recipient: str, body: dict) -> GraphResult:
        self.sent.append((recipient, body))
        return GraphResult(f"wamid.{len(self.sent)}", None, 200)


@pytest.fixture
def sender(database, tmp_path):
    settings = WhatsAppSettings(
        "token", "secret", "verify", "100200300400500", "http://graph.invalid/v21.0", f"sqlite:///{tmp_path / 'wa.db'}",
        tmp_path, None, 5.0, 2,
    )  # fmt: skip
    return Sender(FakeGraph(), Store(settings.store_url), settings, messages_per_second=50, tier=2)


def announce(kind: str = "announcement") -> tuple[int, list[int]]:
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind=kind, texts={"en": "Water off Friday", "kn": "ಶುಕ್ರವಾರ ನೀರು ಇಲ್ಲ"},
                                      audience=Audience(topics=("water_supply",)), created_by="t")  # fmt: skip
        broadcasts.materialize(session, broadcast)
        return broadcast.id, broadcasts.unfinished(session, broadcast.id, with_queued=True)


def states(broadcast_id: int) -> dict[str, str]:
    with db.session_scope() as session:
        row = models.BroadcastRecipient
        return dict(session.execute(select(row.phone, row.state).where(row.broadcast_id == broadcast_id)).all())


def test_a_batch_is_checked_paced_and_leased_at_once(sender):
    for phone in ("919100000001", "919100000002", "919100000004", "919100000005", "919100000006"):
        citizen(phone)
    citizen("919100000003", stop=True)  # said STOP: not in the audience
    with sender.window_store.engine.begin() as connection:  # 919100000002 wrote to us an hour ago
        connection.execute(windows.insert().values(sender="919100000002", last_inbound_at=time.time() - 3600))
    broadcast_id, ids = announce()
    with db.session_scope() as session:
        subscriptions.stop_all(session, "919100000005")  # STOP after the copies were made: skipped all the same
    ready = sender.prepare(ids)
    # Tier 2: two citizens outside the window get the template; the third is held for the sweep.
    assert states(broadcast_id) == {
        "919100000001": "sending", "919100000002": "sending", "919100000004": "sending",
        "919100000005": "skipped", "919100000006": "held",
    }  # fmt: skip
    assert [copy.phone for copy in ready] == ["919100000001", "919100000002", "919100000004"]
    interval = pacing.throughput_interval(50, broadcasts.PRIORITY["announcement"])
    assert [b.at - a.at for a, b in itertools.pairwise(ready)] == pytest.approx([interval, interval], abs=1e-6)
    last = dt.datetime.fromtimestamp(ready[-1].at, dt.timezone.utc).replace(tzinfo=None)
    with db.session_scope() as session:  # nobody may take the copies over before the last has gone
        row = models.BroadcastRecipient
        leases = session.execute(select(row.lease_until).where(row.id.in_([copy.id for copy in ready])))
        assert all(lease >= last + broadcasts.LEASE - dt.timedelta(seconds=1) for (lease,) in leases)
        assert broadcasts.claim(session, [copy.id for copy in ready]) == []  # a second worker gets none of them


def test_send_many_sends_templates_outside_the_window_and_text_inside(sender):
    citizen("919100000011")
    citizen("919100000012", language="en")
    with sender.window_store.engine.begin() as connection:
        connection.execute(windows.insert().values(sender="919100000012", last_inbound_at=time.time() - 60))
    broadcast_id, ids = announce()
    asyncio.run(sender.send_many(ids))
    sent = dict(sender.graph.sent)
    assert sent["919100000011"]["type"] == "template" and sent["919100000011"]["template"]["language"]["code"] == "kn"
    assert sent["919100000012"] == {
        "type": "text", "text": {"body": "Water off Friday", "preview_url": False},
        "biz_opaque_callback_data": f"broadcast:{broadcast_id}:919100000012",
    }  # fmt: skip
    assert states(broadcast_id) == {"919100000011": "sent", "919100000012": "sent"}
    asyncio.run(sender.send_many(ids))  # the same batch again (a duplicate task): nobody gets it twice
    assert len(sender.graph.sent) == 2


def test_a_copy_meta_already_took_is_recorded_not_sent_again(sender):
    citizen("919100000021")
    broadcast_id, ids = announce()
    long_ago = clock.utcnow() - dt.timedelta(hours=1)
    with db.session_scope() as session:
        broadcasts.take(session, ids, now=long_ago)  # a worker claimed it, sent it, and died: its lease ran out
    with sender.window_store.engine.begin() as connection:  # Meta's status webhook echoed the callback data
        connection.execute(outbox.insert().values(
            wamid="wamid.earlier", recipient="919100000021", state="status_only", created_at=time.time(),
            callback_data=f"broadcast:{broadcast_id}:919100000021",
        ))  # fmt: skip
    asyncio.run(sender.send_many(ids))
    assert sender.graph.sent == []
    with db.session_scope() as session:
        copy = session.get(models.BroadcastRecipient, ids[0])
        assert (copy.state, copy.wamid, copy.attempts) == ("sent", "wamid.earlier", 2)


def test_stop_or_cancel_after_the_claim_still_wins(sender):
    citizen("919100000031")
    citizen("919100000032")
    broadcast_id, ids = announce()
    ready = sender.prepare(ids)
    with db.session_scope() as session:
        subscriptions.stop_all(session, "919100000031")  # while the batch waits for its slots
    assert sender._withdrawn(ready) == {ready[0].id}
    with db.session_scope() as session:
        broadcasts.cancel(session, broadcast_id)
    assert sender._withdrawn(ready) == {copy.id for copy in ready}


def test_a_copy_woken_too_late_for_its_slot_takes_a_new_one(sender):
    citizen("919100000041")
    _, ids = announce()
    [copy] = sender.prepare(ids)
    copy.at = time.time() - 1.0  # the worker stalled for a second
    assert asyncio.run(sender._send_at(copy)) is None and sender.graph.sent == []
    copy.at = time.time()
    assert asyncio.run(sender._send_at(copy)).wamid == "wamid.1"


def test_an_error_in_one_send_leaves_that_copy_to_the_sweep_and_records_the_rest(sender):
    citizen("919100000051")
    citizen("919100000052")
    broadcast_id, ids = announce()

    async def failing(recipient: str, body: dict) -> GraphResult:
        if recipient == "919100000051":
            raise RuntimeError("a bug, not a Graph error")
        return GraphResult("wamid.ok", None, 200)

    sender.graph.send = failing
    asyncio.run(sender.send_many(ids))
    assert states(broadcast_id) == {"919100000051": "sending", "919100000052": "sent"}  # leased until the sweep


def test_a_send_left_without_an_answer_is_retried_later_then_unknown_never_failed(sender):
    citizen("919100000061")
    citizen("919100000062")
    broadcast_id, ids = announce()

    async def no_answer(recipient: str, body: dict) -> GraphResult:
        if recipient == "919100000061":
            return GraphResult(None, Action.UNKNOWN, error_message="ReadTimeout")
        return GraphResult(None, Action.DROP, 400, 131026, "undeliverable")  # an error no retry mends

    sender.graph.send = no_answer
    outcomes = {o.recipient_id: o for o in asyncio.run(sender.send_many(ids))}
    assert states(broadcast_id) == {"919100000061": "retrying", "919100000062": "failed"}
    retry = outcomes[ids[0]]
    assert retry.state == "retrying" and retry.retry_at > clock.utcnow() + dt.timedelta(seconds=4)
    with db.session_scope() as session:
        assert broadcasts.claim(session, [ids[0]]) == []  # nobody takes it before its time
        assert broadcasts.unfinished(session, broadcast_id, with_queued=False, now=retry.retry_at + dt.timedelta(seconds=1))
        copy = session.get(models.BroadcastRecipient, ids[0])
        copy.attempts, copy.lease_until = MAX_SEND_ATTEMPTS - 1, clock.utcnow() - dt.timedelta(seconds=1)
    asyncio.run(sender.send_many([ids[0]]))  # its last try: still no answer
    assert states(broadcast_id)["919100000061"] == "unknown"
    with db.session_scope() as session:
        state = broadcasts.progress(session, broadcast_id)
    assert state.finished == 2 and state.states == {"unknown": 1, "failed": 1} and state.failures == {131026: 1}


def test_metas_statuses_become_the_copies_delivery_counts(database):
    from nagarik.outbound import delivery

    for phone in ("919100000071", "919100000072", "919100000073"):
        citizen(phone)
    broadcast_id, ids = announce()
    with db.session_scope() as session:
        broadcasts.record_many(session, [broadcasts.Outcome(i, "sent", wamid=f"wamid.{i}") for i in ids])

    def status(phone: str, name: str, code: int | None = None) -> dict:
        return {"callback_data": f"broadcast:{broadcast_id}:{phone}", "status": name, "error_code": code}

    with db.session_scope() as session:  # out of order, and repeated, as Meta sends them
        delivery.apply(session, [status("919100000071", "read"), status("919100000071", "delivered")])
        delivery.apply(session, [status("919100000072", "delivered"), status("919100000073", "sent")])
        delivery.apply(session, [status("919100000073", "failed", 131026), status("919100000073", "delivered")])
        delivery.apply(session, [status("919100000071", "sent"), {"callback_data": "reply:wamid.x:1", "status": "read"}])
    with db.session_scope() as session:
        state = broadcasts.progress(session, broadcast_id)
    assert state.states == {"read": 1, "delivered": 1, "failed": 1} and state.failures == {131026: 1}


def test_statuses_wait_in_the_channels_store_until_copied(database, tmp_path):
    from nagarik.outbound import delivery
    from whatsapp.inbound import StatusUpdate, Webhook

    citizen("919100000081")
    broadcast_id, ids = announce()
    store = Store(f"sqlite:///{tmp_path / 'wa.db'}")
    callback = f"broadcast:{broadcast_id}:919100000081"
    store.accept(Webhook(statuses=[StatusUpdate("wamid.81", "delivered", "919100000081", 1, callback_data=callback)]))
    store.accept(Webhook(statuses=[StatusUpdate("wamid.r", "read", "919100000099", 1, callback_data="reply:w:1")]))
    assert [s["status"] for s in store.broadcast_statuses()] == ["delivered"]  # a reply's status is not queued
    assert delivery.copy_from(store) == 1 and store.broadcast_statuses() == [] and delivery.copy_from(store) == 0
    with db.session_scope() as session:
        assert session.get(models.BroadcastRecipient, ids[0]).status == "delivered"
