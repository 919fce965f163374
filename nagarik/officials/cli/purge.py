"""purge: the retention purge (config/retention.yml) at once, or with --dry-run only what it would remove."""

from __future__ import annotations

import argparse
import datetime as dt

from nagarik.citizens import purge
from nagarik.shared.retention import retention


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("purge", help="remove messages, conversations, media and broadcast copies past their retention")
    command.add_argument("--dry-run", action="store_true", help="count what is due, remove nothing")
    command.add_argument("--now", help="act as if it were this time (ISO, UTC unless it has an offset)")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    now = None
    if args.now:
        given = dt.datetime.fromisoformat(args.now)
        now = given.astimezone(dt.timezone.utc).replace(tzinfo=None) if given.tzinfo else given
    periods = retention()
    print(
        f"retention (config/retention.yml): messages {periods.messages.days} days, conversations "
        f"{periods.conversations.days} days, unlinked media {periods.unlinked_media.days} days, "
        f"broadcast copies {periods.broadcast_copies.days} days"
    )
    done = purge.purge(now=now, dry_run=args.dry_run, periods=periods)
    print(("would remove (dry run):" if args.dry_run else "removed:") + "\n  " + "\n  ".join(done.lines()))
