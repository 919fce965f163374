"""Latency of /model/parse and of full REST-channel turns, and the Rasa server's memory.

Run with the Rasa and action servers up (`make bench` starts them on a fresh database).
A "turn" is a citizen message through /webhooks/rest/webhook until every reply is back: NLU,
the language action, the policy and a catalog-answering action against the database.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx

from bench.stats import percentile

RASA_URL = "http://127.0.0.1:5005"
MESSAGES = [
    "what documents are needed for trade licence",
    "जन्म प्रमाण पत्र की फीस कितनी है",
    "ಜನನ ಪ್ರಮಾಣ ಪತ್ರಕ್ಕೆ ಶುಲ್ಕ ಎಷ್ಟು",
    "trade licence ki fees kitni hai",
    "office timings",
    "where do i apply for ration card",
]


def percentiles(samples: list[float]) -> str:
    median, p95 = statistics.median(samples) * 1000, percentile(samples, 0.95) * 1000
    return f"median {median:6.1f} ms   p95 {p95:6.1f} ms   (n={len(samples)})"


async def parse_latency(client: httpx.AsyncClient, count: int) -> list[float]:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        (await client.post("/model/parse", json={"text": MESSAGES[i % len(MESSAGES)]})).raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


async def conversation(client: httpx.AsyncClient, sender: str, turns: int) -> list[float]:
    samples = []
    for i in range(turns):
        started = time.perf_counter()
        response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": MESSAGES[i % len(MESSAGES)]})
        response.raise_for_status()
        assert response.json(), "a turn without a reply"
        samples.append(time.perf_counter() - started)
    return samples


async def turn_latency(client: httpx.AsyncClient, concurrent: int, turns: int) -> list[float]:
    runs = await asyncio.gather(*(conversation(client, f"91800000{concurrent:02d}{n:03d}", turns) for n in range(concurrent)))
    return [sample for run in runs for sample in run]


def rasa_server_rss_mb() -> float:
    """Resident memory of the Rasa server (`rasa run`, started as scripts/rasa_offline.py run), from /proc."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if ("rasa run" in cmdline or "rasa_offline.py run" in cmdline) and "--enable-api" in cmdline:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            continue
    raise RuntimeError("no running Rasa server found")


async def main() -> None:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # Rasa's HTTP API answers only with its token (python -m harness made one for this run).
    token = {"token": os.environ["RASA_AUTH_TOKEN"]}
    async with httpx.AsyncClient(base_url=RASA_URL, timeout=120, limits=limits, params=token) as client:
        await parse_latency(client, 20)  # warm-up
        await turn_latency(client, 2, 5)
        print(f"/model/parse                         {percentiles(await parse_latency(client, 300))}")
        print(f"REST turn, 1 conversation            {percentiles(await turn_latency(client, 1, 100))}")
        started = time.perf_counter()
        samples = await turn_latency(client, 20, 15)
        elapsed = time.perf_counter() - started
        print(f"REST turn, 20 concurrent             {percentiles(samples)}   ({len(samples) / elapsed:.1f} turns/s)")
    print(f"Rasa server resident memory          {rasa_server_rss_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
