"""worker, resume: the outbound queue's consumers."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    resume = commands.add_parser("resume", help="re-queue copies left by a worker that died (workers also do this every minute)")
    resume.set_defaults(func=lambda args: sweep())
    worker = commands.add_parser("worker", help="run the queue's workers")
    worker.add_argument("--workers", type=int, default=8)
    worker.set_defaults(func=lambda args: run(args.workers))


def sweep() -> None:
    from nagarik.outbound.queue import sweep  # the queue only for these commands

    sweep(with_queued=True)


def run(threads: int) -> None:
    from nagarik.outbound.queue import run_workers

    run_workers(threads)
