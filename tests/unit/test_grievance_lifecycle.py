"""The grievance lifecycle (nagarik.citizens.grievance_lifecycle): the whole transition table, every
move it does not allow refused, the history each move keeps, the citizen's windows to rate, reopen
and appeal (with an injected now), and the closing of what nobody rated."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import grievance_lifecycle as lc
from nagarik.citizens import grievances
from nagarik.citizens.grievance_lifecycle import IllegalTransition
from nagarik.db import models

START = dt.datetime(2030, 1, 7, 5, 0)  # a Monday, 10:30 in Bengaluru
DAY = dt.timedelta(days=1)
_numbers = itertools.count(1)

# (current, target, actor) that the lifecycle allows: the table as the issue states it
ALLOWED = {
    *((current, target, actor) for actor in ("official", "supervisor") for current, targets in {
        "registered": ("acknowledged", "assigned", "rejected"),
        "acknowledged": ("assigned", "in_progress", "rejected"),
        "assigned": ("in_progress", "resolved", "rejected"),
        "in_progress": ("resolved", "rejected"),
        "reopened": ("assigned", "in_progress", "resolved", "rejected"),
    }.items() for target in targets),
    ("resolved", "closed", "citizen"), ("resolved", "closed", "system"), ("resolved", "reopened", "citizen"),
    ("closed", "appealed", "citizen"),
    ("appealed", "appeal_decided", "appellate"), ("appealed", "appeal_decided", "supervisor"),
}  # fmt: skip


def add(session, status: str = "registered", **columns) -> models.Grievance:
    grievance = models.Grievance(
        tracking_id=f"GRV-2030-{next(_numbers):06d}", phone="919876543210", category_key="sanitation",
        department_key="health", description="Garbage not collected", location_text="9th main",
        location_key="9th main", language="en", status=status, created_at=START, due_on=START.date() + 7 * DAY,
        **columns,
    )  # fmt: skip
    grievance.events.append(models.GrievanceEvent(status="registered", note="", changed_by="citizen", created_at=START))
    session.add(grievance)
    session.flush()
    return grievance


def test_the_table_is_exactly_the_issues_and_cannot_be_changed() -> None:
    table = {(current, target, actor) for current, targets in lc.TRANSITIONS.items()
             for target, actors in targets.items() for actor in actors}  # fmt: skip
    assert table == ALLOWED
    assert set(lc.TRANSITIONS) == set(lc.STATES)
    with pytest.raises(TypeError):
        lc.TRANSITIONS["closed"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        lc.TRANSITIONS["registered"]["resolved"] = frozenset({"official"})  # type: ignore[index]
    assert grievances.STATUSES == lc.STATES and grievances.OPEN_STATUSES == lc.OPEN_STATES


def test_every_allowed_move_is_made_and_kept_with_who_when_and_the_remark(database: str) -> None:
    # the windows' conditions hold: resolved just now, closed just now with a poor rating
    with db.session_scope() as session:
        for current, target, actor in sorted(ALLOWED):
            grievance = add(session, current, resolved_at=START, closed_at=START, rating="poor")
            event = lc.transition(session, grievance, target, by="ravi", actor=actor, remark="why", now=START + DAY)
            assert grievance.status == target
            assert (event.status, event.changed_by, event.note, event.created_at) == (target, "ravi", "why", START + DAY)
            assert grievance.events[-1] is event and len(grievance.events) == 2


def test_every_other_move_is_refused_and_nothing_is_kept(database: str) -> None:
    with db.session_scope() as session:
        grievance = add(session)
        refused = 0
        for current, target, actor in itertools.product(lc.STATES, (*lc.STATES, "open"), lc.ACTORS):
            if (current, target, actor) in ALLOWED:
                continue
            grievance.status = current
            with pytest.raises(IllegalTransition) as raised:
                lc.transition(session, grievance, target, by="x", actor=actor, now=START)
            assert (raised.value.current, raised.value.target) == (current, target)
            assert grievance.status == current and len(grievance.events) == 1
            refused += 1
        assert refused == len(lc.STATES) * (len(lc.STATES) + 1) * len(lc.ACTORS) - len(ALLOWED)


def test_the_refusal_says_what_is_allowed(database: str) -> None:
    with db.session_scope() as session:
        grievance = add(session)
        with pytest.raises(IllegalTransition, match=r"registered cannot become resolved.*acknowledged, assigned, rejected"):
            lc.transition(session, grievance, "resolved", by="ravi", actor="official")
        with pytest.raises(ValueError, match="unknown actor"):
            lc.transition(session, grievance, "assigned", by="ravi", actor="mayor")


def test_the_whole_way_from_filing_to_an_appeal_decided(database: str) -> None:
    with db.session_scope() as session:
        grievance = add(session)
        grievances.change_status(session, grievance.tracking_id, "assigned", "", START, by="ravi")
        grievances.change_status(session, grievance.tracking_id, "in_progress", "", START, by="ravi")
        grievances.change_status(session, grievance.tracking_id, "resolved", "Cleared", START + DAY, by="ravi")
        assert grievance.resolved_at == START + DAY
        lc.rate(session, grievance, "poor", now=START + 2 * DAY)
        assert (grievance.status, grievance.rating, grievance.rated_at, grievance.closed_at) == (
            "closed", "poor", START + 2 * DAY, START + 2 * DAY)  # fmt: skip
        assert grievance.appeal_due_on == (START + 2 * DAY).date() + 30 * DAY
        lc.appeal(session, grievance, "  Still there  ", now=START + 3 * DAY)
        assert (grievance.status, grievance.appeal_reason, grievance.appealed_at) == ("appealed", "Still there", START + 3 * DAY)
        assert grievance.appeal_due_on == (START + 3 * DAY).date() + 30 * DAY  # the appellate's deadline
        with pytest.raises(IllegalTransition):
            lc.decide_appeal(session, grievance, "Upheld", by="ravi", actor="official")
        lc.decide_appeal(session, grievance, "Upheld: cleared again", by="appeals", now=START + 4 * DAY)
        history = [(e.status, e.changed_by, e.note) for e in grievance.events]
        assert history == [
            ("registered", "citizen", ""), ("assigned", "ravi", ""), ("in_progress", "ravi", ""),
            ("resolved", "ravi", "Cleared"), ("closed", "citizen", "poor"), ("appealed", "citizen", "Still there"),
            ("appeal_decided", "appeals", "Upheld: cleared again"),
        ]  # fmt: skip


def test_a_rating_needs_a_resolution_and_a_known_word(database: str) -> None:
    with db.session_scope() as session:
        grievance = add(session, "in_progress")
        with pytest.raises(IllegalTransition):
            lc.rate(session, grievance, "good", now=START)
        grievance.status = "resolved"
        with pytest.raises(ValueError, match="unknown rating"):
            lc.rate(session, grievance, "excellent", now=START)
        lc.rate(session, grievance, "good", now=START)
        assert (grievance.status, grievance.rating, grievance.appeal_due_on) == ("closed", "good", None)
        with pytest.raises(IllegalTransition, match="rated poor"):  # only a poor rating is appealed
            lc.appeal(session, grievance, "no", now=START)


def test_the_appeal_window_is_30_calendar_days_from_closing(database: str) -> None:
    with db.session_scope() as session:
        late, in_time = add(session, "resolved", resolved_at=START), add(session, "resolved", resolved_at=START)
        for grievance in (late, in_time):
            lc.rate(session, grievance, "poor", now=START)
        assert late.appeal_due_on == dt.date(2030, 2, 6)
        with pytest.raises(IllegalTransition, match="30 days"):
            lc.appeal(session, late, "late", now=dt.datetime(2030, 2, 7, 0, 0))
        assert late.status == "closed" and late.appealed_at is None
        lc.appeal(session, in_time, "on the last day", now=dt.datetime(2030, 2, 6, 23, 0))
        assert in_time.status == "appealed"


def test_reopening_is_the_citizens_within_7_days_of_resolution_and_keeps_the_due_date(database: str) -> None:
    with db.session_scope() as session:
        grievance = add(session, "resolved", resolved_at=START)
        due = grievance.due_on
        with pytest.raises(IllegalTransition, match="7 days"):
            lc.reopen(session, grievance, "not fixed", now=START + 7 * DAY + dt.timedelta(seconds=1))
        lc.reopen(session, grievance, " not fixed ", now=START + 7 * DAY)
        assert (grievance.status, grievance.reopened_count, grievance.due_on) == ("reopened", 1, due)
        assert (grievance.events[-1].status, grievance.events[-1].note) == ("reopened", "not fixed")
        with pytest.raises(IllegalTransition):
            lc.reopen(session, grievance, "again", now=START + 7 * DAY)
        lc.transition(session, grievance, "resolved", by="ravi", actor="official", now=START + 8 * DAY)
        lc.reopen(session, grievance, "still not", now=START + 9 * DAY)  # the window runs from the new resolution
        assert grievance.reopened_count == 2
        closed = add(session, "closed", closed_at=START)
        with pytest.raises(IllegalTransition):
            lc.reopen(session, closed, "too late", now=START)


def test_close_unrated_closes_only_what_was_resolved_over_7_days_ago_and_not_rated(database: str) -> None:
    now = START + 10 * DAY
    with db.session_scope() as session:
        old = add(session, "resolved", resolved_at=now - 7 * DAY - dt.timedelta(minutes=1))
        recent = add(session, "resolved", resolved_at=now - 7 * DAY + dt.timedelta(minutes=1))
        working = add(session, "in_progress", resolved_at=now - 30 * DAY)
        assert lc.close_unrated(session, now=now) == 1
        assert (old.status, old.closed_at, old.rating, old.events[-1].changed_by) == ("closed", now, None, "system")
        assert (recent.status, working.status) == ("resolved", "in_progress")
        assert lc.close_unrated(session, now=now) == 0  # nothing twice
    with db.session_scope() as session:
        statuses = session.execute(select(models.Grievance.status).order_by(models.Grievance.id)).scalars().all()
        assert statuses == ["closed", "resolved", "in_progress"]


def test_a_new_grievance_is_registered(database: str, catalog) -> None:
    with db.session_scope() as session:
        filing = grievances.file_grievance(
            session, catalog, phone="919876543210", category="sanitation", description="Garbage", location="9th main",
            language="en", now=START,
        )  # fmt: skip
        assert filing.grievance.status == "registered" and [e.status for e in filing.grievance.events] == ["registered"]
