"""The retention purge (config/retention.yml, what the privacy notice promises): texts of the
channel's inbox and outbox, Rasa's conversations, evidence files no grievance uses, and citizens'
copies of finished broadcasts, each once older than its period; the media quota's rows past their
day; and the number on the failed status checks an erasure had to keep for a day.

The console's copy of the conversations (nagarik.conversations: conversations, their turns, links
and officials' notes) goes by Rasa's period, a whole conversation once it began before it, so the
console never shows a conversation Rasa has forgotten; so does a released hold the channel never
forgot (the citizen did not write again) once Rasa has nothing left of them. Grievances are not
purged (they stay as the office's record), so neither are the officials' notes on them; the numbers
of citizens who joined one ("me too") go once it has been finished for the broadcast copies' period.

The workers run it once a day (nagarik.outbound.queue); `python -m nagarik purge [--dry-run]` runs
it at once, or only counts. What is due is decided against one moment, `now`, so a test can hold
the clock still.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.citizens import applications, data_rights, evidence, trackers
from nagarik.citizens.stores import Stores
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.retention import Retention, retention
from whatsapp.cloud import erasure as channel_erasure

FINISHED_BROADCASTS = ("done", "cancelled")
ANONYMOUS = ("erased:%", "purged:%")  # numbers already replaced (an erasure, an earlier purge)


@dataclass(frozen=True)
class Purged:
    inbox_texts: int
    outbox_texts: int
    tracker_events: int
    media_files: int
    broadcast_copies: int
    media_quota_rows: int  # the channel's count of files each citizen sent, once past its day
    failed_checks: int  # of citizens who had their data erased: the number goes once the sender's limit is past
    conversations: int = 0  # the console's, with their turns, links and notes
    released_holds: int = 0  # the channel's, of citizens who never wrote again and Rasa has forgotten
    reporters: int = 0  # numbers of citizens who joined a grievance ("me too") finished long ago

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {value}" for name, value in vars(self).items()]


def _epoch(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


def purge(
    stores: Stores | None = None, now: dt.datetime | None = None, dry_run: bool = False, periods: Retention | None = None
) -> Purged:
    """Remove (or, with dry_run, count) what is past its retention at `now` (naive UTC)."""
    now = now or clock.utcnow()
    periods = periods or retention()
    stores = stores or Stores.from_settings()
    texts = channel_erasure.purge_texts(stores.channel, _epoch(now - periods.messages), dry_run)
    quota = channel_erasure.purge_media_quota(stores.channel, _epoch(now), dry_run)
    events = 0
    if stores.tracker is not None:
        events = trackers.purge(stores.tracker, _epoch(now - periods.conversations), _epoch(now), dry_run)
    holds = _released_holds(stores, _epoch(now - periods.conversations), dry_run)
    with db.session_scope() as session:
        files = evidence.unlinked_before(session, stores.evidence_dir, now - periods.unlinked_media)
        copies = _broadcast_copies(session, now - periods.broadcast_copies, dry_run)
        checks = _failed_checks_of_erased(session, now - applications.FAILED_CHECK_WINDOW, dry_run)
        conversations = _console_conversations(session, now - periods.conversations, dry_run)
        reporters = _finished_reporters(session, now - periods.broadcast_copies, dry_run)
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    return Purged(texts.inbox, texts.outbox, events, len(files), copies, quota, checks, conversations, holds, reporters)


# No change can come to these any more (a closed one's appeal is the filer's, within 30 days).
FINISHED_GRIEVANCES = ("closed", "rejected", "appeal_decided")


def _finished_reporters(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """A citizen who joined a grievance (nagarik.citizens.me_too) is kept to be told of its changes;
    once it is finished and unchanged since `before` (the broadcast copies' period: a join is one
    more copy of its news) the number goes and the join stays, counted in "reported by N"."""
    reporter, grievance = models.GrievanceReporter, models.Grievance
    finished = select(grievance.id).where(grievance.status.in_(FINISHED_GRIEVANCES), grievance.updated_at < before)
    due = (reporter.grievance_id.in_(finished), *(reporter.phone.not_like(pattern) for pattern in ANONYMOUS))
    if dry_run:
        return session.execute(select(func.count()).select_from(reporter).where(*due)).scalar_one()
    stand_in = literal("purged:", String) + cast(reporter.id, String)
    anonymised = update(reporter).where(*due).values(phone=stand_in)
    return session.execute(anonymised, execution_options={"synchronize_session": False}).rowcount


def _console_conversations(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """The console's conversations that began before `before`, with everything under them. Rasa's
    events of them are past the same period (the tracker's purge spares only the last hour's)."""
    old = select(models.Conversation.id).where(models.Conversation.started_at < before)
    if dry_run:
        return session.execute(select(func.count()).select_from(old.subquery())).scalar_one()
    return data_rights.delete_conversations(session, old)


def _released_holds(stores: Stores, before: float, dry_run: bool) -> int:
    """A hold the channel forgets at the citizen's next message, after resuming Rasa's conversation.
    Once Rasa keeps no event of the citizen (none from `before` on: the tracker's purge removes the
    rest) there is no pause to undo, so an old one may go."""
    senders = channel_erasure.released_holds_before(stores.channel, before)
    if stores.tracker is not None and senders:
        events = trackers.events
        kept = select(events.c.sender_id).where(events.c.sender_id.in_(senders), events.c.timestamp >= before).distinct()
        with stores.tracker.connect() as connection:
            remembered = set(connection.execute(kept).scalars())
        senders = [sender for sender in senders if sender not in remembered]
    if dry_run:
        return len(senders)
    return channel_erasure.forget_released_holds(stores.channel, senders, before)


def _failed_checks_of_erased(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """An erasure keeps the last day's failed status checks with the number (the sender's limit counts
    them); once older they lose it, and the application's own limit counts them without it."""
    failure = models.StatusCheckFailure
    due = (failure.sender.in_(select(models.ErasureRequest.phone)), failure.created_at <= before)
    if dry_run:
        return session.execute(select(func.count()).select_from(failure).where(*due)).scalar_one()
    stand_in = literal("purged:", String) + cast(failure.id, String)
    anonymised = update(failure).where(*due).values(sender=stand_in)
    return session.execute(anonymised, execution_options={"synchronize_session": False}).rowcount


def _broadcast_copies(session: Session, before: dt.datetime, dry_run: bool) -> int:
    """Copies of finished broadcasts last changed before `before` lose the citizen's number (the
    broadcast's counts, which count copies, stay). Copies of a poll still open keep it: they say who
    may answer."""
    copy = models.BroadcastRecipient
    finished = select(models.Broadcast.id).where(models.Broadcast.status.in_(FINISHED_BROADCASTS))
    open_polls = select(models.Poll.broadcast_id).where(models.Poll.status == "open", models.Poll.broadcast_id.is_not(None))
    due = (
        copy.broadcast_id.in_(finished),
        copy.broadcast_id.not_in(open_polls),
        copy.updated_at < before,
        *(copy.phone.not_like(pattern) for pattern in ANONYMOUS),
    )
    if dry_run:
        return session.execute(select(func.count()).select_from(copy).where(*due)).scalar_one()
    stand_in = literal("purged:", String) + cast(copy.id, String)
    anonymised = update(copy).where(*due).values(phone=stand_in, wamid=None)
    return session.execute(anonymised, execution_options={"synchronize_session": False}).rowcount
