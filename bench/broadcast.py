"""Broadcast throughput: one announcement to N citizens through the queue's workers into the simulator.

    .venv/bin/python -m bench.broadcast --recipients 100000 --rates 1000,80
        [--workers 2] [--threads 4] [--database sqlite|postgresql://...] [--queue sqlite|redis://...]
        [--pacing database|redis://...] [--http-client keepalive|aiohttp|httpx]

For each configured rate (NAGARIK_MESSAGES_PER_SECOND): a fresh civic database with N opted-in
citizens (bulk-inserted), a fresh queue, a simulator of its own on a free port whose throughput
limit is that rate, W worker processes of T threads each, and `python -m nagarik announce` to all N.
The simulator sends Meta's status webhooks (sent, delivered, read for every copy) to a real Rasa
server with the WhatsApp channel and an action server (--no-statuses leaves them out), and a
citizen outside the audience asks a question every few seconds throughout. When every copy has an
outcome, the simulator's own record (/_sim/ledger) gives: the achieved rate (accepted / (last -
first accept)), the busiest one-second window (sliding), refusals by code (130429 throughput,
131056 pair rate), duplicates (citizens who got it more than once) and losses (audience members
who got nothing), and for the webhooks: how many, how long the channel took to answer them while
the broadcast ran (p50, p99) and how long after the last send the last status arrived; the probe
gives the citizen's reply time (question sent to reply accepted). /proc gives each process's peak
resident memory (VmHWM) and CPU time, and the workers' CPU per accepted message (their CPU
seconds added up, over the copies the simulator accepted). --http-client picks the workers' HTTP
transport (WHATSAPP_HTTP_CLIENT; whatsapp.cloud.transport.outbound_transport). Bulk sends use 80 %
of the rate (nagarik.outbound.pacing).

The civic database is SQLite by default (under var/bench/broadcast/RATE-per-s/ with the queue, the
channel's store, the processes' log and the ledger): what `make bench` can use on any machine, and
the honest multi-process behaviour of the embedded default (writers take turns on the file lock).
--database postgresql://user@host/ uses a fresh database `nagarik_bench_RATE` on that server
instead (row locks, writers in parallel), as a deployment with several machines would.
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

from harness import servers
from harness.servers import PYTHON, ROOT, Server
from nagarik.db import models
from nagarik.shared import clock
from whatsapp.cloud.settings import HTTP_CLIENTS
from whatsapp.cloud.store import Store

PROBE_PHONE = "919999000001"  # the citizen who keeps asking during the broadcast (not in the audience)
PROBE_EVERY = 5.0  # seconds between the probe's questions
VAR = ROOT / "var" / "bench" / "broadcast"
WARD, TOPIC = "jayanagar", "water_supply"
TEXTS = {
    "en": "Water supply off on Friday 10 am to 4 pm in Jayanagar for pipeline repairs",
    "hi": "पाइपलाइन मरम्मत के कारण शुक्रवार सुबह 10 से शाम 4 बजे तक जयनगर में पानी बंद रहेगा",
    "kn": "ಪೈಪ್‌ಲೈನ್ ದುರಸ್ತಿಗಾಗಿ ಶುಕ್ರವಾರ ಬೆಳಿಗ್ಗೆ 10 ರಿಂದ ಸಂಜೆ 4 ರವರೆಗೆ ಜಯನಗರದಲ್ಲಿ ನೀರು ಇರುವುದಿಲ್ಲ",
}
LANGUAGES = ("en", "hi", "kn")
BENCH_DATABASE = "nagarik_bench"
REDIS_BENCH_DB = 15  # a Redis database of the bench's own, emptied of its keys before each run (one run at a time)


@dataclass
class Run:
    rate: float
    recipients: int
    states: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    achieved: float = 0.0
    busiest: int = 0
    errors: Counter[int] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    seconds: float = 0.0  # announce until the last copy had an outcome
    start_delay: float = 0.0  # announce until the first accepted send (materialize and queue)
    webhooks: int = 0  # status (and reply) webhooks posted to the channel
    webhook_failures: int = 0
    ack_ms: tuple[float, float] = (0.0, 0.0)  # the channel's answer while the broadcast ran: p50, p99
    statuses_after: float = 0.0  # seconds from the last send to the last webhook
    replies_ms: list[float] = field(default_factory=list)  # the probe citizen's reply times
    rasa_rss_mb: float = 0.0
    worker_rss_mb: list[float] = field(default_factory=list)
    worker_cpu_s: list[float] = field(default_factory=list)
    http_client: str = "keepalive"
    simulator_rss_mb: float = 0.0
    simulator_cpu_s: float = 0.0

    @property
    def worker_cpu_ms_per_message(self) -> float:
        """The workers' CPU (start-up, claims, pacing and sends alike) per copy the simulator accepted."""
        return 1000 * sum(self.worker_cpu_s) / self.accepted if self.accepted else 0.0


