"""poll, poll-results, poll-close: consultations."""

from __future__ import annotations

import argparse
from pathlib import Path

from nagarik import db
from nagarik.officials.cli.common import audience_from, audience_options, confirmed, sender_options, show_progress, start
from nagarik.outbound import broadcasts, polls
from nagarik.outbound.poll_chart import chart_png
from nagarik.shared import clock


def register(commands: argparse._SubParsersAction) -> None:
    poll = commands.add_parser("poll", help="a poll or consultation from a definition file (config/polls/*.yml)")
    poll.add_argument("file")
    audience_options(poll)
    poll.add_argument("--closes", help="office local time the poll closes, e.g. 2026-12-20T20:00")
    poll.add_argument("--at", help="office local time to send, e.g. 2026-12-01T09:00")
    sender_options(poll, "poll")
    poll.set_defaults(func=send)
    results = commands.add_parser("poll-results", help="a poll's answers by option, ward and language")
    results.add_argument("id", type=int)
    results.add_argument("--chart", metavar="PATH", help="also write a bar chart (PNG) here")
    results.set_defaults(func=show_results)
    close = commands.add_parser("poll-close", help="close a poll: no more answers or comments")
    close.add_argument("id", type=int)
    close.set_defaults(func=close_poll)


def send(args: argparse.Namespace) -> int:
    definition = polls.load_definition(args.file)
    closes_at = clock.from_local(args.closes) if args.closes else None
    send_at = clock.from_local(args.at) if args.at else None
    audience = audience_from(args)
    with db.session_scope() as session:
        size = broadcasts.audience_size(session, "poll", audience)
    print(f"poll to {size} citizens ({audience.as_dict()}): {definition['question']['en']}")
    if not confirmed(args, "send?", "not sent"):
        return 1
    with db.session_scope() as session:
        poll = polls.create(session, **definition, audience=audience, created_by=args.by, closes_at=closes_at, send_at=send_at)
        poll_id, broadcast_id = poll.id, poll.broadcast_id
    if send_at is None:
        start(broadcast_id, broadcasts.PRIORITY["poll"])
    print(f"poll {poll_id} (broadcast {broadcast_id}) {'scheduled for ' + args.at + ' IST' if send_at else 'queued'}")
    if args.watch:
        show_progress(broadcast_id, watch=True)
    return 0


def show_results(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        results = polls.results(session, args.id)
    print(polls.results_table(results))
    if args.chart:
        Path(args.chart).write_bytes(chart_png(results, results.question["en"]))
        print(f"chart: {Path(args.chart).resolve()}")


def close_poll(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        polls.close(session, args.id)
    print(f"poll {args.id} closed")
