"""The departments' work on grievances: the queue with its SLA state, acknowledging, assigning,
changing the status (resolving, rejecting), transferring, internal notes, the same in bulk, and
the queue as CSV.

Two decisions belong to rooms after this one, so the caller passes them in a `Worker`: whether an
official may work a grievance (the console: policy.can(..., WORK_GRIEVANCES, ...)) and how a
status moves (the console: notifications.grievance_moved, the JSON API's own call, which moves it
with grievances.change_status and tells the citizen in their language).

A status change is a grievance_event, which the citizen reads in the chat's history with its
remark; everything else an official does (acknowledged, assigned, transferred, a note) is a
grievance_note, seen only in the console.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from nagarik.catalog.office_hours import add_working_days, local_now
from nagarik.citizens import grievance_lifecycle as lifecycle
from nagarik.citizens.grievances import OPEN_STATUSES, STATUSES, grievance_by_tracking_id
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog
from nagarik.shared.masking import mask_phone

MAX_TEXT = 2000  # as the JSON API's longest note
DUE_SOON_WORKING_DAYS = 2
SLA_STATES = ("on_time", "due_soon", "overdue")
NEEDS_REMARK = ("resolved", "rejected")  # the citizen is told why
PAGE_SIZE = 100
MAX_BULK = 500
UNASSIGNED = "none"  # the assignee filter's value for grievances nobody works yet

MayWork = Callable[[models.Official, models.Grievance], bool]


class Mover(Protocol):
    def __call__(
        self, session: Session, tracking_id: str, status: str, note: str = "", *, by: str, actor: str = "official",
        photo: dict[str, str] | None = None,
    ) -> Any: ...  # fmt: skip


@dataclass(frozen=True)
class Worker:
    """Who acts, whether an official may work a grievance, how a status moves (see above), and
    whether they act as a supervisor (the console: policy.can(..., SUPERVISE)), who may do more."""

    official: models.Official
    may_work: MayWork
    move: Mover
    supervisor: bool = False

    @property
    def name(self) -> str:
        return self.official.username

    @property
    def actor(self) -> str:
        """Their part in the lifecycle (grievance_lifecycle.ACTORS)."""
        return "supervisor" if self.supervisor else "official"


class WorkError(ValueError):
    """Work refused for a reason the official can mend; `key` names the console's words for it."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class NotYoursError(LookupError):
    """The official may not work this grievance (the console answers 404, as for no grievance)."""


# --- the SLA, on the office's calendar ----------------------------------------------------------


@dataclass(frozen=True)
class SlaDays:
    today: dt.date  # the office's date now
    soon: dt.date  # due on or before this (and not before today): due soon


def sla_days(catalog: Catalog, now: dt.datetime | None = None) -> SlaDays:
    today = local_now(catalog, now or clock.utcnow()).date()
    return SlaDays(today, add_working_days(catalog, today, DUE_SOON_WORKING_DAYS))


def sla_state(grievance: models.Grievance, days: SlaDays) -> str:
    """on_time, due_soon or overdue while the office works on it; "" once it is finished."""
    return _sla(grievance.status, grievance.due_on, days)


def _sla(status: str, due_on: dt.date, days: SlaDays) -> str:
    if status not in OPEN_STATUSES:
        return ""
    if due_on < days.today:
        return "overdue"
    return "due_soon" if due_on <= days.soon else "on_time"


