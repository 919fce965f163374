"""The one clock: what time it is (naive UTC, as the database stores every time) and the office's
local time, in the catalog's timezone (`office.timezone`, Asia/Kolkata unless it says otherwise).

Services take `now=` where a caller picks the moment; everything else asks `utcnow()`, which a
test can hold still with `frozen(...)`. The demo can move it ahead (`python -m nagarik clock
advance 11d`): an offset in var/demo-clock, honoured only by processes started with
NAGARIK_DEMO_CLOCK=1 (`make demo` sets it; production never does). Standard library only.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Kolkata"

DEMO_CLOCK_VARIABLE = "NAGARIK_DEMO_CLOCK"
DEMO_CLOCK_FILE = Path(__file__).resolve().parents[2] / "var" / "demo-clock"  # seconds ahead of the real clock
DEMO_CLOCK_RECHECK = 1.0  # seconds between reads of the file: utcnow() is called often

_frozen_at: dt.datetime | None = None
_office_zone = ZoneInfo(DEFAULT_TIMEZONE)
_demo_offset: tuple[float, dt.timedelta] | None = None  # (monotonic time read, offset)


def demo_clock_on() -> bool:
    return os.environ.get(DEMO_CLOCK_VARIABLE) == "1"


def demo_offset() -> dt.timedelta:
    """How far the demo's clock is ahead: zero unless NAGARIK_DEMO_CLOCK=1 and the file says so."""
    global _demo_offset
    if not demo_clock_on():
        return dt.timedelta(0)
    if _demo_offset is None or time.monotonic() - _demo_offset[0] > DEMO_CLOCK_RECHECK:
        try:
            offset = dt.timedelta(seconds=float(DEMO_CLOCK_FILE.read_text(encoding="utf-8").strip() or 0))
        except (OSError, ValueError):
            offset = dt.timedelta(0)
        _demo_offset = (time.monotonic(), offset)
    return _demo_offset[1]


def set_demo_offset(offset: dt.timedelta) -> None:
    """Store the demo clock's offset for every demo process (zero removes it)."""
    global _demo_offset
    if offset:
        DEMO_CLOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEMO_CLOCK_FILE.write_text(f"{offset.total_seconds():.0f}\n", encoding="utf-8")
    else:
        DEMO_CLOCK_FILE.unlink(missing_ok=True)
    _demo_offset = None


def _real_utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def utcnow() -> dt.datetime:
    """Now, as naive UTC (the demo's clock, if it is on and moved ahead)."""
    if _frozen_at is not None:
        return _frozen_at
    return _real_utcnow() + demo_offset()


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
