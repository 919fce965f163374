"""stage, grievance-status: a department's change, told to the citizen."""

from __future__ import annotations

import argparse
import datetime as dt

from nagarik import db
from nagarik.citizens.grievance_lifecycle import ACTORS
from nagarik.officials.cli.common import start
from nagarik.outbound import checks, notifications


def register(commands: argparse._SubParsersAction) -> None:
    moved = commands.add_parser("stage", help="move an application to another stage and tell the applicant")
    moved.add_argument("number")
    moved.add_argument("stage")
    moved.add_argument("--expected", type=dt.date.fromisoformat, help="the new expected date, YYYY-MM-DD")
    moved.add_argument("--by", default="cli", help="who moved it (kept with the application and the message)")
    moved.set_defaults(func=stage)
    status = commands.add_parser("grievance-status", help="change a grievance's status and tell the citizen")
    status.add_argument("tracking_id")
    status.add_argument("status")
    status.add_argument("--note", default="")
    status.add_argument("--by", default="cli", help="who changed it (kept in the grievance's history)")
    status.add_argument("--photo", help="with resolved: an https:// address of the repair's photo, above the rating buttons")
    status.add_argument(
        "--as", dest="actor", default="official", choices=[a for a in ACTORS if a != "citizen"],
        help="their part in the lifecycle: an appeal is decided as appellate, a 4th transfer as supervisor",
    )  # fmt: skip
    status.set_defaults(func=grievance_status)


def stage(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        broadcast = notifications.application_moved(session, args.number, args.stage, args.expected, by=args.by)
        told = (broadcast.id, broadcast.priority)
    tell(*told)


def grievance_status(args: argparse.Namespace) -> None:
    photo = checks.media({"type": "image", "link": args.photo}, "--photo") if args.photo else None
    if photo and args.status != "resolved":
        raise ValueError("--photo: only a resolution carries a photo")
    with db.session_scope() as session:
        broadcast = notifications.grievance_moved(
            session, args.tracking_id, args.status, args.note, by=args.by, actor=args.actor, photo=photo
        )
        told = (broadcast.id, broadcast.priority)
    tell(*told)


def tell(broadcast_id: int, priority: int) -> None:
    start(broadcast_id, priority)
    print(f"changed; the citizen is told (broadcast {broadcast_id})")