def phone(n: int) -> str:
    return f"9170{n:08d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> tuple[float, float]:
    """Peak resident memory (MB, VmHWM) and CPU seconds (user + system) of a live process."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kb = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return peak_kb / 1024, cpu


def busiest_second(times: list[float]) -> int:
    """The most sends in any window [t, t + 1 s), t at any send."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


# --- a fresh civic database with N subscribers -----------------------------------------------


def fresh_database(choice: str, directory: Path, name: str) -> str:
    if choice == "sqlite":
        return f"sqlite:///{directory / 'nagarik.db'}"
    server = choice.rstrip("/").rsplit("/", 1)[0] if re.search(r"//[^/]+/\w", choice) else choice.rstrip("/")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{server}/{name}"


def seed(url: str, recipients: int) -> None:
    """Migrate, load the catalog, and bulk-insert N citizens of one ward subscribed to one topic."""
    from nagarik import db
    from nagarik.catalog import store as catalog_store
    from nagarik.citizens import subscriptions
    from nagarik.db.migrate import migrate

    migrate(url)
    now = clock.utcnow()
    with db.session_scope(url) as session:
        catalog_store.seed(session)  # the catalog only: no sample citizens whose reminders would fall due mid-run
        for start in range(0, recipients, 10_000):
            numbers = range(start, min(recipients, start + 10_000))
            citizens = [
                {"phone": phone(n), "language": LANGUAGES[n % 3], "ward_key": WARD, "first_seen": now, "last_seen": now}
                for n in numbers
            ]
            session.execute(insert(models.Citizen.__table__), citizens)
            session.execute(
                insert(models.Subscription.__table__), [{"phone": phone(n), "topic": TOPIC, "created_at": now} for n in numbers]
            )
        subscriptions.notice_shown(session, PROBE_PHONE)  # the probe asks; no privacy notice in the way
    db.get_engine(url).dispose()


# --- processes -------------------------------------------------------------------------------


