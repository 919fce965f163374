"""One SLA sweep (nagarik.outbound.sla_sweep) over a town's backlog of open grievances.

    .venv/bin/python -m bench.sla_sweep [--database sqlite|postgresql|postgresql://...] [--grievances 100000] [--due 0.1]

A fresh civic database (SQLite under var/bench/sla-sweep/; `--database postgresql` the server of
NAGARIK_TEST_DATABASE_URL as the other PostgreSQL benches use, in a database of the bench's own,
dropped afterwards), the catalog, and `--grievances` open grievances filed today across the
categories. Timed: a sweep with nothing due; then, with `--due` of them filed weeks ago, a sweep
that reminds, tells and escalates each of those once; then a sweep again with nothing left to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import time

from sqlalchemy import insert, update

from bench.databases import drop_database, fresh_database
from harness.servers import ROOT

VAR = ROOT / "var" / "bench" / "sla-sweep"
DATABASE_NAME = "nagarik_bench_sla"
NOW = dt.datetime(2026, 12, 2, 6, 0)  # Wednesday 11:30 in Bengaluru: the office is open
LANGUAGES = ("en", "hi", "kn")


def seed(url: str, count: int) -> None:
    from nagarik import db
    from nagarik.catalog import store as catalog_store
    from nagarik.citizens.grievances import OPEN_STATUSES
    from nagarik.db import models
    from nagarik.db.migrate import migrate

    rng = random.Random(13)
    migrate(url)
    with db.session_scope(url) as session:
        catalog = catalog_store.seed(session)
    categories = [(c.key, c.department) for c in catalog.grievance_categories]
    today = NOW - dt.timedelta(hours=5)  # filed this morning, Bengaluru time: nothing is due yet
    rows = []
    for number in range(1, count + 1):
        category, department = rng.choice(categories)
        rows.append(
            {"tracking_id": f"GRV-2026-{number:06d}", "phone": f"9198{number:08d}", "category_key": category,
             "department_key": department, "description": "bench", "location_text": "4th cross",
             "location_key": "4th cross", "language": rng.choice(LANGUAGES), "status": rng.choice(OPEN_STATUSES),
             "created_at": today + dt.timedelta(seconds=rng.randrange(3 * 3600)), "due_on": NOW.date() + dt.timedelta(days=7)}
        )  # fmt: skip
    with db.session_scope(url) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(models.Grievance), rows[start : start + 5000])


def timed_sweep(url: str, label: str) -> None:
    from nagarik import db
    from nagarik.catalog.store import read_catalog
    from nagarik.outbound import sla_sweep

    with db.session_scope(url) as session:
        catalog = read_catalog(session)
    started = time.perf_counter()
    with db.session_scope(url) as session:
        counts = sla_sweep.run_sweep(session, catalog, NOW)
    print(f"{label}: {(time.perf_counter() - started) * 1000:.0f} ms ({counts.line()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--grievances", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.1)
    args = parser.parse_args()

    from nagarik import db
    from nagarik.db import models

    if args.database == "sqlite":
        shutil.rmtree(VAR, ignore_errors=True)
        VAR.mkdir(parents=True)
    url = fresh_database(args.database, VAR, DATABASE_NAME)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    try:
        seed(url, args.grievances)
        timed_sweep(url, f"{backend}, {args.grievances} open grievances, nothing due")
        due = int(args.grievances * args.due)
        with db.session_scope(url) as session:  # the first `due` filed three weeks ago
            weeks_ago = NOW - dt.timedelta(days=21)
            session.execute(update(models.Grievance).where(models.Grievance.id <= due).values(created_at=weeks_ago))
        timed_sweep(url, f"{backend}, {args.grievances} open grievances, {due} due")
        timed_sweep(url, f"{backend}, the same again (each step only once)")
    finally:
        db.get_engine(url).dispose()
        if backend == "postgresql":
            drop_database(url)


if __name__ == "__main__":
    main()
