"""The retention purge (config/retention.yml, what the privacy notice promises): texts of the
channel's inbox and outbox, Rasa's conversations, evidence files no grievance uses, and citizens'
copies of finished broadcasts, each once older than its period; the media quota's rows past their
day; and the number on the failed status checks an erasure had to keep for a day.

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
from nagarik.citizens import applications, evidence, trackers
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
    with db.session_scope() as session:
        files = evidence.unlinked_before(session, stores.evidence_dir, now - periods.unlinked_media)
        copies = _broadcast_copies(session, now - periods.broadcast_copies, dry_run)
        checks = _failed_checks_of_erased(session, now - applications.FAILED_CHECK_WINDOW, dry_run)
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    return Purged(texts.inbox, texts.outbox, events, len(files), copies, quota, checks)


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
