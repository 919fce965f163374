"""The SLA sweep: what falls due on unresolved grievances as working days pass (the workers run it
every 5 minutes; `python -m nagarik clock advance` once in the demo).

(a) not acknowledged one working day after filing: a reminder to its department, a grievance_note
    of kind "ack_reminder" (the console shows it in the grievance's history);
(b) half its SLA passed: an interim reply to the citizen ("we are working on it, expected by ..."),
    a notification broadcast the workers send like any other (template grievance_interim outside
    the 24-hour window), in the citizen's language; never to an Open311 filing without a
    consenting WhatsApp citizen (its phone is the filing system's placeholder, not a number);
(c) its category's escalation ladder: the level it is due for, a note of kind "escalated" naming
    the level and to whom it went;
(d) resolved and not rated within RATING_DAYS (7 days): closed (grievance_lifecycle.close_unrated).

Each step happens once per grievance: its mark (ack_reminded_at, interim_sent_at, escalation_level)
is set by a conditional UPDATE ... RETURNING, so two sweeps at once (a worker and the demo's
command) never both act on a grievance. Set-based: per category and step, the filing-time cutoff is
computed once (nagarik.citizens.escalation) and the database picks the due grievances by index
(ix_grievances_sweep), in batches; nothing is read row by row when nothing is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from nagarik.citizens import escalation, grievance_lifecycle, me_too
from nagarik.citizens.grievances import OPEN_STATUSES
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.templates import render
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog
from nagarik.shared.seed_files import LANGUAGES

SYSTEM = "sla-sweep"  # the author of its notes and messages
BATCH = 2_000  # grievances marked per statement: bounded statements and memory over 100,000 due
INTERIM_TEMPLATE = "grievance_interim"  # {{1}} tracking id, {{2}} the expected date (config/templates.yml)
ACK_REMINDER = "ack_reminder"
ESCALATED = "escalated"


@dataclass
class SweepCounts:
    ack_reminders: int = 0
    interim_replies: int = 0  # messages queued to citizens
    interim_skipped: int = 0  # due, but nobody to tell (Open311 without consent) or already overdue
    escalations: int = 0
    closed_unrated: int = 0  # resolved, not rated within RATING_DAYS: closed

    def line(self) -> str:
        return (
            f"{self.ack_reminders} acknowledgement reminders, {self.interim_replies} interim replies "
            f"({self.interim_skipped} without a message), {self.escalations} escalations, "
            f"{self.closed_unrated} closed unrated"
        )


def _mark(session: Session, conditions: list[Any], values: dict[str, Any], returning: list[Any]) -> list[Any]:
    """Set `values` on the open grievances matching `conditions`, a batch at a time; the rows this
    call changed (the conditions are repeated outside the batch's subquery, so a row another sweep
    marked meanwhile is not changed again)."""
    g = models.Grievance
    where = [g.status.in_(OPEN_STATUSES), *conditions]
    changed: list[Any] = []
    while True:
        batch = select(g.id).where(*where).limit(BATCH).scalar_subquery()
        rows = session.execute(
            update(g).where(g.id.in_(batch), *where).values(**values).returning(*returning),
            execution_options={"synchronize_session": False},
        ).all()
        changed += rows
        if len(rows) < BATCH:
            return changed


def _notes(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(models.GrievanceNote.__table__), rows[start : start + BATCH])


def ack_reminders(session: Session, catalog: Catalog, day: dt.date, now: dt.datetime) -> int:
    g = models.Grievance
    cutoff = escalation.filed_before(catalog, escalation.ACK_WORKING_DAYS, day)
    rows = _mark(
        session,
        [g.acknowledged_at.is_(None), g.ack_reminded_at.is_(None), g.created_at < cutoff],
        {"ack_reminded_at": now},
        [g.id, g.department_key],
    )
    _notes(
        session,
        [
            {"grievance_id": gid, "kind": ACK_REMINDER, "author": SYSTEM, "created_at": now, "detail": department,
             "text": f"not acknowledged {escalation.ACK_WORKING_DAYS} working day after filing"}
            for gid, department in rows
        ],
    )  # fmt: skip
    return len(rows)


def _interim_broadcast(tracking_id: str, phones: tuple[str, ...], due_on: dt.date, now: dt.datetime) -> dict[str, Any]:
    """A notification row as broadcasts.create makes it (inserted many at once: create flushes each)."""
    parameters = {lang: [tracking_id, due_on.strftime("%d-%m-%Y")] for lang in LANGUAGES}
    return {
        "kind": "notification",
        "priority": broadcasts.PRIORITY["notification"],
        "texts": {lang: render(INTERIM_TEMPLATE, lang, parameters[lang]) for lang in LANGUAGES},
        "media": None,
        "audience": broadcasts.Audience(phones=phones).as_dict(),
        "template": INTERIM_TEMPLATE,
        "template_params": parameters,
        "status": "scheduled",
        "send_at": now,
        "created_by": SYSTEM,
        "created_at": now,
    }


def interim_replies(session: Session, catalog: Catalog, day: dt.date, now: dt.datetime, counts: SweepCounts) -> None:
    """The filer and the citizens who joined (me too) hear that their grievance is being worked on."""
    g = models.Grievance
    due: list[tuple[int, str, str, dt.date]] = []
    for category in catalog.grievance_categories:
        cutoff = escalation.filed_before(catalog, escalation.half_sla_days(category), day)
        due += _mark(
            session,
            [g.category_key == category.key, g.interim_sent_at.is_(None), g.created_at < cutoff],
            {"interim_sent_at": now},
            [g.id, g.tracking_id, g.phone, g.due_on],
        )
    followers = me_too.followers_of(session, [grievance_id for grievance_id, *_ in due])
    messages: list[dict[str, Any]] = []
    for grievance_id, tracking_id, phone, due_on in due:
        # An Open311 filing without a consenting citizen has a placeholder, not a number; a
        # grievance already past its date is not told it is "expected by" that date.
        phones = ((phone,) if broadcasts.addressable(phone) else ()) + tuple(followers.get(grievance_id, ()))
        if phones and due_on >= day:
            messages.append(_interim_broadcast(tracking_id, phones, due_on, now))
        else:
            counts.interim_skipped += 1
    for start in range(0, len(messages), BATCH):
        session.execute(insert(models.Broadcast.__table__), messages[start : start + BATCH])
    counts.interim_replies += len(messages)


def escalations(session: Session, catalog: Catalog, day: dt.date, now: dt.datetime) -> int:
    """Highest level first: a grievance the sweep missed for a while goes straight to the level it is
    due for (one note, that level's), and the lower levels' updates then pass it by."""
    g = models.Grievance
    notes: list[dict[str, Any]] = []
    for category in catalog.grievance_categories:
        for rung in reversed(category.escalation):
            cutoff = escalation.filed_before(catalog, rung.days, day)
            for (gid,) in _mark(
                session,
                [g.category_key == category.key, g.escalation_level < rung.level, g.created_at < cutoff],
                {"escalation_level": rung.level, "escalated_at": now},
                [g.id],
            ):
                notes.append(
                    {"grievance_id": gid, "kind": ESCALATED, "author": SYSTEM, "created_at": now,
                     "text": f"level {rung.level}: {rung.to.describe()}", "detail": rung.to.describe()[:128]}
                )  # fmt: skip
    _notes(session, notes)
    return len(notes)


def run_sweep(session: Session, catalog: Catalog, now: dt.datetime | None = None) -> SweepCounts:
    """Every step due at `now` on open grievances, once each; the caller commits."""
    now = now or clock.utcnow()
    day = escalation.sweep_day(catalog, now)
    counts = SweepCounts()
    counts.ack_reminders = ack_reminders(session, catalog, day, now)
    interim_replies(session, catalog, day, now, counts)
    counts.escalations = escalations(session, catalog, day, now)
    counts.closed_unrated = grievance_lifecycle.close_unrated(session, now)
    session.flush()
    return counts
