"""When the office is open: weekdays, 2nd/4th Saturdays, holidays and working-day deadlines."""

from __future__ import annotations

import datetime as dt

from nagarik.shared import clock
from nagarik.shared.catalog import WEEKDAYS, Catalog


def local_now(catalog: Catalog, now_utc: dt.datetime) -> dt.datetime:
    """A naive UTC time as the office's wall-clock time."""
    return clock.to_local(now_utc, catalog.office.timezone)


def holiday_on(catalog: Catalog, day: dt.date) -> dict[str, str] | None:
    for holiday in catalog.holidays:
        if holiday.date == day:
            return holiday.name
    return None


def closure_reason(catalog: Catalog, day: dt.date) -> str | None:
    """Why the office is closed all day ('sunday', 'saturday', 'holiday'), or None if it opens."""
    office = catalog.office
    weekday = WEEKDAYS[day.weekday()]
    if weekday not in office.open_days:
        return weekday
    if weekday == "sat" and (day.day - 1) // 7 + 1 in office.closed_saturdays:
        return "saturday"
    if holiday_on(catalog, day):
        return "holiday"
    return None


def is_open(catalog: Catalog, now_utc: dt.datetime) -> bool:
    local = local_now(catalog, now_utc)
    office = catalog.office
    return closure_reason(catalog, local.date()) is None and office.opens <= local.time() < office.closes


def next_opening(catalog: Catalog, now_utc: dt.datetime) -> dt.datetime:
    """The next local time the office opens (now itself if it is open)."""
    local = local_now(catalog, now_utc)
    office = catalog.office
    day = local.date()
    for _ in range(60):
        if closure_reason(catalog, day) is None:
            opening = dt.datetime.combine(day, office.opens, tzinfo=local.tzinfo)
            closing = dt.datetime.combine(day, office.closes, tzinfo=local.tzinfo)
            if local < closing:
                return max(opening, local)
        day += dt.timedelta(days=1)
    raise RuntimeError("the office does not open in the next 60 days: check the catalog")


def add_working_days(catalog: Catalog, start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (a service-level deadline)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if closure_reason(catalog, current) is None:
            remaining -= 1
    return current


def upcoming_holidays(catalog: Catalog, today: dt.date, within_days: int = 60) -> list[tuple[dt.date, dict[str, str]]]:
    end = today + dt.timedelta(days=within_days)
    return [(h.date, h.name) for h in catalog.holidays if today <= h.date <= end]
