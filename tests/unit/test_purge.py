"""The retention purge removes exactly what is past config/retention.yml at an injected moment: one
second past its period goes, one second inside stays (SQLite and PostgreSQL); once a day across workers."""

from __future__ import annotations

import datetime as dt

from huey import MemoryHuey
from side_stores import (
    add_event,
    add_file,
    add_inbound,
    add_outbound,
    epoch,
    events_of,
    inbound_row,
    outbound_row,
    stored_name,
    stores,
)
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import purge
from nagarik.db import models
from nagarik.officials.cli import main as cli
from nagarik.outbound import queue
from nagarik.shared.retention import retention
from whatsapp.cloud.erasure import ERASED
from whatsapp.cloud.store import QUOTA_SECONDS, media_fetches

__all__ = ["stores"]  # the fixture

NOW = dt.datetime(2027, 6, 1, 12, 0, 0)
SECOND = dt.timedelta(seconds=1)
PERIODS = retention()


def past(period: dt.timedelta) -> dt.datetime:
    return NOW - period - SECOND


def inside(period: dt.timedelta) -> dt.datetime:
    return NOW - period + SECOND


def broadcast(session, status: str, copies: dict[str, dt.datetime]) -> int:
    row = models.Broadcast(
        kind="announcement", priority=10, texts={"en": "x"}, audience={}, template="announcement", status=status, created_by="t"
    )
    session.add(row)
    session.flush()
    for phone, changed in copies.items():
        session.add(models.BroadcastRecipient(broadcast_id=row.id, phone=phone, language="en", state="sent", updated_at=changed))
    session.flush()
    return row.id


def grievance(tracking_id: str, phone: str, status: str, evidence_ref: str | None = None, **fields) -> models.Grievance:
    values = dict(description="the drain overflows", location_text="5th cross", location_key="5th cross", language="en")
    values.update(fields)
    return models.Grievance(
        tracking_id=tracking_id, phone=phone, category_key="sanitation", department_key="health",
        evidence_ref=evidence_ref, status=status, due_on=NOW.date(), **values,
    )  # fmt: skip


def failed_check(sender: str, at: dt.datetime) -> models.StatusCheckFailure:
    return models.StatusCheckFailure(sender=sender, application_number="BC-2026-001234", created_at=at)


def copies(session, broadcast_id: int) -> list[str]:
    query = select(models.BroadcastRecipient.phone).where(models.BroadcastRecipient.broadcast_id == broadcast_id)
    return sorted(session.execute(query.order_by(models.BroadcastRecipient.phone)).scalars())


