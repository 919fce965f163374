"""Consent at the send step: a copy waits between being made and going (behind the number's rate,
over the daily tier, for a retry), and what the citizen said in that time wins. STOP, a topic STOP
holds, a topic stopped, or a reminder kind stopped make the copy skipped, with the reason, never
sent; news of one's own case still goes after STOP."""

import asyncio
import datetime as dt

from sqlalchemy import select

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.outbound import broadcasts, notifications, reminders
from tests.unit import test_sender
from tests.unit.broadcast_helpers import announce, citizen

sender = test_sender.sender  # a Sender with a fake Graph API that remembers what it was given (a fixture)
PHONE, OTHER = "919811200001", "919811200002"
FIRES = dt.datetime(2026, 12, 1, 4, 30)  # 10:00 IST on 1 December: a licence expiring on the 31st is reminded


def outcomes(broadcast_id: int) -> dict[str, tuple[str, str | None]]:
    """phone -> (state, skip reason) of a broadcast's copies."""
    with db.session_scope() as session:
        row = models.BroadcastRecipient
        rows = session.execute(select(row.phone, row.state, row.skip_reason).where(row.broadcast_id == broadcast_id))
        return {phone: (state, reason) for phone, state, reason in rows}


def reminder_copies(*phones: str) -> tuple[int, list[int]]:
    """A licence reminder for each phone, made by the periodic job and started: its copies, unsent."""
    with db.session_scope() as session:
        for phone in phones:
            reminders.add_date(session, phone, "licence_expiry", dt.date(2026, 12, 31), f"TL/{phone[-4:]}")
        made = reminders.run_due(session, FIRES)
        assert len(made) == len(phones)
        ids = []
        for broadcast in made:
            broadcasts.materialize(session, broadcast)
            ids += broadcasts.unfinished(session, broadcast.id, with_queued=True)
        return made[0].id, ids


def sent_to(sender) -> list[str]:
    return sorted(recipient for recipient, _ in sender.graph.sent)


def test_a_reminder_kind_stopped_after_the_reminder_was_made_is_not_sent(sender):
    reminder_copies(PHONE, OTHER)
    with db.session_scope() as session:  # the copies exist; the citizen taps "Stop these reminders" on an earlier one
        reminders.opt_out(session, PHONE, "licence_expiry")
        ids = list(session.execute(select(models.BroadcastRecipient.id).order_by(models.BroadcastRecipient.id)).scalars())
    asyncio.run(sender.send_many(ids))
    assert sent_to(sender) == [OTHER]  # the other citizen's reminder still goes
    with db.session_scope() as session:
        copies = session.execute(select(models.BroadcastRecipient.phone, models.BroadcastRecipient.state,
                                        models.BroadcastRecipient.skip_reason)).all()  # fmt: skip
    assert sorted(copies) == [(PHONE, "skipped", "reminder_opt_out"), (OTHER, "sent", None)]


def test_a_held_reminder_opted_out_of_before_its_release_is_not_sent(sender):
    broadcast_id, ids = reminder_copies(PHONE)
    sender.tier = 0  # the day's templates are used up: the copy is held for the sweep
    asyncio.run(sender.send_many(ids))
    assert outcomes(broadcast_id) == {PHONE: ("held", None)} and sender.graph.sent == []
    with db.session_scope() as session:
        reminders.opt_out(session, PHONE, "licence_expiry")
    sender.tier = 2  # the next day: room again, and the held copy is released
    asyncio.run(sender.send_many(ids))
    assert outcomes(broadcast_id) == {PHONE: ("skipped", "reminder_opt_out")} and sender.graph.sent == []


def test_stop_after_the_reminder_was_made_skips_it_and_so_does_a_topic_chosen_since(sender):
    broadcast_id, ids = reminder_copies(PHONE)
    with db.session_scope() as session:
        subscriptions.stop_all(session, PHONE)
        subscriptions.subscribe(session, PHONE, "water_supply")  # water updates only: reminders stay off until START
    ready = sender.prepare(ids)
    assert ready == [] and outcomes(broadcast_id) == {PHONE: ("skipped", "stopped")}


def test_a_topic_stop_holds_gets_nothing_even_after_another_topic_is_chosen(sender):
    citizen(PHONE, topics=("water_supply",))
    citizen(OTHER, topics=("water_supply",))
    broadcast_id, ids = announce()  # water supply: both copies made
    with db.session_scope() as session:
        subscriptions.stop_all(session, PHONE)
        subscriptions.subscribe(session, PHONE, "health")  # a new opt-in to health only: water stays held
        subscriptions.stop_all(session, OTHER)
        subscriptions.subscribe(session, OTHER, "water_supply")  # water chosen again: it comes
    asyncio.run(sender.send_many(ids))
    assert sent_to(sender) == [OTHER]
    assert outcomes(broadcast_id) == {PHONE: ("skipped", "stopped"), OTHER: ("sent", None)}


def test_a_topic_stopped_after_the_copy_was_made_is_not_sent(sender):
    citizen(PHONE, topics=("water_supply", "health"))
    broadcast_id, ids = announce()
    with db.session_scope() as session:
        subscriptions.unsubscribe(session, PHONE, "water_supply")  # "stop water supply updates" while the copy waits
    asyncio.run(sender.send_many(ids))
    assert sender.graph.sent == [] and outcomes(broadcast_id) == {PHONE: ("skipped", "unsubscribed")}


def test_news_of_ones_own_case_goes_after_stop(sender, catalog):
    with db.session_scope() as session:
        subscriptions.stop_all(session, "919876543210")  # the applicant of BC-2026-001234
        broadcast = notifications.application_moved(session, "BC-2026-001234", "approval", dt.date(2026, 12, 5), by="revenue")
        broadcasts.materialize(session, broadcast)
        broadcast_id, ids = broadcast.id, broadcasts.unfinished(session, broadcast.id, with_queued=True)
    asyncio.run(sender.send_many(ids))
    assert sent_to(sender) == ["919876543210"] and outcomes(broadcast_id) == {"919876543210": ("sent", None)}
