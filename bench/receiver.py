"""Meta's door alone: what one acknowledgement costs the receiver (whatsapp/cloud/receiver.py) on
PostgreSQL, with nothing else running.

    .venv/bin/python -m bench.receiver [--rate 300] [--seconds 10] [--profile]

Posts signed webhooks at `rate` a second (one in five a citizen's text, the rest delivery statuses,
as during a broadcast) straight to a receiver on a fresh database; prints the acknowledgement's
p50/p99, the receiver's CPU per webhook, and with --profile where py-spy found it on the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import uuid
from collections import Counter
from pathlib import Path

from bench.deployment import signed_status_webhook
from bench.stats import percentile
from bench.turn_profile import cpu_seconds, py_spy
from bench.whatsapp import TURN_TEXT, Webhook, post_paced, signed_text_webhook
from harness.deployment import POSTGRES, postgres
from harness.ports import free_port
from harness.servers import PYTHON, ROOT, Server

SECRET = "bench-receiver-secret-0123456789abcdef"
NUMBER_ID = "100200300400500"


def receiver(port: int, env: dict[str, str], log: Path) -> Server:
    command = [PYTHON, "-m", "whatsapp.cloud.receiver", "--port", str(port)]
    handshake = "hub.mode=subscribe&hub.verify_token=bench-verify&hub.challenge=1"
    return Server("receiver", command, env, log, f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook?{handshake}", 60)


def webhooks(rate: int):
    def webhook_for(n: int) -> Webhook:
        if n % 5:
            return signed_status_webhook(SECRET, NUMBER_ID, n)
        return signed_text_webhook(SECRET, f"9193{n % 40:08d}", f"wamid.bench-receiver-{rate}-{n}", TURN_TEXT)

    return webhook_for


def top_frames(raw: Path, count: int = 15) -> list[tuple[str, int]]:
    """Inclusive samples per function of ours or of the libraries on the request's path."""
    totals: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            for name in {frame.split(":")[0] for frame in stack.split(";")}:
                totals[name] += int(n)
    return totals.most_common(count)


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    directory = ROOT / "var" / "bench-receiver"
    directory.mkdir(parents=True, exist_ok=True)
    database = f"nagarik_receiver_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES.rsplit('/', 1)[0]}/{database}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "NAGARIK_"))},
        "WHATSAPP_ACCESS_TOKEN": "bench-token",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench-verify",
        "WHATSAPP_PHONE_NUMBER_ID": NUMBER_ID,
        "WHATSAPP_API_URL": "http://127.0.0.1:9/v21.0",
        "WHATSAPP_STORE_URL": url,
    }
    postgres(f'CREATE DATABASE "{database}"')
    door = receiver(port, env, directory / "receiver.log")
    try:
        door.start()
        webhook = f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook"
        await post_paced(webhook, 50, 100, webhooks(0))  # warm-up: connections open, code paths run
        spy = None
        raw = directory / "receiver.pyspy"
        if args.profile:
            spy = py_spy(door.pid, raw)
        before = cpu_seconds([door.pid])
        latencies, failures = await post_paced(webhook, args.rate, args.rate * args.seconds, webhooks(args.rate))
        spent = cpu_seconds([door.pid]) - before
        print(
            f"receiver alone at {args.rate}/s ({len(latencies)} webhooks): p50 {percentile(latencies, 0.5) * 1000:.1f} ms  "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms  non-200 {failures}  "
            f"CPU {spent * 1000 / len(latencies):.2f} ms a webhook"
        )
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            for name, n in top_frames(raw, 40):
                print(f"  {n:6d}  {name}")
    finally:
        door.stop()
        postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