# --- the queue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""
    category: str = ""
    ward: str = ""
    department: str = ""
    sla: str = ""  # one of SLA_STATES
    assignee: str = ""  # an official's id, or UNASSIGNED

    def as_query(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


SORTS = {
    "tracking_id": models.Grievance.tracking_id,
    "category": models.Grievance.category_key,
    "ward": models.Grievance.ward_key,
    "age": models.Grievance.created_at,
    "due": models.Grievance.due_on,
    "status": models.Grievance.status,
    "assignee": models.Official.username,
}


@dataclass(frozen=True)
class QueueRow:
    grievance: models.Grievance
    sla: str
    age_days: int


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int


def _filtered(query: Select[Any], departments: list[str] | None, chosen: QueueFilter, days: SlaDays) -> Select[Any]:
    grievance = models.Grievance
    if departments is not None:
        query = query.where(grievance.department_key.in_(departments))
    if chosen.status in STATUSES:
        query = query.where(grievance.status == chosen.status)
    for column, value in ((grievance.category_key, chosen.category), (grievance.ward_key, chosen.ward),
                          (grievance.department_key, chosen.department)):  # fmt: skip
        if value:
            query = query.where(column == value)
    if chosen.assignee == UNASSIGNED:
        query = query.where(grievance.assignee_id.is_(None))
    elif chosen.assignee.isdigit():
        query = query.where(grievance.assignee_id == int(chosen.assignee))
    if chosen.sla in SLA_STATES:  # the same bounds as sla_state
        query = query.where(grievance.status.in_(OPEN_STATUSES))
        if chosen.sla == "overdue":
            query = query.where(grievance.due_on < days.today)
        elif chosen.sla == "due_soon":
            query = query.where(grievance.due_on >= days.today, grievance.due_on <= days.soon)
        else:
            query = query.where(grievance.due_on > days.soon)
    return query


def _sorted(
    query: Select[Any], departments: list[str] | None, chosen: QueueFilter, days: SlaDays, sort: str, descending: bool
) -> Select[Any]:
    """The query (of grievances) joined to their assignees, filtered and in the queue's order."""
    column = SORTS.get(sort, SORTS["due"])
    if sort == "age":  # the oldest first is the greatest age first
        descending = not descending
    # Unassigned (no value) last either way, on SQLite and PostgreSQL alike (their defaults differ).
    order = (column.desc() if descending else column.asc()).nulls_last()
    query = query.outerjoin(models.Official, models.Grievance.assignee_id == models.Official.id)
    return _filtered(query, departments, chosen, days).order_by(order, models.Grievance.id)


def queue(
    session: Session,
    departments: list[str] | None,
    chosen: QueueFilter,
    days: SlaDays,
    sort: str = "due",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = PAGE_SIZE,
) -> QueuePage:
    """Grievances of these departments (None: all) that pass the filter, sorted, one page of them."""
    if departments == []:
        return QueuePage([], 0)
    total = session.execute(_filtered(select(func.count()).select_from(models.Grievance), departments, chosen, days))
    query = _sorted(select(models.Grievance), departments, chosen, days, sort, descending)
    query = query.options(selectinload(models.Grievance.assignee)).offset(offset).limit(limit)
    now = clock.utcnow()
    rows = [QueueRow(row, sla_state(row, days), max(0, (now - row.created_at).days)) for row in session.execute(query).scalars()]
    return QueuePage(rows, total.scalar_one())


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_COLUMNS = (
    "tracking_id", "status", "category", "department", "ward", "filed", "due_on", "sla", "assignee", "phone",
    "place", "description",
)  # fmt: skip


def csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run: text that could start a formula gets a leading apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START) else value


def queue_csv(rows: Iterable[QueueRow]) -> str:
    """The rows as CSV, phones masked, every cell safe to open in a spreadsheet."""
    return _csv(
        (g.tracking_id, g.status, g.category_key, g.department_key, g.ward_key, g.created_at, g.due_on, row.sla,
         g.assignee.username if g.assignee else None, g.phone, g.location_text, g.description)
        for row in rows
        for g in (row.grievance,)
    )  # fmt: skip


def export_csv(
    session: Session, departments: list[str] | None, chosen: QueueFilter, days: SlaDays, sort: str = "due",
    descending: bool = False,
) -> tuple[str, int]:  # fmt: skip
    """The whole filtered queue as queue_csv writes it, and its number of rows. Only the CSV's columns,
    read as plain rows: a town's 10,000 grievances loaded as ORM objects took half a second."""
    if departments == []:
        return _csv([]), 0
    g = models.Grievance
    columns = (g.tracking_id, g.status, g.category_key, g.department_key, g.ward_key, g.created_at, g.due_on,
               models.Official.username, g.phone, g.location_text, g.description)  # fmt: skip
    rows = session.execute(_sorted(select(*columns), departments, chosen, days, sort, descending)).tuples().all()
    cells = ((*row[:7], _sla(row[1], row[6], days), *row[7:]) for row in rows)
    return _csv(cells), len(rows)


