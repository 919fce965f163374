"""What the officials' console lists of the outbound side: recent broadcasts with their counts,
polls, campaigns, and reminders by rule. Counts follow `broadcasts.progress` (a sent copy shows
what Meta said of it since); nothing here names a citizen's phone.

Notifications (news of one's own application or grievance) are not listed: their audience and
parameters are a citizen's personal data, and they are followed from the case itself.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.outbound import broadcasts, reminders

LISTED_KINDS = ("announcement", "emergency", "poll", "campaign")
STILL_GOING = ("scheduled", "running")  # a broadcast that can still be cancelled


@dataclass
class Counts:
    total: int = 0
    states: Counter[str] = field(default_factory=Counter)


def counts_of(session: Session, broadcast_ids: list[int]) -> dict[int, Counts]:
    """Copies per state for each broadcast, in one grouped query."""
    found = {broadcast_id: Counts() for broadcast_id in broadcast_ids}
    if not broadcast_ids:
        return found
    row = models.BroadcastRecipient
    grouped = session.execute(
        select(row.broadcast_id, row.state, row.status, func.count())
        .where(row.broadcast_id.in_(broadcast_ids))
        .group_by(row.broadcast_id, row.state, row.status)
    )
    for broadcast_id, state, status, count in grouped:
        counts = found[broadcast_id]
        counts.total += count
        counts.states[status if state == "sent" and status else state] += count
    return found


def recent(session: Session, limit: int = 100) -> list[tuple[models.Broadcast, Counts]]:
    """The newest broadcasts officials send (and poll and campaign copies), with their counts."""
    rows = list(
        session.execute(
            select(models.Broadcast)
            .where(models.Broadcast.kind.in_(LISTED_KINDS))
            .order_by(models.Broadcast.id.desc())
            .limit(limit)
        ).scalars()
    )
    counts = counts_of(session, [row.id for row in rows])
    return [(row, counts[row.id]) for row in rows]


def listed(session: Session, broadcast_id: int) -> models.Broadcast | None:
    """A broadcast the console may show: None for a notification, a reminder or no broadcast."""
    broadcast = session.get(models.Broadcast, broadcast_id)
    return broadcast if broadcast is not None and broadcast.kind in LISTED_KINDS else None


def can_cancel(broadcast: models.Broadcast) -> bool:
    """Announcements and alerts are cancelled by themselves; poll and campaign copies by closing
    the poll or cancelling the campaign."""
    return broadcast.kind in broadcasts.DIRECT_KINDS and broadcast.status in STILL_GOING


def recent_polls(session: Session, limit: int = 100) -> list[tuple[models.Poll, int]]:
    """The newest polls with their number of answers."""
    answers = select(models.PollAnswer.poll_id, func.count().label("answers")).group_by(models.PollAnswer.poll_id).subquery()
    rows = session.execute(
        select(models.Poll, func.coalesce(answers.c.answers, 0))
        .outerjoin(answers, answers.c.poll_id == models.Poll.id)
        .order_by(models.Poll.id.desc())
        .limit(limit)
    ).all()
    return [(poll, int(count)) for poll, count in rows]


@dataclass(frozen=True)
class Comment:
    option_key: str
    ward_key: str | None
    language: str
    text: str
    at: dt.datetime


def poll_comments(session: Session, poll_id: int, limit: int = 50) -> list[Comment]:
    """The newest comments on a poll's answers, without who wrote them."""
    row = models.PollAnswer
    found = session.execute(
        select(row.option_key, row.ward_key, row.language, row.comment, row.updated_at)
        .where(row.poll_id == poll_id, row.comment.is_not(None))
        .order_by(row.updated_at.desc())
        .limit(limit)
    )
    return [Comment(*values) for values in found]


def recent_campaigns(session: Session, limit: int = 100) -> list[tuple[models.Campaign, int, int]]:
    """The newest campaigns with their number of steps and of steps done."""
    step = models.Broadcast
    done = func.sum(case((step.status == "done", 1), else_=0))
    rows = session.execute(
        select(models.Campaign, func.count(step.id), func.coalesce(done, 0))
        .outerjoin(step, step.campaign_id == models.Campaign.id)
        .group_by(models.Campaign.id)
        .order_by(models.Campaign.id.desc())
        .limit(limit)
    ).all()
    return [(campaign, int(steps), int(finished)) for campaign, steps, finished in rows]


@dataclass
class RuleSummary:
    rule: reminders.Rule
    fired: int  # dates this rule sent a reminder for
    counts: Counts


def reminder_rules(session: Session) -> list[RuleSummary]:
    """Every reminder rule (config/reminders.yml) with the reminders it sent and their copies' states."""
    sent = models.ReminderSent
    row = models.BroadcastRecipient
    fired: dict[str, int] = dict(
        session.execute(select(sent.rule_key, func.count()).where(sent.broadcast_id.is_not(None)).group_by(sent.rule_key)).all()
    )
    counts: dict[str, Counts] = {}
    for rule_key, state, status, count in session.execute(
        select(sent.rule_key, row.state, row.status, func.count())
        .join(row, row.broadcast_id == sent.broadcast_id)
        .group_by(sent.rule_key, row.state, row.status)
    ):
        found = counts.setdefault(rule_key, Counts())
        found.total += count
        found.states[status if state == "sent" and status else state] += count
    return [RuleSummary(rule, fired.get(rule.key, 0), counts.get(rule.key, Counts())) for rule in reminders.load().rules]


def audience_text(audience: dict[str, Any]) -> dict[str, list[str]]:
    """The chosen wards, topics and languages of a stored audience (no phones)."""
    return {key: list(audience.get(key) or []) for key in ("wards", "topics", "languages")}


def wards(session: Session) -> dict[str, dict[str, str]]:
    """Every ward's names by language, keyed by ward, in ward-number order (for the audience choice)."""
    rows = session.execute(select(models.WardRow).order_by(models.WardRow.number, models.WardRow.key)).scalars()
    return {row.key: dict(row.names) for row in rows}


def poll_of(session: Session, broadcast_id: int) -> models.Poll | None:
    """The poll a broadcast of kind "poll" asks."""
    return session.execute(select(models.Poll).where(models.Poll.broadcast_id == broadcast_id)).scalar_one_or_none()
