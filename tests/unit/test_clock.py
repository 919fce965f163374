"""The one clock: now as naive UTC (held still in tests) and the office's local time."""

from __future__ import annotations

import dataclasses
import datetime as dt

from nagarik import db
from nagarik.catalog import store as catalog_store
from nagarik.shared import clock


def test_frozen_holds_every_caller_of_now_still_and_lets_go_after() -> None:
    outer, inner = dt.datetime(2031, 2, 28, 18, 40), dt.datetime(2031, 3, 1, 0, 5)
    with clock.frozen(outer):
        assert clock.utcnow() == outer and clock.utcnow() == outer
        with clock.frozen(inner):
            assert clock.utcnow() == inner
        assert clock.utcnow() == outer
    assert clock._frozen_at is None  # back on the real clock


def test_local_time_is_the_office_time_and_an_offset_given_is_kept() -> None:
    assert clock.from_local("2026-12-01T09:00") == dt.datetime(2026, 12, 1, 3, 30)  # IST by default
    assert clock.from_local("2026-12-01T09:00+00:00") == dt.datetime(2026, 12, 1, 9, 0)
    assert clock.local_text(dt.datetime(2026, 12, 31, 18, 30)) == "01-01-2027 00:00"  # IST midnight
    assert clock.at_local_hour(dt.date(2026, 12, 2), 3) == dt.datetime(2026, 12, 1, 21, 30)


def test_the_catalogs_timezone_is_the_clocks(catalog, monkeypatch) -> None:
    elsewhere = dataclasses.replace(catalog, office=dataclasses.replace(catalog.office, timezone="Asia/Dubai"))
    monkeypatch.setattr(catalog_store, "read_catalog", lambda session: elsewhere)
    monkeypatch.setattr(catalog_store, "_cache", {})
    try:
        with db.session_scope() as session:
            catalog_store.current_catalog(session)
        assert clock.office_zone().key == "Asia/Dubai"
        assert clock.from_local("2026-12-01T09:00") == dt.datetime(2026, 12, 1, 5, 0)
    finally:
        clock.use_office_timezone(catalog.office.timezone)
