"""The one clock: what time it is (naive UTC, as the database stores every time) and the office's
local time, in the catalog's timezone (`office.timezone`, Asia/Kolkata unless it says otherwise).

Services take `now=` where a caller picks the moment; everything else asks `utcnow()`, which a
test can hold still with `frozen(...)`. Standard library only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Kolkata"

_frozen_at: dt.datetime | None = None
_office_zone = ZoneInfo(DEFAULT_TIMEZONE)


def utcnow() -> dt.datetime:
    """Now, as naive UTC."""
    if _frozen_at is not None:
        return _frozen_at
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def epoch_of(moment: dt.datetime) -> float:
    """Seconds since the epoch of a naive UTC moment (the channel's store keeps times so)."""
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


def from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Hold `utcnow()` at `at` (naive UTC) inside the block (tests)."""
    global _frozen_at
    before, _frozen_at = _frozen_at, at
    try:
        yield
    finally:
        _frozen_at = before


def use_office_timezone(name: str) -> None:
    """The catalog's timezone, set when the catalog is loaded (an unknown name fails there)."""
    global _office_zone
    _office_zone = ZoneInfo(name)


def office_zone() -> ZoneInfo:
    return _office_zone


def to_local(moment: dt.datetime, zone: str | None = None) -> dt.datetime:
    """A naive UTC time as the office's wall-clock time (aware)."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone) if zone else _office_zone)


def from_local(moment: dt.datetime | str) -> dt.datetime:
    """An official's time (ISO text or datetime; the office's local time unless it names its
    offset) as naive UTC."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_office_zone)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def at_local_hour(day: dt.date, hour: int) -> dt.datetime:
    """That day at that hour of the office's local time, as naive UTC."""
    return from_local(dt.datetime.combine(day, dt.time(hour)))


def local_text(moment: dt.datetime) -> str:
    """A naive UTC time as citizens read it: local, day first."""
    return to_local(moment).strftime("%d-%m-%Y %H:%M")
