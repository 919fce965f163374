"""The production layout's figures (deploy/ on this machine: simulator -> nginx -> receiver ->
inbox -> Rasa processes -> action server -> Graph API -> simulator, on PostgreSQL and Redis).

    .venv/bin/python -m bench.deployment [--processes 1,2] [--citizens 50] [--turns 6]

For each number of Rasa processes:
- full turns with 50 citizens writing at once (each waits for its reply before writing again):
  turns/s, p50/p95/p99, and from the channel's outbox the messages never answered or answered twice;
- Meta's acknowledgement through the proxy at 100 and 300 webhooks/s (one in five a citizen's
  text, the rest delivery statuses) while 50 citizens' turns run: as the sender sees it (its own
  process, standing in for Meta's machines, so the citizens' clients do not delay its timing), and
  as nginx logs it ($request_time: from the request's first byte to the answer's last).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import functools
import json
import multiprocessing
import shutil
import time
from pathlib import Path

import httpx

from bench.stats import percentile
from bench.whatsapp import TURN_TEXT, Webhook, answers_per_message, citizen_turns, post_paced, signed_text_webhook
from harness.deployment import Deployment
from harness.servers import ROOT
from whatsapp.signature import sign

ACK_SECONDS = 5


def signed_status_webhook(secret: str, phone_number_id: str, n: int) -> tuple[bytes, dict[str, str]]:
    status = {
        "id": f"wamid.bench-status-{n}",
        "status": "delivered",
        "timestamp": str(int(time.time())),
        "recipient_id": "919800000000",
    }
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": phone_number_id}, "statuses": [status]}
    body = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
    )
    return body.encode(), {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body.encode(), secret)}


async def turns(deployment: Deployment, citizens: int, each: int, run: int) -> tuple[list[float], float, list[str]]:
    """`citizens` writing `each` messages; the latencies, the elapsed time and the phones."""
    phones = [f"9195{run:02d}{n:06d}" for n in range(citizens)]
    limits = httpx.Limits(max_connections=citizens * 2)
    async with httpx.AsyncClient(base_url=deployment.simulator_url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        runs = await asyncio.gather(*(citizen_turns(client, phone, each) for phone in phones))
        elapsed = time.perf_counter() - started
    return [s for samples in runs for s in samples], elapsed, phones


def inbound_wamids(deployment: Deployment, phones: list[str], seconds: float = 120) -> list[str]:
    """The messages the simulator delivered from these citizens (the inbox's ids), once each is
    finished: a citizen writes again at the first reply, so a first contact's second reply (after
    the privacy notice) may still be on its way when the citizen's last turn ends."""
    from sqlalchemy import select

    from whatsapp.cloud.store import Store, inbox

    store = Store(deployment.env["WHATSAPP_STORE_URL"])
    deadline = time.monotonic() + seconds
    query = select(inbox.c.wamid, inbox.c.state).where(inbox.c.sender.in_(phones))
    while True:
        with store.engine.connect() as connection:
            rows = connection.execute(query).all()
        if all(state not in ("pending", "processing") for _, state in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    store.engine.dispose()
    return [wamid for wamid, _ in rows]


def ack_webhook(secret: str, number_id: str, rate: int, n: int) -> Webhook:
    """The n-th webhook of the ack run: one in five a citizen's text, the rest delivery statuses."""
    if n % 5:
        return signed_status_webhook(secret, number_id, n)
    body, headers = signed_text_webhook(secret, f"9194{rate:03d}{n % 40:05d}", f"wamid.bench-ack-{rate}-{n}", TURN_TEXT)
    body = body.replace(b'"100200300400500"', json.dumps(number_id).encode())  # addressed to this deployment
    return body, {**headers, "X-Hub-Signature-256": sign(body, secret)}


def send_acks(url: str, secret: str, number_id: str, rate: int) -> tuple[list[float], int]:
    """Runs in its own process (Meta's senders are other machines): the latencies and non-200s."""
    return asyncio.run(post_paced(url, rate, rate * ACK_SECONDS, functools.partial(ack_webhook, secret, number_id, rate)))


async def acknowledgements(deployment: Deployment, rate: int) -> tuple[list[float], int, list[float]]:
    """The sender's latencies, its non-200s, and the proxy's own times for the same webhooks."""
    secret, number_id = deployment.env["WHATSAPP_APP_SECRET"], deployment.env["WHATSAPP_PHONE_NUMBER_ID"]
    access_log = deployment.logs / "nginx-access.log"
    logged_before = access_log.stat().st_size
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        url = f"{deployment.public}/webhooks/whatsapp/webhook"
        latencies, failures = await asyncio.get_running_loop().run_in_executor(pool, send_acks, url, secret, number_id, rate)
    with access_log.open("rb") as log:
        log.seek(logged_before)
        lines = log.read().decode(errors="replace").splitlines()
    proxy = [float(line.rsplit(" ", 1)[1]) for line in lines if '"POST /webhooks/whatsapp/webhook"' in line]
    return latencies, failures, proxy


def ms(samples: list[float], fraction: float) -> str:
    return f"{percentile(samples, fraction) * 1000:6.0f} ms"


def spread(latencies: list[float]) -> str:
    over = sum(latency > 1 for latency in latencies) / len(latencies)
    return f"p50 {ms(latencies, 0.5)}  p99 {ms(latencies, 0.99)}  over 1 s {over:.1%}"


async def measure(deployment: Deployment, processes: int, citizens: int, each: int) -> None:
    await turns(deployment, 4, 3, run=90 + processes)  # warm-up: every process has loaded its pipeline
    samples, elapsed, phones = await turns(deployment, citizens, each, run=processes)
    lost, twice = answers_per_message(deployment.env["WHATSAPP_STORE_URL"], inbound_wamids(deployment, phones))
    print(
        f"{processes} Rasa process(es), {citizens} citizens x {each} turns: {len(samples) / elapsed:5.1f} turns/s   "
        f"p50 {ms(samples, 0.5)}  p95 {ms(samples, 0.95)}  p99 {ms(samples, 0.99)}   lost {lost}, answered twice {twice}",
        flush=True,
    )
    for rate in (100, 300):
        background = asyncio.create_task(turns(deployment, citizens, each, run=10 * processes + rate // 100))
        latencies, failures, proxy = await acknowledgements(deployment, rate)
        await background
        print(
            f"{processes} Rasa process(es), webhook ack at {rate}/s through the proxy during {citizens} citizens' turns: "
            f"sender {spread(latencies)}  non-200 {failures};  nginx's own time {spread(proxy)} ({len(proxy)} logged)",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deployment", description=__doc__.split("\n")[0])
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6)
    args = parser.parse_args()
    for processes in (int(n) for n in args.processes.split(",")):
        directory = ROOT / "var" / "bench-deployment"
        shutil.rmtree(directory, ignore_errors=True)
        deployment = Deployment(directory, rasa_processes=processes, redis_dbs=(13, 14))
        try:
            deployment.start()
            await measure(deployment, processes, args.citizens, args.turns)
        finally:
            deployment.stop()


if __name__ == "__main__":
    Path(ROOT / "var").mkdir(exist_ok=True)
    asyncio.run(main())