def _csv(rows: Iterable[tuple[Any, ...]]) -> str:
    """CSV_COLUMNS' cells (created_at naive UTC, due_on a date, phone whole: masked here)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for tracking_id, status, category, department, ward, created_at, due_on, sla, assignee, phone, place, description in rows:
        cells = (
            tracking_id, status, category, department, ward or "", clock.local_text(created_at), due_on.isoformat(), sla,
            assignee or "", mask_phone(phone), place, description,
        )  # fmt: skip
        writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()


# --- who may be given the work ------------------------------------------------------------------


def assignable(session: Session, grievance: models.Grievance, may_work: MayWork) -> list[models.Official]:
    """The officials who may work this grievance, by name."""
    everyone = session.execute(select(models.Official).order_by(models.Official.username)).scalars()
    return [official for official in everyone if may_work(official, grievance)]


def workers_of(session: Session, departments: Iterable[str], may_work: MayWork) -> list[models.Official]:
    """The officials who may work a grievance of one of these departments (asked of a probe
    grievance per department, so `may_work` alone decides)."""
    probes = [models.Grievance(department_key=key) for key in departments]
    everyone = session.execute(select(models.Official).order_by(models.Official.username)).scalars()
    return [official for official in everyone if any(may_work(official, probe) for probe in probes)]


# --- one grievance ------------------------------------------------------------------------------


def workable(session: Session, worker: Worker, tracking_id: str) -> models.Grievance:
    """The grievance, if the worker may work it; NotYoursError for none and for another's alike."""
    grievance = grievance_by_tracking_id(session, tracking_id)
    if grievance is None or not worker.may_work(worker.official, grievance):
        raise NotYoursError(tracking_id)
    return grievance


def _text(value: str, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise WorkError("grv_error_needs_text")
    if len(value) > MAX_TEXT:
        raise WorkError("grv_error_too_long")
    return value


def _record(grievance: models.Grievance, worker: Worker, kind: str, text: str = "", detail: str = "") -> None:
    grievance.notes.append(
        models.GrievanceNote(kind=kind, author=worker.name, text=text, detail=detail[:128], created_at=clock.utcnow())
    )


def _check(worker: Worker, grievance: models.Grievance) -> None:
    if not worker.may_work(worker.official, grievance):
        raise NotYoursError(grievance.tracking_id)


def _advance(session: Session, worker: Worker, grievance: models.Grievance, target: str) -> None:
    """Acknowledging and assigning move the status too when the lifecycle allows it (a newly
    registered grievance becomes acknowledged, then assigned); otherwise the status stays."""
    if target in lifecycle.allowed_targets(grievance.status, worker.actor):
        lifecycle.transition(session, grievance, target, by=worker.name, actor=worker.actor)


def acknowledge(session: Session, worker: Worker, grievance: models.Grievance) -> bool:
    """The department has seen it; False (nothing changes) if it already had."""
    _check(worker, grievance)
    if grievance.acknowledged_at is not None:
        return False
    grievance.acknowledged_at = clock.utcnow()
    _record(grievance, worker, "acknowledged")
    _advance(session, worker, grievance, "acknowledged")
    session.flush()
    return True


def assign(session: Session, worker: Worker, grievance: models.Grievance, assignee: models.Official | None) -> bool:
    """Give it to an official who may work it (None: to nobody); False if it was theirs already."""
    _check(worker, grievance)
    if assignee is not None and not worker.may_work(assignee, grievance):
        raise WorkError("grv_error_not_assignable")
    if grievance.assignee_id == (assignee.id if assignee else None):
        return False
    grievance.assignee = assignee
    _record(grievance, worker, "assigned", detail=assignee.username if assignee else "")
    if assignee is not None:
        _advance(session, worker, grievance, "assigned")
    session.flush()
    return True


def change_status(
    session: Session, worker: Worker, grievance: models.Grievance, status: str, remark: str = "",
    photo: dict[str, str] | None = None,
) -> Any:  # fmt: skip
    """A new status with a public remark, through the worker's `move` (the console's tells the
    citizen); resolving and rejecting need the remark, and a resolution may carry the officer's
    `photo` of the repair (a stored image). What `move` returns (the notification)."""
    _check(worker, grievance)
    if status not in STATUSES:
        raise WorkError("grv_error_unknown_status")
    if status not in lifecycle.allowed_targets(grievance.status, worker.actor):
        raise WorkError("grv_error_illegal_transition")
    remark = _text(remark, required=status in NEEDS_REMARK)
    photo = photo if status == "resolved" else None
    return worker.move(session, grievance.tracking_id, status, remark, by=worker.name, actor=worker.actor, photo=photo)


def resolve(session: Session, worker: Worker, grievance: models.Grievance, note: str, photo: dict[str, str] | None = None) -> Any:
    return change_status(session, worker, grievance, "resolved", note, photo)


def reject(session: Session, worker: Worker, grievance: models.Grievance, reason: str) -> Any:
    return change_status(session, worker, grievance, "rejected", reason)


def transfers_left(grievance: models.Grievance) -> int:
    """How many more transfers an official may make (a supervisor may make more)."""
    return max(0, lifecycle.MAX_TRANSFERS - (grievance.transfer_count or 0))


def transfer(
    session: Session, worker: Worker, grievance: models.Grievance, department: str, reason: str, catalog: Catalog
) -> None:
    """To another department, with a reason; it arrives unassigned and not yet acknowledged there.
    After MAX_TRANSFERS only a supervisor may move it on (it should not bounce between offices).
    The due date stays as it was: the citizen's clock does not restart at each office."""
    _check(worker, grievance)
    known = {row.key for row in catalog.departments}
    if department not in known or department == grievance.department_key:
        raise WorkError("grv_error_unknown_department")
    if not worker.supervisor and transfers_left(grievance) == 0:
        raise WorkError("transfer_limit")
    reason = _text(reason, required=True)
    _record(grievance, worker, "transferred", reason, f"{grievance.department_key} -> {department}")
    grievance.transfer_count = (grievance.transfer_count or 0) + 1
    grievance.department_key = department
    grievance.assignee = None
    grievance.acknowledged_at = None
    session.flush()


def add_note(session: Session, worker: Worker, grievance: models.Grievance, text: str) -> None:
    _check(worker, grievance)
    _record(grievance, worker, "note", _text(text, required=True))
    session.flush()


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    kind: str  # "status" (the citizen reads it) or a note's kind
    who: str
    status: str  # a status change's status
    text: str  # its remark, or the reason
    detail: str


def history(grievance: models.Grievance) -> list[HistoryItem]:
    """Status changes and the work done, oldest first (the internal notes are apart)."""
    items = [HistoryItem(e.created_at, "status", e.changed_by, e.status, e.note, "") for e in grievance.events]
    items += [HistoryItem(n.created_at, n.kind, n.author, "", n.text, n.detail) for n in grievance.notes if n.kind != "note"]
    return sorted(items, key=lambda item: item.at)  # stable: at the same moment, a status change first


def internal_notes(grievance: models.Grievance) -> list[models.GrievanceNote]:
    return [note for note in grievance.notes if note.kind == "note"]


# --- in bulk ------------------------------------------------------------------------------------


@dataclass
class Bulk:
    """What a bulk action did: the grievances changed, and those refused (no such grievance, not the
    worker's to work, or not the assignee's): refused ones are left as they were, the rest go ahead."""

    changed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)


