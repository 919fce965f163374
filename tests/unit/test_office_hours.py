"""Office calendar: weekly offs, 2nd and 4th Saturdays, holidays, working-day deadlines."""

import datetime as dt

from nagarik.catalog.office_hours import add_working_days, closure_reason, is_open, next_opening


def test_closed_days(catalog):
    assert closure_reason(catalog, dt.date(2026, 11, 29)) == "sun"
    assert closure_reason(catalog, dt.date(2026, 11, 14)) == "saturday"  # 2nd Saturday
    assert closure_reason(catalog, dt.date(2026, 11, 21)) is None  # 3rd Saturday
    assert closure_reason(catalog, dt.date(2026, 12, 25)) == "holiday"
    assert closure_reason(catalog, dt.date(2026, 11, 25)) is None


def test_open_hours_in_ist(catalog):
    assert is_open(catalog, dt.datetime(2026, 11, 25, 5, 0))  # 10:30 IST
    assert not is_open(catalog, dt.datetime(2026, 11, 25, 13, 0))  # 18:30 IST
    opening = next_opening(catalog, dt.datetime(2026, 11, 28, 13, 0))  # Saturday 18:30 IST (4th Saturday)
    assert opening.date() == dt.date(2026, 11, 30) and opening.strftime("%H:%M") == catalog.office.opens.strftime("%H:%M")


def test_working_days_skip_sundays_saturdays_and_holidays(catalog):
    # Thursday 24 Dec 2026 + 2 working days: 25th is Christmas, 26th is the 4th Saturday, 27th Sunday.
    assert add_working_days(catalog, dt.date(2026, 12, 24), 2) == dt.date(2026, 12, 29)
