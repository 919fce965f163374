"""campaign, campaign-progress, campaign-cancel: awareness campaigns of several messages."""

from __future__ import annotations

import argparse
import datetime as dt

from nagarik import db
from nagarik.officials.cli.common import audience_from, audience_options, confirmed, sender_options
from nagarik.outbound import broadcasts, campaigns
from nagarik.shared import clock


def register(commands: argparse._SubParsersAction) -> None:
    campaign = commands.add_parser("campaign", help="an awareness campaign from a file (config/campaigns/*.yml)")
    campaign.add_argument("file")
    audience_options(campaign)
    campaign.add_argument("--start", required=True, type=dt.date.fromisoformat, help="the date of day 0, YYYY-MM-DD")
    sender_options(campaign, "campaign", watch=False)
    campaign.set_defaults(func=schedule)
    progress = commands.add_parser("campaign-progress", help="each step of a campaign and its progress")
    progress.add_argument("id", type=int)
    progress.set_defaults(func=show_progress)
    cancel = commands.add_parser("campaign-cancel", help="cancel a campaign's steps not yet sent")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cancel_campaign)


def schedule(args: argparse.Namespace) -> int:
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
    if not confirmed(args, "schedule?", "not scheduled"):
        return 1
    with db.session_scope() as session:
        campaign = campaigns.create(session, definition, audience, args.start, args.by)
        campaign_id = campaign.id
    print(f"campaign {campaign_id} scheduled; the workers send each step at its time")
    return 0


def show_progress(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        campaign, steps = campaigns.progress(session, args.id)
    print(f"campaign {campaign.id} '{campaign.name}' ({campaign.status}) to {campaign.audience}")
    for step in steps:
        state = step.progress
        at = clock.to_local(step.send_at).strftime("%Y-%m-%d %H:%M %Z")
        counts = "  ".join(f"{name} {count}" for name, count in sorted(state.states.items()))
        done = f"{state.finished}/{state.total}"
        print(f"  step {step.number}  {at}  broadcast {state.broadcast_id}  {state.status}  {done}  {counts}")


def cancel_campaign(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        campaigns.cancel(session, args.id)
    print(f"campaign {args.id} cancelled: its steps not yet sent will not go out")
