"""The grievance lifecycle (issue 13, after CPGRAMS and DIGIT PGR): the states a grievance passes
through, who may move it from one to the next, and the citizen's side of the end of it (rating,
reopening, appealing). Every status change anywhere (chat, JSON API, console, CLI, workers) goes
through `transition()`, which refuses what TRANSITIONS does not allow and keeps a grievance_event
(who, when, the remark) so the history is whole.

Windows are in calendar days from the moment that opened them (resolution, closing), as CPGRAMS
counts its appeal period; the office's working days are for the SLA only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.shared import clock

STATES = ("registered", "acknowledged", "assigned", "in_progress", "resolved", "closed", "rejected",
          "reopened", "appealed", "appeal_decided")  # fmt: skip
OPEN_STATES = ("registered", "acknowledged", "assigned", "in_progress", "reopened")  # the office works on these
ACTORS = ("citizen", "official", "supervisor", "appellate", "system")
RATINGS = ("good", "average", "poor")
RATING_DAYS = 7  # a resolved grievance not rated in 7 days closes
APPEAL_DAYS = 30  # a "poor" rating may be appealed within 30 days; the appeal is decided within 30 days
REOPEN_DAYS = 7  # a resolved grievance may be reopened by its citizen within 7 days of resolution
MAX_TRANSFERS = 3

_OFFICE = frozenset({"official", "supervisor"})
_DECIDES = frozenset({"appellate", "supervisor"})


def _table(rows: dict[str, dict[str, frozenset[str]]]) -> Mapping[str, Mapping[str, frozenset[str]]]:
    return MappingProxyType({state: MappingProxyType(targets) for state, targets in rows.items()})


# current state -> target state -> the actors who may make that move. The only place that says so.
TRANSITIONS: Mapping[str, Mapping[str, frozenset[str]]] = _table({
    "registered": {"acknowledged": _OFFICE, "assigned": _OFFICE, "rejected": _OFFICE},
    "acknowledged": {"assigned": _OFFICE, "in_progress": _OFFICE, "rejected": _OFFICE},
    "assigned": {"in_progress": _OFFICE, "resolved": _OFFICE, "rejected": _OFFICE},
    "in_progress": {"resolved": _OFFICE, "rejected": _OFFICE},
    "reopened": {"assigned": _OFFICE, "in_progress": _OFFICE, "resolved": _OFFICE, "rejected": _OFFICE},
    # closed by the citizen's rating (rate) or, unrated, by the system (close_unrated)
    "resolved": {"closed": frozenset({"citizen", "system"}), "reopened": frozenset({"citizen"})},
    "closed": {"appealed": frozenset({"citizen"})},  # only after a "poor" rating, within APPEAL_DAYS
    "appealed": {"appeal_decided": _DECIDES},
    "rejected": {},
    "appeal_decided": {},
})  # fmt: skip


class IllegalTransition(ValueError):  # noqa: N818 (the contract's name)
    """A move TRANSITIONS does not allow (or not to this actor, or outside its window)."""

    def __init__(self, current: str, target: str, actor: str = "", reason: str = "") -> None:
        self.current = current
        self.target = target
        self.actor = actor
        allowed = allowed_targets(current, actor) if actor else tuple(TRANSITIONS.get(current, {}))
        why = f" ({reason})" if reason else ""
        then = ", ".join(allowed) or "nothing"
        super().__init__(f"a grievance {current} cannot become {target}{why}; from {current} it may become: {then}")


def allowed_targets(current: str, actor: str) -> tuple[str, ...]:
    """The states this actor may move a grievance in `current` to, in STATES' order."""
    targets = TRANSITIONS.get(current, {})
    return tuple(state for state in STATES if actor in targets.get(state, frozenset()))


def is_open(status: str) -> bool:
    return status in OPEN_STATES


def transition(
    session: Session,
    grievance: models.Grievance,
    target: str,
    *,
    by: str,
    actor: str,
    remark: str = "",
    now: dt.datetime | None = None,
) -> models.GrievanceEvent:
    """Move the grievance to `target` if TRANSITIONS lets `actor` do so; keep the event (who: `by`)."""
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor}; use one of {', '.join(ACTORS)}")
    current = grievance.status
    if target not in STATES or actor not in TRANSITIONS.get(current, {}).get(target, frozenset()):
        raise IllegalTransition(current, target, actor)
    now = now or clock.utcnow()
    guard = _GUARDS.get((current, target))
    if guard is not None and not guard[0](grievance, now):
        raise IllegalTransition(current, target, actor, guard[1])
    grievance.status = target
    if target == "resolved":
        grievance.resolved_at = now
    elif target == "closed":
        grievance.closed_at = now
    elif target == "reopened":
        grievance.reopened_count = (grievance.reopened_count or 0) + 1
    event = models.GrievanceEvent(status=target, note=remark, changed_by=by, created_at=now)
    grievance.events.append(event)
    session.flush()
    return event


