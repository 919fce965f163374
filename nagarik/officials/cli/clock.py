"""clock: the demo's clock (NAGARIK_DEMO_CLOCK=1 only). `clock advance 11d` moves every demo process
ahead (nagarik.shared.clock reads the offset) and runs the SLA sweep at once, so reminders, interim
replies and escalations show without waiting for the workers' next sweep; `clock show`, `clock reset`."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.outbound import sla_sweep
from nagarik.shared import clock

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def duration(text: str) -> dt.timedelta:
    """11d, 36h or 90m."""
    found = re.fullmatch(r"(\d{1,4})([dhm])", text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a number and d, h or m, e.g. 11d")
    return dt.timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("clock", help="the demo's clock: advance it (and run the SLA sweep), show or reset it")
    actions = command.add_subparsers(dest="clock_action", required=True)
    advance = actions.add_parser("advance", help="move the demo's clock ahead, then run the SLA sweep once")
    advance.add_argument("by", type=duration, help="how far: 11d, 36h, 90m")
    advance.set_defaults(func=run_advance)
    actions.add_parser("show", help="the demo's time and its offset").set_defaults(func=run_show)
    actions.add_parser("reset", help="back to the real time").set_defaults(func=run_reset)


def _refused() -> int | None:
    if clock.demo_clock_on():
        return None
    print(f"refused: the demo clock is off (set {clock.DEMO_CLOCK_VARIABLE}=1; demo only, never in production)", file=sys.stderr)
    return 1


def _show() -> None:
    print(f"demo clock: {clock.local_text(clock.utcnow())} office time, {clock.demo_offset()} ahead of the real clock")


def run_advance(args: argparse.Namespace) -> int | None:
    if (refused := _refused()) is not None:
        return refused
    clock.set_demo_offset(clock.demo_offset() + args.by)
    _show()
    now = clock.utcnow()
    with db.session_scope() as session:
        counts = sla_sweep.run_sweep(session, current_catalog(session), now)
    print(f"SLA sweep: {counts.line()}")
    return None


def run_show(args: argparse.Namespace) -> int | None:
    if (refused := _refused()) is not None:
        return refused
    _show()
    return None


def run_reset(args: argparse.Namespace) -> int | None:
    if (refused := _refused()) is not None:
        return refused
    clock.set_demo_offset(dt.timedelta(0))
    _show()
    return None
