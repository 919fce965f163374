"""audience, announce, alert, progress, cancel: broadcasts an official sends."""

from __future__ import annotations

import argparse

from nagarik import db
from nagarik.officials.cli.common import audience_from, audience_options, confirmed, sender_options, show_progress, start
from nagarik.outbound import broadcasts
from nagarik.shared import clock


def register(commands: argparse._SubParsersAction) -> None:
    size = commands.add_parser("audience", help="how many citizens an audience reaches")
    audience_options(size)
    size.add_argument("--kind", default="announcement", choices=list(broadcasts.PRIORITY))
    size.set_defaults(func=audience)

    announce = commands.add_parser("announce", help="an announcement (PSA) to subscribers")
    audience_options(announce)
    message_options(announce)
    for media_type in ("image", "video", "document"):
        announce.add_argument(f"--{media_type}", metavar="URL")
    announce.add_argument("--at", help="office local time to send, e.g. 2026-12-01T09:00")
    announce.set_defaults(func=lambda args: create(args, "announcement"))

    alert = commands.add_parser("alert", help="an emergency alert for wards: goes before everything else")
    audience_options(alert)
    message_options(alert)
    alert.add_argument("--follows", type=int, help="the alert this one updates")
    alert.set_defaults(func=lambda args: create(args, "emergency"))

    watch = commands.add_parser("progress", help="a broadcast's progress")
    watch.add_argument("id", type=int)
    watch.add_argument("--watch", action="store_true")
    watch.set_defaults(func=lambda args: show_progress(args.id, args.watch))

    stop = commands.add_parser("cancel", help="cancel a scheduled or running broadcast")
    stop.add_argument("id", type=int)
    stop.set_defaults(func=cancel)


def message_options(command: argparse.ArgumentParser) -> None:
    for lang in ("en", "hi", "kn"):
        command.add_argument(f"--{lang}", help=f"the text in {lang}" + (" (required)" if lang == "en" else ""))
    sender_options(command, "broadcast")


def audience(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        print(broadcasts.audience_size(session, args.kind, audience_from(args)))


def cancel(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        broadcasts.cancel(session, args.id)
    print(f"broadcast {args.id} cancelled")


def create(args: argparse.Namespace, kind: str) -> int:
    texts = {lang: getattr(args, lang) for lang in ("en", "hi", "kn") if getattr(args, lang)}
    media = None
    for media_type in ("image", "video", "document"):
        if getattr(args, media_type, None):
            media = {"type": media_type, "link": getattr(args, media_type)}
    send_at = clock.from_local(args.at) if getattr(args, "at", None) else None
    chosen = audience_from(args)
    with db.session_scope() as session:
        size = broadcasts.audience_size(session, kind, chosen)
    print(f"{kind} to {size} citizens ({chosen.as_dict()})")
    if not confirmed(args, "send?", "not sent"):
        return 1
    with db.session_scope() as session:
        broadcast = broadcasts.create(
            session,
            kind=kind,
            texts=texts,
            audience=chosen,
            media=media,
            send_at=send_at,
            created_by=args.by,
            thread_of=getattr(args, "follows", None),
        )
        broadcast_id, priority = broadcast.id, broadcast.priority
    if send_at is None:
        start(broadcast_id, priority)
    print(f"broadcast {broadcast_id} {'scheduled for ' + args.at + ' IST' if send_at else 'queued'}")
    if args.watch:
        show_progress(broadcast_id, watch=True)
    return 0
