"""When an unresolved grievance is due for each step of its SLA: the department's reminder to
acknowledge it, the citizen's interim reply at half the SLA, and each level of its category's
escalation ladder (seed/catalog.yml). Pure functions of the catalog and dates.

Days are the office's working days (nagarik.catalog.office_hours: weekdays, its closed Saturdays,
holidays), counted from the local day of filing, as the grievance's `due_on` is. A step falls due
on its day from the office's opening time, so nothing reaches a citizen or an officer at midnight;
the sweep (nagarik.outbound.sla_sweep) turns these into set-based queries by filing-time cutoffs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from nagarik.catalog.office_hours import add_working_days, local_now
from nagarik.shared.catalog import Authority, Catalog, GrievanceCategory

ACK_WORKING_DAYS = 1  # a grievance nobody acknowledged one working day after filing: remind the department


def filed_on(catalog: Catalog, filed_at: dt.datetime) -> dt.date:
    """The office's local day of a filing (naive UTC)."""
    return local_now(catalog, filed_at).date()


def step_day(catalog: Catalog, filed_at: dt.datetime, working_days: int) -> dt.date:
    return add_working_days(catalog, filed_on(catalog, filed_at), working_days)


def ack_reminder_day(catalog: Catalog, filed_at: dt.datetime) -> dt.date:
    """The day the department is reminded of a grievance it has not acknowledged."""
    return step_day(catalog, filed_at, ACK_WORKING_DAYS)


def half_sla_days(category: GrievanceCategory) -> int:
    """Half the SLA in working days, rounded up (at least one): half of it has then passed."""
    return max(1, -(-category.sla_days // 2))


def half_sla_day(catalog: Catalog, category: GrievanceCategory, filed_at: dt.datetime) -> dt.date:
    """The day the citizen gets the interim reply if the grievance is still unresolved."""
    return step_day(catalog, filed_at, half_sla_days(category))


def level_due(catalog: Catalog, category: GrievanceCategory, filed_at: dt.datetime, on: dt.date) -> int:
    """The ladder's level an unresolved grievance should be at on that day (0: not escalated)."""
    start = filed_on(catalog, filed_at)
    level = 0
    for rung in category.escalation:
        if add_working_days(catalog, start, rung.days) > on:
            break
        level = rung.level
    return level


def authority_at(category: GrievanceCategory, level: int) -> Authority:
    return category.escalation[level - 1].to


def sweep_day(catalog: Catalog, now: dt.datetime) -> dt.date:
    """The last day whose steps are due at `now`: today once the office has opened, else yesterday."""
    local = local_now(catalog, now)
    return local.date() if local.time() >= catalog.office.opens else local.date() - dt.timedelta(days=1)


def latest_filing_day(catalog: Catalog, working_days: int, on: dt.date) -> dt.date:
    """The last filing day whose step `working_days` after filing falls on or before `on`
    (add_working_days never decreases as the filing day moves on, so every earlier day is due too)."""
    day = on - dt.timedelta(days=1)
    for _ in range(working_days * 7 + 400):  # a year of holidays cannot hide a working day for longer
        if add_working_days(catalog, day, working_days) <= on:
            return day
        day -= dt.timedelta(days=1)
    raise RuntimeError("the office has no working days: check the catalog")


def filed_before(catalog: Catalog, working_days: int, on: dt.date) -> dt.datetime:
    """The cutoff (naive UTC) of grievances due for a step `working_days` after filing, on `on`:
    those filed before the end of latest_filing_day's local day."""
    day = latest_filing_day(catalog, working_days, on) + dt.timedelta(days=1)
    local_midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(catalog.office.timezone))
    return local_midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)
