"""What several commands share: audience and message options, the confirmation, progress."""

from __future__ import annotations

import argparse
import time

from nagarik import db
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience

BAR = 30


def audience_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wards", nargs="*", metavar="WARD")
    command.add_argument("--topics", nargs="*", metavar="TOPIC")
    command.add_argument("--languages", nargs="*", metavar="LANG", choices=("en", "hi", "kn"))


def sender_options(command: argparse.ArgumentParser, what: str, watch: bool = True) -> None:
    command.add_argument("--by", default="cli", help=f"who sends it (kept with the {what})")
    command.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    if watch:
        command.add_argument("--watch", action="store_true", help="show the sending progress until it is done")


def audience_from(args: argparse.Namespace) -> Audience:
    return Audience(tuple(args.wards or ()), tuple(args.topics or ()), tuple(args.languages or ()))


def confirmed(args: argparse.Namespace, question: str, refusal: str) -> bool:
    """True with --yes or when the official answers y; otherwise says `refusal`."""
    if args.yes or input(f"{question} [y/N] ").strip().lower() == "y":
        return True
    print(refusal)
    return False


def start(broadcast_id: int, priority: int) -> None:
    from nagarik.outbound.queue import start_broadcast  # the queue only when something is sent

    start_broadcast(broadcast_id, priority=priority)


def show_progress(broadcast_id: int, watch: bool) -> None:
    while True:
        with db.session_scope() as session:
            state = broadcasts.progress(session, broadcast_id)
        done = state.finished / state.total if state.total else 1.0
        counts = "  ".join(f"{name} {count}" for name, count in sorted(state.states.items()))
        bar = "#" * round(BAR * done) + "-" * (BAR - round(BAR * done))
        print(f"\r[{bar}] {done:6.1%}  {state.finished}/{state.total}  {counts}  ({state.status})", end="", flush=True)
        if not watch or state.status in ("done", "cancelled", "failed") or (state.total and state.finished == state.total):
            break
        time.sleep(1)
    print()
    if state.reason:
        print(f"failed: {state.reason}")
    if state.failures:
        print("failed by reason: " + ", ".join(f"error {code}: {count}" for code, count in state.failures.most_common()))
