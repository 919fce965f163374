"""Officials' command line for what Nagarik sends on its own initiative.

    python -m nagarik.cli audience --wards jayanagar --topics water_supply
    python -m nagarik.cli announce --en "Water supply off on Friday 10-4" --hi "..." --kn "..." --wards jayanagar \\
        --topics water_supply [--image URL | --document URL] [--at 2026-12-01T09:00] [--yes] [--watch]
    python -m nagarik.cli alert --wards jayanagar --en "Flooding on 9th main: avoid the underpass" [--follows ID]
    python -m nagarik.cli progress ID [--watch]     python -m nagarik.cli cancel ID     python -m nagarik.cli resume
    python -m nagarik.cli stage BC-2026-001234 approval [--expected 2026-12-05]   (tells the applicant)
    python -m nagarik.cli grievance-status GRV-2026-000042 in_progress [--note "..."]   (tells the citizen)
    python -m nagarik.cli worker [--workers 8]       (the queue's consumer; several may run)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from zoneinfo import ZoneInfo

from nagarik import broadcasts, db
from nagarik.broadcasts import Audience

IST = ZoneInfo("Asia/Kolkata")
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
        local = dt.datetime.fromisoformat(args.at).replace(tzinfo=IST)
        send_at = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
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
    commands.add_parser("resume", help="re-queue copies left by a worker that died (workers also do this every minute)")
    worker = commands.add_parser("worker", help="run the queue's workers")
    worker.add_argument("--workers", type=int, default=8)

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
        elif args.command == "resume":
            from nagarik.tasks import sweep

            sweep(with_queued=True)
        elif args.command == "worker":
            from huey.consumer import Consumer

            from nagarik.tasks import huey

            Consumer(huey, workers=args.workers, worker_type="thread", periodic=True).run()
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
