"""Officials' command line for what Nagarik sends on its own initiative.

    python -m nagarik.cli audience --wards jayanagar --topics water_supply
    python -m nagarik.cli announce --en "Water supply off on Friday 10-4" --hi "..." --kn "..." --wards jayanagar \\
        --topics water_supply [--image URL | --document URL] [--at 2026-12-01T09:00] [--yes] [--watch]
    python -m nagarik.cli alert --wards jayanagar --en "Flooding on 9th main: avoid the underpass" [--follows ID]
    python -m nagarik.cli progress ID [--watch]     python -m nagarik.cli cancel ID     python -m nagarik.cli resume
    python -m nagarik.cli stage BC-2026-001234 approval [--expected 2026-12-05]   (tells the applicant)
    python -m nagarik.cli grievance-status GRV-2026-000042 in_progress [--note "..."]   (tells the citizen)
    python -m nagarik.cli worker [--workers 8]       (the queue's consumer; several may run)
    python -m nagarik.cli reminder-date 919876543210 licence_expiry 2026-12-30 [--reference TL/JAY/2025/01873]
    python -m nagarik.cli reminders-run [--now 2026-11-30T04:30]   (UTC; workers run it every 5 minutes)
    python -m nagarik.cli campaign seed/campaigns/dengue_prevention.yml --topics health --start 2026-12-01 [--yes]
    python -m nagarik.cli campaign-progress ID     python -m nagarik.cli campaign-cancel ID
    python -m nagarik.cli poll seed/polls/park_hours_jayanagar.yml --wards jayanagar [--closes 2026-12-20T20:00] [--at ...]
    python -m nagarik.cli poll-results ID [--chart results.png]     python -m nagarik.cli poll-close ID
    python -m nagarik.cli form trade_licence [--out PATH]     python -m nagarik.cli verify NGK-7F3K-9QXA [--pdf PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from nagarik import broadcasts, clock, db
from nagarik.broadcasts import Audience

BAR = 30


def audience_from(args: argparse.Namespace) -> Audience:
    return Audience(tuple(args.wards or ()), tuple(args.topics or ()), tuple(args.languages or ()))


def show_progress(broadcast_id: int, watch: bool) -> None:
    while True:
        with db.session_scope() as session:
            state = broadcasts.progress(session, broadcast_id)
        done = state.finished / state.total if state.total else 1.0
        counts = "  ".join(f"{name} {count}" for name, count in sorted(state.states.items()))
        bar = "#" * round(BAR * done) + "-" * (BAR - round(BAR * done))
        print(f"\r[{bar}] {done:6.1%}  {state.finished}/{state.total}  {counts}  ({state.status})", end="", flush=True)
        if not watch or state.status in ("done", "cancelled") or (state.total and state.finished == state.total):
            break
        time.sleep(1)
    print()
    if state.failures:
        print("failed by reason: " + ", ".join(f"error {code}: {count}" for code, count in state.failures.most_common()))


def create(args: argparse.Namespace, kind: str) -> int:
    texts = {lang: getattr(args, lang) for lang in ("en", "hi", "kn") if getattr(args, lang)}
    media = None
    for media_type in ("image", "video", "document"):
        if getattr(args, media_type, None):
            media = {"type": media_type, "link": getattr(args, media_type)}
    send_at = None
    if getattr(args, "at", None):
        send_at = clock.from_local(args.at)
    audience = audience_from(args)
    with db.session_scope() as session:
        size = broadcasts.audience_size(session, kind, audience)
    print(f"{kind} to {size} citizens ({audience.as_dict()})")
    if not args.yes and input("send? [y/N] ").strip().lower() != "y":
        print("not sent")
        return 1
    from nagarik.tasks import start_broadcast  # the queue only when something is sent

    with db.session_scope() as session:
        broadcast = broadcasts.create(
            session,
            kind=kind,
            texts=texts,
            audience=audience,
            media=media,
            send_at=send_at,
            created_by=args.by,
            thread_of=getattr(args, "follows", None),
        )
        broadcast_id, priority = broadcast.id, broadcast.priority
    if send_at is None:
        start_broadcast(broadcast_id, priority=priority)
    print(f"broadcast {broadcast_id} {'scheduled for ' + args.at + ' IST' if send_at else 'queued'}")
    if args.watch:
        show_progress(broadcast_id, watch=True)
    return 0


def notify(args: argparse.Namespace) -> int:
    from nagarik import notifications
    from nagarik.tasks import start_broadcast

    with db.session_scope() as session:
        if args.command == "stage":
            broadcast = notifications.application_moved(session, args.number, args.stage, args.expected)
        else:
            broadcast = notifications.grievance_moved(session, args.tracking_id, args.status, args.note)
        broadcast_id, priority = broadcast.id, broadcast.priority
    start_broadcast(broadcast_id, priority=priority)
    print(f"changed; the citizen is told (broadcast {broadcast_id})")
    return 0


def document_command(args: argparse.Namespace) -> int:
    """`form`: write a service's application form; `verify`: what a certificate code shows (and if a PDF is that copy)."""
    from pathlib import Path

    from nagarik import catalog_store, documents

    with db.session_scope() as session:
        if args.command == "form":
            out = Path(args.out or documents.form_filename(args.service))
            out.write_bytes(documents.form_pdf(catalog_store.current_catalog(session), args.service))
            print(f"wrote {out}")
            return 0
        found = documents.verify(session, args.code)
        if found is None:
            print(f"no certificate with code {args.code}")
            return 1
        for key, value in found.items():
            print(f"{key}: {value}")
        if args.pdf:
            genuine = documents.verify_pdf(session, args.code, Path(args.pdf).read_bytes())
            print(f"{args.pdf}: {'matches the copy issued' if genuine else 'DOES NOT match the copy issued'}")
            return 0 if genuine else 1
    return 0