def redis_bench_url(choice: str) -> str:
    """The given Redis, on the bench's own database number, with the bench's keys removed."""
    import redis

    url = re.sub(r"/\d*$", "", choice.rstrip("/")) + f"/{REDIS_BENCH_DB}"
    client = redis.Redis.from_url(url)
    for pattern in ("huey*nagarik*", "nagarik:pacing:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()
    return url


# --- one run ---------------------------------------------------------------------------------


def start_assistant(directory: Path, env: dict[str, str], log: Path) -> tuple[list[Server], int]:
    """The action server and the Rasa server with its WhatsApp channel, on ports of their own."""
    actions_port, rasa_port = free_port(), free_port()
    endpoints = servers.write_endpoints(directory, actions_port)
    return [
        servers.action_server(actions_port, env, log).start(),
        servers.rasa_server(rasa_port, endpoints, env, log).start(),
    ], rasa_port


def probe(simulator: str, stop: threading.Event, replies_ms: list[float]) -> None:
    """A citizen asking the office's hours every few seconds; each reply's time from question to
    the reply the simulator accepted (replies go straight out, never through the broadcast queue)."""
    with httpx.Client(base_url=simulator, timeout=30) as client:
        seen = 0
        while not stop.wait(PROBE_EVERY):
            asked = time.time()
            client.post("/_sim/inbound", json={"from": PROBE_PHONE, "type": "text", "text": "office timings"}).raise_for_status()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not stop.is_set():
                sent = client.get("/_sim/sent", params={"to": PROBE_PHONE, "after": seen}).json()
                if sent:
                    seen = max(m["seq"] for m in sent)
                    replies_ms.append((min(m["time"] for m in sent) - asked) * 1000)
                    break
                time.sleep(0.05)


def run(rate: float, args: argparse.Namespace) -> Run:
    directory = VAR / f"{rate:g}-per-s"  # runs at different rates may go on at the same time
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    result = Run(rate, args.recipients, http_client=args.http_client)
    database = fresh_database(args.database, directory, f"{BENCH_DATABASE}_{rate:g}".replace(".", "_"))
    seed(database, args.recipients)
    Store(f"sqlite:///{directory / 'whatsapp.db'}").engine.dispose()  # its tables, before several workers race to make them
    port = free_port()
    queue = redis_bench_url(args.queue) if args.queue.startswith("redis") else f"sqlite:///{directory / 'queue.db'}"
    pacing = redis_bench_url(args.pacing) if args.pacing.startswith("redis") else "database"
    env = {
        **os.environ,
        **servers.simulator_settings(port),
        "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
        "WHATSAPP_EVIDENCE_DIR": str(directory / "evidence"),
        "DATABASE_URL": database,
        "NAGARIK_QUEUE_URL": queue,
        "NAGARIK_PACING_URL": pacing,
        "NAGARIK_MESSAGES_PER_SECOND": f"{rate:g}",
        "NAGARIK_MESSAGING_TIER": "unlimited",
        "WHATSAPP_HTTP_CLIENT": args.http_client,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    log = directory / "processes.log"
    assistant: list[subprocess.Popen[bytes]] = []
    webhook = ""
    if args.statuses:
        assistant, rasa_port = start_assistant(directory, env, log)
        webhook = f"http://127.0.0.1:{rasa_port}/webhooks/whatsapp/webhook"
    simulator = servers.simulator(port, webhook, env, log, "--throughput", f"{rate:g}")
    workers: list[Server] = []
    stop_probe = threading.Event()
    prober = threading.Thread(target=probe, args=(f"http://127.0.0.1:{port}", stop_probe, result.replies_ms), daemon=True)
    try:
        simulator.start()
        workers = [servers.workers(args.threads, env, log).start() for _ in range(args.workers)]
        time.sleep(3)  # the workers import their modules and sweep once
        if args.statuses:
            prober.start()
        announced = time.time()
        command = [PYTHON, "-m", "nagarik", "announce", "--wards", WARD, "--topics", TOPIC, "--yes", "--by", "bench"]
        for language, body in TEXTS.items():
            command += [f"--{language}", body]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"announce failed: {done.stderr[-2000:]}")
        broadcast_id = int(re.search(r"broadcast (\d+)", done.stdout).group(1))
        result.states = wait_done(database, broadcast_id, args.recipients, rate, workers)
        result.seconds = time.time() - announced
        stop_probe.set()
        if args.statuses:
            wait_statuses(f"http://127.0.0.1:{port}")
        for worker in workers:
            rss, cpu = proc_status(worker.pid)
            result.worker_rss_mb.append(rss)
            result.worker_cpu_s.append(cpu)
        result.simulator_rss_mb, result.simulator_cpu_s = proc_status(simulator.pid)
        if args.statuses:
            result.rasa_rss_mb = proc_status(assistant[1].pid)[0]
        answer = httpx.get(f"http://127.0.0.1:{port}/_sim/ledger", timeout=120)
        (directory / "ledger.json").write_bytes(answer.content)  # for a closer look afterwards
        ledger = answer.json()
    finally:
        stop_probe.set()
        for process in [*workers, simulator, *reversed(assistant)]:
            process.stop()
    measure(result, ledger, announced)
    return result


def wait_statuses(simulator: str, seconds: float = 1800) -> None:
    """Until the simulator has no webhook left to post (the statuses of the last sends)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = httpx.get(f"{simulator}/_sim/health", timeout=30).json()["pending_webhooks"]
        print(f"\r  {pending:>7} status webhooks still to post", end="", file=sys.stderr, flush=True)
        if not pending:
            print(file=sys.stderr)
            return
        time.sleep(2)
    raise RuntimeError("the simulator's webhooks did not drain in time")


def wait_done(database: str, broadcast_id: int, total: int, rate: float, workers: list[Server]) -> Counter[str]:
    from nagarik import db
    from nagarik.outbound import broadcasts

    deadline = time.monotonic() + 3 * total / (rate * 0.8) + 300
    while time.monotonic() < deadline:
        if not all(worker.running() for worker in workers):
            raise RuntimeError("a worker exited; see processes.log under var/bench/broadcast/")
        with db.session_scope(database) as session:
            progress = broadcasts.progress(session, broadcast_id)
        print(f"\r  {progress.finished:>7}/{total} copies done", end="", file=sys.stderr, flush=True)
        if progress.total == total and progress.finished == total:
            print(file=sys.stderr)
            db.get_engine(database).dispose()
            return progress.states
        time.sleep(2)
    raise RuntimeError(f"broadcast {broadcast_id} did not finish in time")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def measure(result: Run, ledger: dict[str, Any], announced: float) -> None:
    times, recipients = ledger["times"], ledger["to"]
    result.accepted = len(times)
    if times:
        span = max(times) - min(times)
        result.achieved = len(times) / span if span > 0 else float(len(times))
        result.start_delay = min(times) - announced
    result.busiest = busiest_second(times)
    result.errors = Counter({int(code): count for code, count in ledger["errors"].items()})
    per_citizen = Counter(recipient for recipient in recipients if recipient != PROBE_PHONE)
    result.duplicates = sum(count - 1 for count in per_citizen.values() if count > 1)
    result.lost = sum(1 for n in range(result.recipients) if phone(n) not in per_citizen)
    hooks = ledger.get("webhooks") or {}
    result.webhooks, result.webhook_failures = len(hooks.get("times", [])), hooks.get("failures", 0)
    if times and result.webhooks:
        first, last = min(times), max(times)
        during = [ms for at, ms in zip(hooks["times"], hooks["latency_ms"], strict=True) if first <= at <= last]
        result.ack_ms = (percentile(during, 0.5), percentile(during, 0.99))
        result.statuses_after = max(hooks["times"]) - last


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print(
        f"{args.recipients:,} recipients; {args.workers} worker processes x {args.threads} threads; database {args.database}; "
        f"queue {args.queue}; pacing {args.pacing}; HTTP client {args.http_client}; {os.cpu_count()} cores"
    )
    header = (
        "rate/s",
        "bulk target",
        "achieved/s",
        "busiest 1 s",
        "130429",
        "131056",
        "other errors",
        "duplicates",
        "lost",
        "outcomes",
        "total time",
        "worker peak RSS",
        "worker CPU",
        "worker CPU per message",
        "simulator RSS / CPU",
        "status webhooks (failed)",
        "channel ack p50 / p99 during",
        "last status after last send",
        "citizen's reply p50 / p95 / max (n)",
        "Rasa RSS",
    )
    rows = []
    for r in runs:
        other = sum(count for code, count in r.errors.items() if code not in (130429, 131056))
        rows.append(
            (
                f"{r.rate:g}",
                f"{r.rate * 0.8:g}",
                f"{r.achieved:.1f}",
                f"{r.busiest}{'' if r.busiest <= r.rate else ' OVER'}",
                str(r.errors.get(130429, 0)),
                str(r.errors.get(131056, 0)),
                str(other),
                str(r.duplicates),
                str(r.lost),
                " ".join(f"{state} {count}" for state, count in sorted(r.states.items())),
                f"{r.seconds:.0f} s (first send after {r.start_delay:.1f} s)",
                " / ".join(f"{mb:.0f} MB" for mb in r.worker_rss_mb),
                " / ".join(f"{s:.1f} s" for s in r.worker_cpu_s),
                f"{r.worker_cpu_ms_per_message:.3f} ms",
                f"{r.simulator_rss_mb:.0f} MB / {r.simulator_cpu_s:.0f} s",
                f"{r.webhooks:,} ({r.webhook_failures})",
                f"{r.ack_ms[0]:.0f} ms / {r.ack_ms[1]:.0f} ms",
                f"{r.statuses_after:.0f} s",
                (
                    f"{percentile(r.replies_ms, 0.5):.0f} / {percentile(r.replies_ms, 0.95):.0f} / "
                    f"{max(r.replies_ms, default=0):.0f} ms ({len(r.replies_ms)})"
                ),
                f"{r.rasa_rss_mb:.0f} MB",
            )
        )
    for row in (header, *rows):
        print("| " + " | ".join(row) + " |")


def passed(run: Run) -> bool:
    return run.busiest <= run.rate and not run.errors and not run.duplicates and not run.lost and not run.webhook_failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rates", default="1000,80", help="configured messages per second, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument("--queue", default="sqlite", help="sqlite (embedded), or a redis:// URL")
    parser.add_argument("--pacing", default="database", help="database, or a redis:// URL")
    parser.add_argument("--http-client", default="keepalive", choices=HTTP_CLIENTS, help="the workers' HTTP transport")
    parser.add_argument(
        "--no-statuses", dest="statuses", action="store_false", help="no Rasa server: the simulator sends no status webhooks"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers and the simulator on the way out
    runs = []
    for rate in (float(r) for r in args.rates.split(",")):
        print(f"== {args.recipients:,} recipients at {rate:g} messages/s", file=sys.stderr)
        runs.append(run(rate, args))
    report(runs, args)
    return 0 if all(passed(r) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