def _within(start: dt.datetime | None, days: int, now: dt.datetime) -> bool:
    return start is not None and now <= start + dt.timedelta(days=days)


def rate(session: Session, grievance: models.Grievance, rating: str, *, now: dt.datetime | None = None) -> models.Grievance:
    """The citizen rates the resolution (good, average or poor): resolved -> closed. A "poor"
    rating may then be appealed (appeal_due_on says until when)."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating}; use one of {', '.join(RATINGS)}")
    now = now or clock.utcnow()
    transition(session, grievance, "closed", by="citizen", actor="citizen", remark=rating, now=now)
    grievance.rating = rating
    grievance.rated_at = now
    grievance.appeal_due_on = appeal_deadline(now) if rating == "poor" else None
    session.flush()
    return grievance


def appeal_deadline(closed_at: dt.datetime) -> dt.date:
    """The last day to appeal: the closing date (UTC, as stored) + APPEAL_DAYS calendar days, not
    working days. Once appealed, appeal_due_on is moved to the appellate's deadline the same way."""
    return closed_at.date() + dt.timedelta(days=APPEAL_DAYS)


def may_appeal(grievance: models.Grievance, now: dt.datetime) -> bool:
    return (
        grievance.status == "closed"
        and grievance.rating == "poor"
        and grievance.closed_at is not None
        and now.date() <= appeal_deadline(grievance.closed_at)
    )


_GUARDS: Mapping[tuple[str, str], tuple[Callable[[models.Grievance, dt.datetime], bool], str]] = MappingProxyType(
    {
        ("closed", "appealed"): (lambda g, now: may_appeal(g, now), f"only a closing rated poor, within {APPEAL_DAYS} days"),
        ("resolved", "reopened"): (lambda g, now: may_reopen(g, now), f"only within {REOPEN_DAYS} days of resolution"),
    }
)


def appeal(session: Session, grievance: models.Grievance, reason: str, *, now: dt.datetime | None = None) -> models.Grievance:
    """The citizen appeals a closing rated "poor", within APPEAL_DAYS of closing: closed -> appealed.
    appeal_due_on becomes the appellate's deadline: the appeal date + APPEAL_DAYS calendar days."""
    now = now or clock.utcnow()
    reason = reason.strip()
    transition(session, grievance, "appealed", by="citizen", actor="citizen", remark=reason, now=now)
    grievance.appeal_reason = reason
    grievance.appealed_at = now
    grievance.appeal_due_on = now.date() + dt.timedelta(days=APPEAL_DAYS)
    session.flush()
    return grievance


def decide_appeal(
    session: Session, grievance: models.Grievance, decision: str, *, by: str, actor: str = "appellate",
    now: dt.datetime | None = None,
) -> models.Grievance:  # fmt: skip
    """The appellate authority (or a supervisor) decides: appealed -> appeal_decided, the decision
    as the event's remark (the citizen reads it)."""
    decision = decision.strip()
    if not decision:
        raise ValueError("an appeal decision needs its text")
    transition(session, grievance, "appeal_decided", by=by, actor=actor, remark=decision, now=now)
    return grievance


def may_reopen(grievance: models.Grievance, now: dt.datetime) -> bool:
    return grievance.status == "resolved" and _within(grievance.resolved_at, REOPEN_DAYS, now)


def reopen(session: Session, grievance: models.Grievance, remark: str, *, now: dt.datetime | None = None) -> models.Grievance:
    """The citizen says it is not fixed, within REOPEN_DAYS of resolution: resolved -> reopened.
    The due date stays as it was."""
    now = now or clock.utcnow()
    transition(session, grievance, "reopened", by="citizen", actor="citizen", remark=remark.strip(), now=now)
    return grievance


def close_unrated(session: Session, now: dt.datetime | None = None) -> int:
    """Close every grievance resolved more than RATING_DAYS ago and not rated; how many."""
    now = now or clock.utcnow()
    query = select(models.Grievance).where(
        models.Grievance.status == "resolved",
        models.Grievance.rating.is_(None),
        models.Grievance.resolved_at.is_not(None),
        models.Grievance.resolved_at < now - dt.timedelta(days=RATING_DAYS),
    )
    count = 0
    for grievance in session.execute(query).scalars():
        transition(session, grievance, "closed", by="system", actor="system", remark="", now=now)
        count += 1
    return count


def appealed(session: Session, departments: list[str] | None, limit: int = 500) -> list[models.Grievance]:
    """Appeals waiting for a decision in these departments (None: all), the oldest appeal first."""
    query = select(models.Grievance).where(models.Grievance.status == "appealed")
    if departments is not None:
        query = query.where(models.Grievance.department_key.in_(departments))
    order = (models.Grievance.appealed_at.asc().nulls_last(), models.Grievance.id)
    return list(session.execute(query.order_by(*order).limit(limit)).scalars())