def test_the_purge_removes_exactly_what_is_past_its_period(database, stores):
    messages, conversations, media, kept_copies = (
        PERIODS.messages,
        PERIODS.conversations,
        PERIODS.unlinked_media,
        PERIODS.broadcast_copies,
    )
    old_in = add_inbound(stores, "919800000001", epoch(past(messages)), body="my address is 12 main road")
    new_in = add_inbound(stores, "919800000001", epoch(inside(messages)))
    waiting = add_inbound(stores, "919800000002", epoch(past(messages)), state="pending")  # still to be answered
    old_out = add_outbound(stores, "919800000001", epoch(past(messages)))
    new_out = add_outbound(stores, "919800000001", epoch(inside(messages)))
    add_event(stores, "919800000001", epoch(past(conversations)), text="old")
    add_event(stores, "919800000001", epoch(inside(conversations)), text="recent")
    add_event(stores, "919800000003", epoch(past(conversations)), text="old, but they write right now")
    add_event(stores, "919800000003", epoch(NOW - dt.timedelta(minutes=5)), text="a turn may be running")
    old_file = add_file(stores, stored_name("old"), past(media))
    new_file = add_file(stores, stored_name("new"), inside(media))
    evidence = add_file(stores, stored_name("evidence"), past(media))
    not_ours = add_file(stores, "README.txt", past(media))  # not a name the channel gives: left alone
    with db.session_scope() as session:
        session.add(grievance("GRV-2027-000001", "919800000001", "closed", "file:" + stored_name("evidence")))
        done = broadcast(session, "done", {"919800000001": past(kept_copies), "919800000002": inside(kept_copies)})
        running = broadcast(session, "running", {"919800000001": past(kept_copies)})
        poll_broadcast = broadcast(session, "done", {"919800000001": past(kept_copies)})
        session.add(models.Poll(question={"en": "?"}, options=[], audience={}, broadcast_id=poll_broadcast, created_by="t"))
        session.add(models.ErasureRequest(phone="919800000004", cutoff=0.0, kept={}, media=[], passes=2, done_at=NOW))
        for sender, hours in (("919800000004", 25), ("919800000004", 23), ("919800000005", 720)):
            session.add(failed_check(sender, NOW - dt.timedelta(hours=hours)))

    with stores.channel.engine.begin() as connection:
        for sender, age in (("919800000001", QUOTA_SECONDS + 1), ("919800000002", QUOTA_SECONDS - 1)):
            row = {"wamid": f"wamid.{sender}", "sender": sender, "bytes": 1000, "fetched_at": epoch(NOW) - age}
            connection.execute(media_fetches.insert().values(**row))

    expected = purge.Purged(
        inbox_texts=1, outbox_texts=1, tracker_events=1, media_files=1, broadcast_copies=1, media_quota_rows=1, failed_checks=1
    )
    assert purge.purge(stores, now=NOW, dry_run=True) == expected
    assert old_file.exists() and inbound_row(stores, old_in)["message"] != ERASED  # a dry run changes nothing
    assert purge.purge(stores, now=NOW) == expected
    assert purge.purge(stores, now=NOW) == purge.Purged(0, 0, 0, 0, 0, 0, 0)  # nothing is due twice

    assert inbound_row(stores, old_in)["message"] == ERASED and inbound_row(stores, old_in)["wamid"] == old_in  # the row stays
    assert "hello" in inbound_row(stores, new_in)["message"] and "hello" in inbound_row(stores, waiting)["message"]
    assert outbound_row(stores, old_out)["body"] is None and outbound_row(stores, new_out)["body"]
    assert events_of(stores, "919800000001") == [epoch(inside(conversations))]
    assert len(events_of(stores, "919800000003")) == 2
    assert not old_file.exists() and new_file.exists() and evidence.exists() and not_ours.exists()
    assert stores.channel.media_fetched("919800000001", now=epoch(NOW)) == (0, 0)
    with stores.channel.engine.connect() as connection:
        assert connection.execute(select(media_fetches.c.sender)).scalars().all() == ["919800000002"]
    with db.session_scope() as session:
        kept, anonymised = copies(session, done)
        assert kept == "919800000002" and anonymised.startswith("purged:")
        assert copies(session, running) == ["919800000001"] and copies(session, poll_broadcast) == ["919800000001"]
        left = list(session.execute(select(models.StatusCheckFailure.sender).order_by(models.StatusCheckFailure.id)).scalars())
        # The erased citizen's check older than a day lost the number; other people's are not the purge's.
        assert left[0].startswith("purged:") and left[1:] == ["919800000004", "919800000005"]
        assert purge_counts_stay(session, done)


def purge_counts_stay(session, broadcast_id: int) -> bool:
    states = session.execute(
        select(models.BroadcastRecipient.state).where(models.BroadcastRecipient.broadcast_id == broadcast_id)
    ).scalars()
    return list(states) == ["sent", "sent"]


def test_the_command_counts_with_dry_run_and_then_purges(database, stores, monkeypatch, capsys):
    monkeypatch.setattr(purge.Stores, "from_settings", classmethod(lambda cls: stores))
    add_event(stores, "919800000001", epoch(past(PERIODS.conversations)))
    assert cli(["purge", "--dry-run", "--now", NOW.isoformat()]) == 0
    assert "tracker events: 1" in capsys.readouterr().out and events_of(stores, "919800000001")
    in_ist = (NOW + dt.timedelta(hours=5, minutes=30)).isoformat() + "+05:30"  # the same moment
    assert cli(["purge", "--now", in_ist]) == 0
    assert "removed:" in capsys.readouterr().out and events_of(stores, "919800000001") == []