def poll_command(args: argparse.Namespace) -> int:
    """`poll`: send a consultation from a definition file; `poll-results`: its tables (and chart); `poll-close`."""
    from pathlib import Path

    from nagarik import polls

    if args.command == "poll-close":
        with db.session_scope() as session:
            polls.close(session, args.id)
        print(f"poll {args.id} closed")
        return 0
    if args.command == "poll-results":
        with db.session_scope() as session:
            results = polls.results(session, args.id)
        print(polls.results_table(results))
        if args.chart:
            from nagarik.poll_chart import chart_png

            Path(args.chart).write_bytes(chart_png(results, results.question["en"]))
            print(f"chart: {Path(args.chart).resolve()}")
        return 0
    definition = polls.load_definition(args.file)
    closes_at = polls.utc_from_local(args.closes) if args.closes else None
    send_at = polls.utc_from_local(args.at) if args.at else None
    audience = audience_from(args)
    with db.session_scope() as session:
        size = broadcasts.audience_size(session, "poll", audience)
    print(f"poll to {size} citizens ({audience.as_dict()}): {definition['question']['en']}")
    if not args.yes and input("send? [y/N] ").strip().lower() != "y":
        print("not sent")
        return 1
    with db.session_scope() as session:
        poll = polls.create(session, **definition, audience=audience, created_by=args.by, closes_at=closes_at, send_at=send_at)
        poll_id, broadcast_id = poll.id, poll.broadcast_id
    if send_at is None:
        from nagarik.tasks import start_broadcast

        start_broadcast(broadcast_id, priority=broadcasts.PRIORITY["poll"])
    print(f"poll {poll_id} (broadcast {broadcast_id}) {'scheduled for ' + args.at + ' IST' if send_at else 'queued'}")
    if args.watch:
        show_progress(broadcast_id, watch=True)
    return 0


def reminder_command(args: argparse.Namespace) -> int:
    """`reminder-date`: register a date on a citizen's record; `reminders-run`: queue the reminders due."""
    from nagarik import reminders

    if args.command == "reminder-date":
        with db.session_scope() as session:
            row = reminders.add_date(session, args.phone, args.kind, args.due_on, args.reference)
            print(f"date {row.id}: {row.kind} of {row.phone} on {row.due_on} {row.reference}".rstrip())
        return 0
    now = None
    if args.now:
        given = dt.datetime.fromisoformat(args.now)
        now = given.astimezone(dt.timezone.utc).replace(tzinfo=None) if given.tzinfo else given
    with db.session_scope() as session:
        due = [(broadcast.id, broadcast.priority) for broadcast in reminders.run_due(session, now)]
    if due:
        from nagarik.tasks import start_broadcast

        for broadcast_id, priority in due:
            start_broadcast(broadcast_id, priority=priority)
    listed = f": broadcasts {', '.join(str(b) for b, _ in due)}" if due else ""
    print(f"reminders due and queued: {len(due)}{listed}")
    return 0