def _each(session: Session, worker: Worker, tracking_ids: Iterable[str], bulk: Bulk) -> Iterable[models.Grievance]:
    chosen = list(dict.fromkeys(tid.strip() for tid in tracking_ids if tid.strip()))
    if not chosen:
        raise WorkError("grv_error_nothing_selected")
    if len(chosen) > MAX_BULK:
        raise WorkError("grv_error_too_many")
    for tracking_id in chosen:
        try:
            yield workable(session, worker, tracking_id)
        except NotYoursError:
            bulk.refused.append(tracking_id)


def bulk_assign(session: Session, worker: Worker, tracking_ids: Iterable[str], assignee: models.Official | None) -> Bulk:
    bulk = Bulk()
    for grievance in _each(session, worker, tracking_ids, bulk):
        if assignee is not None and not worker.may_work(assignee, grievance):
            bulk.refused.append(grievance.tracking_id)
        elif assign(session, worker, grievance, assignee):
            bulk.changed.append(grievance.tracking_id)
    return bulk


def bulk_change_status(session: Session, worker: Worker, tracking_ids: Iterable[str], status: str, remark: str = "") -> Bulk:
    if status not in STATUSES:
        raise WorkError("grv_error_unknown_status")
    _text(remark, required=status in NEEDS_REMARK)  # refuse before changing any
    bulk = Bulk()
    for grievance in _each(session, worker, tracking_ids, bulk):
        if status not in lifecycle.allowed_targets(grievance.status, worker.actor):
            bulk.refused.append(grievance.tracking_id)  # e.g. already resolved: left as it is
            continue
        bulk.notifications.append(change_status(session, worker, grievance, status, remark))
        bulk.changed.append(grievance.tracking_id)
    return bulk