def test_one_worker_a_day_purges(monkeypatch):
    monkeypatch.setattr(queue, "huey", MemoryHuey("purge-test", immediate=True))
    today = dt.date(2027, 6, 1)
    assert queue.claim_purge(today) and not queue.claim_purge(today)  # a second worker, the same day
    assert queue.claim_purge(today + dt.timedelta(days=1))
    assert not queue.huey.storage.has_data_for_key(queue.PURGE_CLAIM + today.isoformat())  # yesterday's claim is gone


def console_conversation(session, sender: str, started: dt.datetime) -> int:
    """A conversation as the console keeps it (nagarik.conversations), with a turn, a link and a note."""
    row = models.Conversation(
        sender=sender, started_at=started, last_at=started + dt.timedelta(minutes=5), user_messages=1, bot_messages=0,
        fallbacks=0, low_confidence=0, has_handoff=False, has_grievance=True, tags=[],
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(models.Turn(conversation_id=row.id, sender=sender, at=started, kind="user", text="12 main road",
                            event_key=f"{sender}-{started.isoformat()}", flag_note=""))  # fmt: skip
    session.add(models.ConversationLink(conversation_id=row.id, kind="grievance", ref="GRV-2027-000001"))
    session.add(models.ConversationNote(conversation_id=row.id, author="officer", text="called back"))
    return row.id


def under(session, conversation_ids: list[int]) -> dict[str, int]:
    return {
        table.__tablename__: len(session.execute(select(table.id).where(table.conversation_id.in_(conversation_ids))).all())
        for table in (models.Turn, models.ConversationLink, models.ConversationNote)
    }


def test_the_consoles_conversations_and_forgotten_holds_go_with_rasas_period(database, stores):
    conversations = PERIODS.conversations
    with db.session_scope() as session:
        old = console_conversation(session, "919800000001", past(conversations))
        recent = console_conversation(session, "919800000001", inside(conversations))
        someone_elses = console_conversation(session, "919800000002", inside(conversations))
        session.add(grievance("GRV-2027-000001", "919800000001", "closed", created_at=past(conversations)))
        session.flush()
        complaint = session.execute(select(models.Grievance)).scalar_one()
        complaint.notes.append(models.GrievanceNote(kind="note", author="officer", text="called him"))
    for sender, state, taken in (
        ("919800000001", "released", past(conversations)),  # never wrote again; Rasa forgot them: goes
        ("919800000002", "released", past(conversations)),  # Rasa still has their conversation: stays
        ("919800000003", "held", past(conversations)),  # an officer still holds it: stays
        ("919800000004", "released", inside(conversations)),  # recent: stays
    ):
        stores.channel.hold(sender, by="officer", now=epoch(taken))
        if state == "released":
            stores.channel.release(sender)
    add_event(stores, "919800000002", epoch(inside(conversations)), text="still in Rasa's tracker")

    counted = purge.purge(stores, now=NOW, dry_run=True)
    assert (counted.conversations, counted.released_holds) == (1, 1)
    with db.session_scope() as session:
        assert under(session, [old]) == {"turns": 1, "conversation_links": 1, "conversation_notes": 1}  # a dry run
    done = purge.purge(stores, now=NOW)
    assert (done.conversations, done.released_holds) == (1, 1)
    assert (purge.purge(stores, now=NOW).conversations, purge.purge(stores, now=NOW).released_holds) == (0, 0)

    with db.session_scope() as session:
        assert session.get(models.Conversation, old) is None
        assert under(session, [old]) == {"turns": 0, "conversation_links": 0, "conversation_notes": 0}
        assert under(session, [recent, someone_elses]) == {"turns": 2, "conversation_links": 2, "conversation_notes": 2}
        # Grievances are the office's record and are not purged: nor are the officials' notes on them.
        assert [note.text for note in session.execute(select(models.GrievanceNote)).scalars()] == ["called him"]
    states = {
        sender: stores.channel.hold_state(sender) for sender in ("919800000001", "919800000002", "919800000003", "919800000004")
    }
    assert states == {"919800000001": None, "919800000002": "released", "919800000003": "held", "919800000004": "released"}
