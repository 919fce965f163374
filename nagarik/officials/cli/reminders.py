"""reminder-date, reminders-run: reminders that count back from dates on citizens' records."""

from __future__ import annotations

import argparse
import datetime as dt

from nagarik import db
from nagarik.officials.cli.common import start
from nagarik.outbound import reminders


def register(commands: argparse._SubParsersAction) -> None:
    dated = commands.add_parser("reminder-date", help="register a date on a citizen's record that reminders count back from")
    dated.add_argument("phone")
    dated.add_argument("kind", help="a kind in config/reminders.yml, e.g. licence_expiry")
    dated.add_argument("due_on", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    dated.add_argument("--reference", default="", help="the licence, property or application number")
    dated.set_defaults(func=add_date)
    run = commands.add_parser("reminders-run", help="queue the date reminders that are due (workers do it every 5 minutes)")
    run.add_argument("--now", help="act as if it were this time (ISO, UTC unless it has an offset)")
    run.set_defaults(func=run_due)


def add_date(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        row = reminders.add_date(session, args.phone, args.kind, args.due_on, args.reference)
        print(f"date {row.id}: {row.kind} of {row.phone} on {row.due_on} {row.reference}".rstrip())


def run_due(args: argparse.Namespace) -> None:
    now = None
    if args.now:
        given = dt.datetime.fromisoformat(args.now)
        now = given.astimezone(dt.timezone.utc).replace(tzinfo=None) if given.tzinfo else given
    with db.session_scope() as session:
        due = [(broadcast.id, broadcast.priority) for broadcast in reminders.run_due(session, now)]
    for broadcast_id, priority in due:
        start(broadcast_id, priority)
    listed = f": broadcasts {', '.join(str(b) for b, _ in due)}" if due else ""
    print(f"reminders due and queued: {len(due)}{listed}")
