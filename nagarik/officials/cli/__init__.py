"""The officials' command line: `python -m nagarik COMMAND`, one module per group of commands.

    python -m nagarik init | migrate | seed | check-catalog | demo          (the database: database.py)
    python -m nagarik audience --wards jayanagar --topics water_supply
    python -m nagarik announce --en "Water supply off on Friday 10-4" --hi "..." --kn "..." --wards jayanagar \\
        --topics water_supply [--image URL | --document URL] [--at 2026-12-01T09:00] [--yes] [--watch]
    python -m nagarik alert --wards jayanagar --en "Flooding on 9th main: avoid the underpass" [--follows ID]
    python -m nagarik progress ID [--watch]     python -m nagarik cancel ID     python -m nagarik resume
    python -m nagarik stage BC-2026-001234 approval [--expected 2026-12-05]   (tells the applicant)
    python -m nagarik grievance-status GRV-2026-000042 in_progress [--note "..."]   (tells the citizen)
    python -m nagarik worker [--workers 8]       (the queue's consumer; several may run)
    python -m nagarik reminder-date 919876543210 licence_expiry 2026-12-30 [--reference TL/JAY/2025/01873]
    python -m nagarik reminders-run [--now 2026-11-30T04:30]   (UTC; workers run it every 5 minutes)
    python -m nagarik campaign config/campaigns/dengue_prevention.yml --topics health --start 2026-12-01 [--yes]
    python -m nagarik campaign-progress ID     python -m nagarik campaign-cancel ID
    python -m nagarik poll config/polls/park_hours_jayanagar.yml --wards jayanagar [--closes 2026-12-20T20:00] [--at ...]
    python -m nagarik poll-results ID [--chart results.png]     python -m nagarik poll-close ID
    python -m nagarik form trade_licence [--out PATH]     python -m nagarik verify NGK-7F3K-9QXA [--pdf PATH]
    python -m nagarik purge [--dry-run] [--now ...]   (what is past config/retention.yml; workers run it daily)
    python -m nagarik user add NAME --role ROLE [--department CODE ...]   (the console's accounts: users.py)
    python -m nagarik clock advance 11d | show | reset   (the demo's clock, NAGARIK_DEMO_CLOCK=1; runs the SLA sweep)

Exit status: 0 done, 1 refused, not found or a seed file to fix (said why), 2 an error in what was asked.
"""

from __future__ import annotations

import argparse
import sys

from nagarik.officials.cli import (
    broadcasts,
    campaigns,
    clock,
    database,
    documents,
    notify,
    polls,
    purge,
    queue,
    reminders,
    users,
)

GROUPS = (database, broadcasts, notify, polls, reminders, campaigns, documents, queue, purge, users, clock)


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(
        prog="python -m nagarik", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = built.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    return built


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
