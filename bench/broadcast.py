"""Broadcast throughput: one announcement to N citizens through the queue's workers into the simulator.

    .venv/bin/python -m bench.broadcast --recipients 100000 --rates 1000,80
        [--workers 2] [--threads 4] [--database sqlite|postgresql://...] [--queue sqlite|redis://...]
        [--pacing database|redis://...]

For each configured rate (NAGARIK_MESSAGES_PER_SECOND): a fresh civic database with N opted-in
citizens (bulk-inserted), a fresh queue, a simulator of its own on a free port whose throughput
limit is that rate (webhooks off: nothing to answer them), W worker processes of T threads each,
and `nagarik.cli announce` to all N. When every copy has an outcome, the simulator's own record
(/_sim/ledger) gives: the achieved rate (accepted / (last - first accept)), the busiest one-second
window (sliding), refusals by code (130429 throughput, 131056 pair rate), duplicates (citizens who
got it more than once) and losses (audience members who got nothing); /proc gives each process's
peak resident memory (VmHWM) and CPU time. Bulk sends use 80 % of the rate (nagarik.pacing).

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
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

from channels.whatsapp_store import Store
from harness.stack import ROOT, whatsapp_settings

PYTHON = str(ROOT / ".venv/bin/python")
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
    worker_rss_mb: list[float] = field(default_factory=list)
    worker_cpu_s: list[float] = field(default_factory=list)
    simulator_rss_mb: float = 0.0
    simulator_cpu_s: float = 0.0


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
    from nagarik import catalog_store, db
    from nagarik.manage import migrate

    migrate(url)
    now = db.utcnow()
    with db.session_scope(url) as session:
        catalog_store.seed(session)  # the catalog only: no sample citizens whose reminders would fall due mid-run
        for start in range(0, recipients, 10_000):
            numbers = range(start, min(recipients, start + 10_000))
            citizens = [
                {"phone": phone(n), "language": LANGUAGES[n % 3], "ward_key": WARD, "first_seen": now, "last_seen": now}
                for n in numbers
            ]
            session.execute(insert(db.Citizen.__table__), citizens)
            session.execute(
                insert(db.Subscription.__table__), [{"phone": phone(n), "topic": TOPIC, "created_at": now} for n in numbers]
            )
    db.get_engine(url).dispose()


# --- processes -------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer at {url}; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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


def run(rate: float, args: argparse.Namespace) -> Run:
    directory = VAR / f"{rate:g}-per-s"  # runs at different rates may go on at the same time
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    result = Run(rate, args.recipients)
    database = fresh_database(args.database, directory, f"{BENCH_DATABASE}_{rate:g}".replace(".", "_"))
    seed(database, args.recipients)
    Store(f"sqlite:///{directory / 'whatsapp.db'}").engine.dispose()  # its tables, before several workers race to make them
    port = free_port()
    settings = whatsapp_settings()
    queue = redis_bench_url(args.queue) if args.queue.startswith("redis") else f"sqlite:///{directory / 'queue.db'}"
    pacing = redis_bench_url(args.pacing) if args.pacing.startswith("redis") else "database"
    env = {
        **os.environ,
        **settings,
        "WHATSAPP_API_URL": f"http://127.0.0.1:{port}/v21.0",
        "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
        "DATABASE_URL": database,
        "NAGARIK_QUEUE_URL": queue,
        "NAGARIK_PACING_URL": pacing,
        "NAGARIK_MESSAGES_PER_SECOND": f"{rate:g}",
        "NAGARIK_MESSAGING_TIER": "unlimited",
    }
    log = directory / "processes.log"
    simulator = start(
        [PYTHON, "-m", "simulator", "--port", str(port), "--throughput", f"{rate:g}", "--webhook-url", ""], env, log
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_sim/health", simulator, log)
        workers = [
            start([PYTHON, "-m", "nagarik.cli", "worker", "--workers", str(args.threads)], env, log) for _ in range(args.workers)
        ]
        time.sleep(3)  # the workers import their modules and sweep once
        announced = time.time()
        command = [PYTHON, "-m", "nagarik.cli", "announce", "--wards", WARD, "--topics", TOPIC, "--yes", "--by", "bench"]
        for language, body in TEXTS.items():
            command += [f"--{language}", body]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"announce failed: {done.stderr[-2000:]}")
        broadcast_id = int(re.search(r"broadcast (\d+)", done.stdout).group(1))
        result.states = wait_done(database, broadcast_id, args.recipients, rate, workers)
        result.seconds = time.time() - announced
        for worker in workers:
            rss, cpu = proc_status(worker.pid)
            result.worker_rss_mb.append(rss)
            result.worker_cpu_s.append(cpu)
        result.simulator_rss_mb, result.simulator_cpu_s = proc_status(simulator.pid)
        answer = httpx.get(f"http://127.0.0.1:{port}/_sim/ledger", timeout=120)
        (directory / "ledger.json").write_bytes(answer.content)  # for a closer look afterwards
        ledger = answer.json()
    finally:
        for process in [*workers, simulator]:
            stop(process)
    measure(result, ledger, announced)
    return result


def wait_done(database: str, broadcast_id: int, total: int, rate: float, workers: list[subprocess.Popen[bytes]]) -> Counter[str]:
    from nagarik import broadcasts, db

    deadline = time.monotonic() + 3 * total / (rate * 0.8) + 300
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
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


def measure(result: Run, ledger: dict[str, Any], announced: float) -> None:
    times, recipients = ledger["times"], ledger["to"]
    result.accepted = len(times)
    if times:
        span = max(times) - min(times)
        result.achieved = len(times) / span if span > 0 else float(len(times))
        result.start_delay = min(times) - announced
    result.busiest = busiest_second(times)
    result.errors = Counter({int(code): count for code, count in ledger["errors"].items()})
    per_citizen = Counter(recipients)
    result.duplicates = sum(count - 1 for count in per_citizen.values() if count > 1)
    result.lost = sum(1 for n in range(result.recipients) if phone(n) not in per_citizen)


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print(
        f"{args.recipients:,} recipients; {args.workers} worker processes x {args.threads} threads; database {args.database}; "
        f"queue {args.queue}; pacing {args.pacing}; {os.cpu_count()} cores"
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
        "simulator RSS / CPU",
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
                " / ".join(f"{s:.0f} s" for s in r.worker_cpu_s),
                f"{r.simulator_rss_mb:.0f} MB / {r.simulator_cpu_s:.0f} s",
            )
        )
    for row in (header, *rows):
        print("| " + " | ".join(row) + " |")


def passed(run: Run) -> bool:
    return run.busiest <= run.rate and not run.errors and not run.duplicates and not run.lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rates", default="1000,80", help="configured messages per second, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument("--queue", default="sqlite", help="sqlite (embedded), or a redis:// URL")
    parser.add_argument("--pacing", default="database", help="database, or a redis:// URL")
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
