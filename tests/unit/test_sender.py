"""The sender: a claimed batch at a time, within the window rules and Meta's answers."""

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
from tests.unit.broadcast_helpers import announce, citizen, states
from whatsapp.cloud.graph import GraphResult
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import Store, outbox, windows
from whatsapp.errors import Action

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
    assert sender._withdrawn(ready) == {ready[0].id: "stopped"}
    with db.session_scope() as session:
        broadcasts.cancel(session, broadcast_id)
    assert sender._withdrawn(ready) == {copy.id: "cancelled" for copy in ready}


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


def test_a_broadcast_whose_copies_cannot_be_built_fails_with_its_reason_and_the_batch_goes_on(sender):
    """Rows stored before the door checked them (media "x", a poll broadcast without its poll) once
    crashed every batch they were in, for ever, leaving their broadcasts `running`."""
    citizen("919100000071")
    citizen("919100000072", language="en")
    with sender.window_store.engine.begin() as connection:  # both in their window: the media branch
        for phone in ("919100000071", "919100000072"):
            connection.execute(windows.insert().values(sender=phone, last_inbound_at=time.time() - 60))
    good, good_ids = announce()
    with db.session_scope() as session:
        stored = dict(kind="announcement", priority=10, texts={"en": "x"}, audience={"topics": ["water_supply"]},
                      template="announcement", status="scheduled", created_by="before-the-checks")  # fmt: skip
        bad_media = models.Broadcast(**stored, media="x")
        no_link = models.Broadcast(**stored, media={"type": "image"})
        session.add_all([bad_media, no_link])
        session.flush()
        orphan_poll = broadcasts.create(session, kind="poll", texts={"en": "Q?"}, audience=Audience(), created_by="t")
        broken = [bad_media.id, no_link.id, orphan_poll.id]
        ids = list(good_ids)
        for broadcast in (bad_media, no_link, orphan_poll):
            broadcasts.materialize(session, broadcast)
            ids += broadcasts.unfinished(session, broadcast.id, with_queued=True)
    asyncio.run(sender.send_many(ids))  # one batch with copies of all four
    assert states(good) == {"919100000071": "sent", "919100000072": "sent"}
    assert len(sender.graph.sent) == 2
    with db.session_scope() as session:
        for broadcast_id, reason in zip(broken, ("AttributeError", "KeyError: 'link'", "NoResultFound"), strict=True):
            state = broadcasts.progress(session, broadcast_id)
            assert state.status == "failed" and reason in state.reason and state.states == {"failed": 2}, state
            assert broadcasts.unfinished(session, broadcast_id, with_queued=True) == []  # no sweep takes it up again
    asyncio.run(sender.send_many(ids))  # the same batch again (a duplicate task): nothing more, no crash
    assert len(sender.graph.sent) == 2