def campaign_command(args: argparse.Namespace) -> int:
    """`campaign`: schedule an awareness campaign from a file; `campaign-progress`; `campaign-cancel`."""
    from nagarik import campaigns

    if args.command == "campaign-cancel":
        with db.session_scope() as session:
            campaigns.cancel(session, args.id)
        print(f"campaign {args.id} cancelled: its steps not yet sent will not go out")
        return 0
    if args.command == "campaign-progress":
        with db.session_scope() as session:
            campaign, steps = campaigns.progress(session, args.id)
        print(f"campaign {campaign.id} '{campaign.name}' ({campaign.status}) to {campaign.audience}")
        for step in steps:
            state = step.progress
            at = clock.to_local(step.send_at).strftime("%Y-%m-%d %H:%M %Z")
            counts = "  ".join(f"{name} {count}" for name, count in sorted(state.states.items()))
            done = f"{state.finished}/{state.total}"
            print(f"  step {step.number}  {at}  broadcast {state.broadcast_id}  {state.status}  {done}  {counts}")
        return 0
    definition = campaigns.load_definition(args.file)
    audience = audience_from(args)
    with db.session_scope() as session:
        size = broadcasts.audience_size(session, "campaign", audience)
    steps = definition["steps"]
    print(f"campaign '{definition['name']}': {len(steps)} messages to {size} citizens ({audience.as_dict()})")
    for step in steps:
        at = clock.to_local(campaigns.send_time(args.start, step["day"], step["hour"]))
        media = f" [{step['media']['type']}]" if step["media"] else ""
        print(f"  {at:%Y-%m-%d %H:%M %Z}{media}  {step['texts']['en'][:70]}...")
    if not args.yes and input("schedule? [y/N] ").strip().lower() != "y":
        print("not scheduled")
        return 1
    with db.session_scope() as session:
        campaign = campaigns.create(session, definition, audience, args.start, args.by)
        campaign_id = campaign.id
    print(f"campaign {campaign_id} scheduled; the workers send each step at its time")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nagarik.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def audience_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--wards", nargs="*", metavar="WARD")
        command.add_argument("--topics", nargs="*", metavar="TOPIC")
        command.add_argument("--languages", nargs="*", metavar="LANG", choices=("en", "hi", "kn"))

    def message_options(command: argparse.ArgumentParser) -> None:
        for lang in ("en", "hi", "kn"):
            command.add_argument(f"--{lang}", help=f"the text in {lang}" + (" (required)" if lang == "en" else ""))
        command.add_argument("--by", default="cli", help="who sends it (kept with the broadcast)")
        command.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        command.add_argument("--watch", action="store_true", help="show progress until it is done")

    size = commands.add_parser("audience", help="how many citizens an audience reaches")
    audience_options(size)
    size.add_argument("--kind", default="announcement", choices=list(broadcasts.PRIORITY))
    announce = commands.add_parser("announce", help="an announcement (PSA) to subscribers")
    audience_options(announce)
    message_options(announce)
    for media_type in ("image", "video", "document"):
        announce.add_argument(f"--{media_type}", metavar="URL")
    announce.add_argument("--at", help="local time (IST) to send, e.g. 2026-12-01T09:00")
    alert = commands.add_parser("alert", help="an emergency alert for wards: goes before everything else")
    audience_options(alert)
    message_options(alert)
    alert.add_argument("--follows", type=int, help="the alert this one updates")
    watch = commands.add_parser("progress", help="a broadcast's progress")
    watch.add_argument("id", type=int)
    watch.add_argument("--watch", action="store_true")
    stop = commands.add_parser("cancel", help="cancel a scheduled or running broadcast")
    stop.add_argument("id", type=int)
    moved = commands.add_parser("stage", help="move an application to another stage and tell the applicant")
    moved.add_argument("number")
    moved.add_argument("stage")
    moved.add_argument("--expected", type=dt.date.fromisoformat, help="the new expected date, YYYY-MM-DD")
    status = commands.add_parser("grievance-status", help="change a grievance's status and tell the citizen")
    status.add_argument("tracking_id")
    status.add_argument("status")
    status.add_argument("--note", default="")
    poll = commands.add_parser("poll", help="a poll or consultation from a definition file (seed/polls/*.yml)")
    poll.add_argument("file")
    audience_options(poll)
    poll.add_argument("--closes", help="local time (IST) the poll closes, e.g. 2026-12-20T20:00")
    poll.add_argument("--at", help="local time (IST) to send, e.g. 2026-12-01T09:00")
    poll.add_argument("--by", default="cli", help="who sends it (kept with the poll)")
    poll.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    poll.add_argument("--watch", action="store_true", help="show the sending progress until it is done")
    poll_results = commands.add_parser("poll-results", help="a poll's answers by option, ward and language")
    poll_results.add_argument("id", type=int)
    poll_results.add_argument("--chart", metavar="PATH", help="also write a bar chart (PNG) here")
    commands.add_parser("poll-close", help="close a poll: no more answers or comments").add_argument("id", type=int)
    commands.add_parser("resume", help="re-queue copies left by a worker that died (workers also do this every minute)")
    worker = commands.add_parser("worker", help="run the queue's workers")
    worker.add_argument("--workers", type=int, default=8)
    form = commands.add_parser("form", help="write a service's application form as a PDF")
    form.add_argument("service", metavar="SERVICE_KEY")
    form.add_argument("--out", metavar="PATH", help="default: SERVICE_KEY_application_form.pdf")
    check = commands.add_parser("verify", help="what a certificate code shows; with --pdf, whether that file is the copy issued")
    check.add_argument("code")
    check.add_argument("--pdf", metavar="PATH")

    dated = commands.add_parser("reminder-date", help="register a date on a citizen's record that reminders count back from")
    dated.add_argument("phone")
    dated.add_argument("kind", help="a kind in seed/reminders.yml, e.g. licence_expiry")
    dated.add_argument("due_on", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    dated.add_argument("--reference", default="", help="the licence, property or application number")
    run = commands.add_parser("reminders-run", help="queue the date reminders that are due (workers do it every 5 minutes)")
    run.add_argument("--now", help="act as if it were this time (ISO, UTC unless it has an offset)")
    campaign = commands.add_parser("campaign", help="an awareness campaign from a file (seed/campaigns/*.yml)")
    campaign.add_argument("file")
    audience_options(campaign)
    campaign.add_argument("--start", required=True, type=dt.date.fromisoformat, help="the date of day 0, YYYY-MM-DD")
    campaign.add_argument("--by", default="cli", help="who sends it (kept with the campaign)")
    campaign.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    commands.add_parser("campaign-progress", help="each step of a campaign and its progress").add_argument("id", type=int)
    commands.add_parser("campaign-cancel", help="cancel a campaign's steps not yet sent").add_argument("id", type=int)

    args = parser.parse_args(argv)
    try:
        if args.command == "audience":
            with db.session_scope() as session:
                print(broadcasts.audience_size(session, args.kind, audience_from(args)))
        elif args.command in ("announce", "alert"):
            return create(args, "emergency" if args.command == "alert" else "announcement")
        elif args.command == "progress":
            show_progress(args.id, args.watch)
        elif args.command == "cancel":
            with db.session_scope() as session:
                broadcasts.cancel(session, args.id)
            print(f"broadcast {args.id} cancelled")
        elif args.command in ("stage", "grievance-status"):
            return notify(args)
        elif args.command in ("poll", "poll-results", "poll-close"):
            return poll_command(args)
        elif args.command in ("reminder-date", "reminders-run"):
            return reminder_command(args)
        elif args.command in ("campaign", "campaign-progress", "campaign-cancel"):
            return campaign_command(args)
        elif args.command == "resume":
            from nagarik.tasks import sweep

            sweep(with_queued=True)
        elif args.command in ("form", "verify"):
            return document_command(args)
        elif args.command == "worker":
            from nagarik.tasks import run_workers

            run_workers(args.workers)
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
