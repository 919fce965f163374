"""Page loads of the officials' console with a town's worth of data: the main lists, as a
supervisor sees them.

    .venv/bin/python -m bench.console_pages [--database sqlite|postgresql|postgresql://...] [--loads 20]
        [--grievances 10000] [--conversations 10000] [--messages 100000]

A fresh civic database (SQLite under var/bench/console-pages/ by default, the embedded default;
`--database postgresql` takes the server of NAGARIK_TEST_DATABASE_URL, as the other PostgreSQL
benches do, or a server URL is given; the bench makes a database of its own there and drops it
afterwards) and the channel's store beside it (on PostgreSQL, in the same database, as
deploy/ keeps it), bulk-seeded: the
catalog, grievances across departments, wards, statuses and assignees with their history and
notes, conversations with their turns (half the citizen's messages with an intent and confidence,
half the assistant's replies) in the console's tables, the same messages in the channel's inbox
and outbox (the dashboard counts those), citizens, handoffs (open, taken, closed) and broadcasts
with their recipients' copies. Then `python -m nagarik.web` on a free port, a supervisor's login
(an account made with nagarik.staff.accounts), one warm-up load of each page and `--loads` timed
ones: one line per page with the median and p90 of the full response (status 200 checked), and
its size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import time
from collections.abc import Iterator

import httpx
from sqlalchemy import insert, text

from bench.databases import drop_database, fresh_database
from bench.stats import percentile
from harness import servers
from harness.ports import free_port
from harness.servers import ROOT
from nagarik.conversations.events import fallback_threshold

VAR = ROOT / "var" / "bench" / "console-pages"
DATABASE_NAME = "nagarik_bench_console"
SUPERVISOR, PASSWORD = "bench-supervisor", "bench-supervisor-password"
LANGUAGES = ("en", "hi", "kn")
STATUSES = ["open"] * 8 + ["in_progress"] * 4 + ["resolved"] * 5 + ["closed"] + ["rejected"] * 2
INTENTS = [
    ("greet", 0.95), ("file_grievance", 0.85), ("check_status", 0.8), ("apply_certificate", 0.75), ("office_hours", 0.9),
    ("ask_officer", 0.7), ("water_supply", 0.6), ("nlu_fallback", 0.4), ("thank", 0.5), ("goodbye", 0.97),
]  # fmt: skip
CITIZEN_WORDS = [
    "hello", "streetlight not working near the temple", "garbage not collected for a week", "water comes only at night",
    "what are the office timings", "status of my application", "I want a caste certificate", "talk to an officer",
    "pothole on 9th main road", "drain is overflowing", "thank you", "namaste", "ಕಸ ತೆಗೆದಿಲ್ಲ", "पानी नहीं आ रहा",
]  # fmt: skip
BOT_WORDS = [
    "Namaste! How can I help?", "Your grievance is filed: GRV-2026-000123", "The office is open 10:00 to 17:30.",
    "An officer will reply after the office opens.", "Please send the place or a location pin.", "Anything else?",
]  # fmt: skip
SEARCH_WORD = "pothole"  # in one citizen message in 14


def phone(number: int) -> str:
    return f"9198{number:08d}"


# --- the databases ---------------------------------------------------------------------------


def chunks(rows: list[dict[str, object]], size: int = 5000) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(url: str, store_url: str, args: argparse.Namespace, now: dt.datetime) -> dict[str, str]:
    """Everything the pages list; returns names the pages are loaded with (a conversation's id)."""
    from nagarik import db
    from nagarik.catalog import store as catalog_store
    from nagarik.db import models
    from nagarik.db.migrate import migrate
    from nagarik.shared import clock
    from nagarik.staff import accounts
    from whatsapp.cloud.store import Store, inbox, outbox, windows

    rng = random.Random(12)
    migrate(url)
    with db.session_scope(url) as session:
        catalog_store.seed(session)
    with db.session_scope(url) as session:
        categories = [(row.key, row.department_key) for row in session.query(models.GrievanceCategoryRow)]
        wards = [row.key for row in session.query(models.WardRow)]
        accounts.create(session, SUPERVISOR, "supervisor", PASSWORD)
        officers = []
        for number, department in enumerate(sorted({d for _, d in categories})):
            officer = accounts.create(session, f"officer-{number}", "department_officer", PASSWORD, [department])
            officers.append((officer.id, department))
    citizens = max(1, args.conversations // 2)
    with db.session_scope(url) as session:
        for part in chunks([
            {"phone": phone(n), "language": LANGUAGES[n % 3], "ward_key": wards[n % len(wards)],
             "first_seen": now - dt.timedelta(days=120), "last_seen": now}
            for n in range(citizens)
        ]):  # fmt: skip
            session.execute(insert(models.Citizen.__table__), part)

    # grievances, their history and notes
    grievances, events, notes = [], [], []
    for n in range(args.grievances):
        category, department = categories[n % len(categories)]
        created = now - dt.timedelta(minutes=rng.randrange(180 * 24 * 60))
        status = STATUSES[rng.randrange(len(STATUSES))]
        assignee = next((oid for oid, d in officers if d == department), None) if n % 3 else None
        grievances.append({
            "id": n + 1, "tracking_id": f"GRV-{created.year}-{n + 1:06d}", "phone": phone(n % citizens),
            "category_key": category, "department_key": department, "description": CITIZEN_WORDS[n % len(CITIZEN_WORDS)],
            "location_text": f"{n % 40}th cross", "location_key": f"{n % 40}th cross", "ward_key": wards[n % len(wards)],
            "language": LANGUAGES[n % 3], "status": status, "created_at": created, "updated_at": created,
            "due_on": clock.to_local(created).date() + dt.timedelta(days=7 + n % 21), "assignee_id": assignee,
            "acknowledged_at": created + dt.timedelta(hours=5) if assignee else None,
        })  # fmt: skip
        events.append({"grievance_id": n + 1, "status": "open", "note": "", "changed_by": "citizen", "created_at": created})
        if status != "open":
            moved = min(now, created + dt.timedelta(days=rng.randrange(1, 30)))
            events.append(
                {"grievance_id": n + 1, "status": status, "note": "done", "changed_by": "officer-0", "created_at": moved}
            )
        if n % 4 == 0:
            notes.append({"grievance_id": n + 1, "kind": "note", "author": "officer-0", "text": "called the citizen",
                          "detail": "", "created_at": created + dt.timedelta(hours=6)})  # fmt: skip
    with db.session_scope(url) as session:
        for table, rows in ((models.Grievance, grievances), (models.GrievanceEvent, events), (models.GrievanceNote, notes)):
            for part in chunks(rows):
                session.execute(insert(table.__table__), part)

    # conversations and their turns; the same messages in the channel's store
    per_conversation = max(2, args.messages // max(1, args.conversations))
    conversations, turns, links, inbound, outbound, last_inbound = [], [], [], [], [], {}
    turn_id = 0
    for c in range(args.conversations):
        sender = phone(c % citizens)
        started = now - dt.timedelta(minutes=rng.randrange(90 * 24 * 60))
        fallbacks = low = 0
        for t in range(per_conversation):
            at = started + dt.timedelta(seconds=40 * t)
            turn_id += 1
            citizen = t % 2 == 0
            intent, confidence = INTENTS[rng.randrange(len(INTENTS))] if citizen else (None, None)
            fallbacks += intent == "nlu_fallback"
            low += intent is not None and intent != "nlu_fallback" and confidence < fallback_threshold()
            words = (
                (f"{SEARCH_WORD} near the school" if rng.randrange(14) == 0 else rng.choice(CITIZEN_WORDS))
                if citizen
                else rng.choice(BOT_WORDS)
            )
            turns.append({
                "id": turn_id, "conversation_id": c + 1, "sender": sender, "at": at, "kind": "user" if citizen else "bot",
                "text": words, "intent": intent, "confidence": confidence, "action": None, "data": None,
                "event_key": f"bench-{turn_id}", "flagged_at": None, "flagged_by": None, "flag_note": "",
            })  # fmt: skip
            seconds = at.replace(tzinfo=dt.timezone.utc).timestamp()
            wamid = f"wamid.bench-{turn_id}"
            if citizen:
                message = {"id": wamid, "sender": sender, "kind": "text", "raw_type": "text", "text": words}
                inbound.append({"wamid": wamid, "sender": sender, "kind": "text", "message": json.dumps(message), "state": "done",
                                "attempts": 1, "received_at": seconds})  # fmt: skip
                last_inbound[sender] = max(last_inbound.get(sender, 0.0), seconds)
            else:
                body = json.dumps({"type": "text", "text": {"body": words}})
                outbound.append({"wamid": wamid, "recipient": sender, "body": body, "state": "accepted", "status": "read",
                                 "created_at": seconds, "sent_at": seconds})  # fmt: skip
        grievance = c % 7 == 0
        conversations.append({
            "id": c + 1, "sender": sender, "started_at": started, "last_at": at,
            "language": LANGUAGES[c % 3], "ward_key": wards[c % len(wards)], "session_key": f"bench-session-{c}",
            "user_messages": (per_conversation + 1) // 2, "bot_messages": per_conversation // 2, "fallbacks": fallbacks,
            "low_confidence": low, "has_handoff": c % 30 == 0, "has_grievance": grievance,
            "tags": ["water"] if c % 50 == 0 else [], "reviewed_at": started + dt.timedelta(days=1) if c % 5 == 0 else None,
            "reviewed_by": SUPERVISOR if c % 5 == 0 else None,
        })  # fmt: skip
        if grievance:
            links.append({"conversation_id": c + 1, "kind": "grievance", "ref": grievances[c % len(grievances)]["tracking_id"]})
    with db.session_scope(url) as session:
        for table, rows in ((models.Conversation, conversations), (models.Turn, turns), (models.ConversationLink, links)):
            for part in chunks(rows):
                session.execute(insert(table.__table__), part)
    store = Store(store_url)
    with store.engine.begin() as connection:
        for table, rows in ((inbox, inbound), (outbox, outbound)):
            for part in chunks(rows):
                connection.execute(insert(table), part)
        connection.execute(insert(windows), [{"sender": s, "last_inbound_at": at} for s, at in last_inbound.items()])
    store.engine.dispose()

    # handoffs: some waiting, some being answered, most closed
    handoffs = []
    for n in range(args.handoffs):
        created = (
            now - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
            if n >= args.handoffs // 4
            else now - dt.timedelta(minutes=n * 7)
        )
        status = "open" if n < args.handoffs // 6 else "taken" if n < args.handoffs // 4 else "closed"
        owner, department = officers[n % len(officers)]
        handoffs.append({
            "id": n + 1, "reference": f"HO-{created.year}-{n + 1:06d}", "phone": phone(n % citizens), "status": status,
            "language": LANGUAGES[n % 3], "last_message": "talk to an officer", "created_at": created,
            "department_key": department if n % 2 else None, "ward_key": wards[n % len(wards)],
            "owner_id": owner if status != "open" else None,
            "taken_at": created + dt.timedelta(minutes=3) if status != "open" else None,
            "first_reply_at": created + dt.timedelta(minutes=5 + n % 60) if status == "closed" else None,
            "closed_at": created + dt.timedelta(hours=2) if status == "closed" else None,
            "outcome": "answered" if status == "closed" else None,
        })  # fmt: skip
    broadcasts, copies = [], []
    for n in range(args.broadcasts):
        send_at = now - dt.timedelta(days=n * 2, hours=3)
        broadcasts.append({
            "id": n + 1, "kind": ("announcement", "emergency")[n % 5 == 4], "priority": 1, "texts": {"en": "Water cut on Sunday"},
            "audience": {"wards": [wards[n % len(wards)]], "topics": [], "languages": []}, "template": "ward_update",
            "status": "done", "send_at": send_at, "created_by": SUPERVISOR, "created_at": send_at,
        })  # fmt: skip
        for r in range(args.recipients):
            state = ("sent", "sent", "sent", "sent", "failed", "skipped")[r % 6]
            copies.append({
                "broadcast_id": n + 1, "phone": phone(r), "language": LANGUAGES[r % 3], "state": state,
                "status": ("read", "delivered", "sent", "failed")[r % 4] if state == "sent" else None,
                "attempts": 1, "updated_at": send_at,
            })  # fmt: skip
    with db.session_scope(url) as session:
        for table, rows in ((models.Handoff, handoffs), (models.Broadcast, broadcasts), (models.BroadcastRecipient, copies)):
            for part in chunks(rows):
                session.execute(insert(table.__table__), part)
        if url.startswith("postgresql"):  # ids were given: the sequences move past them
            for table in ("grievances", "conversations", "turns", "handoffs", "broadcasts"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    if url.startswith("postgresql"):
        with db.get_engine(url).connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        with db.get_engine(url).begin() as connection:
            connection.execute(text("ANALYZE"))
    db.get_engine(url).dispose()
    middle = conversations[len(conversations) // 2]
    return {"conversation": str(middle["id"])}


# --- the loads -------------------------------------------------------------------------------


def pages(names: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("grievances", "/console/grievances"),
        ("grievances, filtered", "/console/grievances?department=engineering&sla=overdue&sort=age"),
        ("grievances.csv", "/console/grievances.csv"),
        ("handoffs", "/console/handoffs"),
        ("conversations", "/console/conversations"),
        (f"conversations, words '{SEARCH_WORD}'", f"/console/conversations?words={SEARCH_WORD}"),
        ("a conversation", f"/console/conversations/{names['conversation']}"),
        ("dashboard (30 days)", "/console/dashboard"),
        ("broadcasts", "/console/broadcasts"),
    ]


def measure(base: str, names: dict[str, str], loads: int) -> list[tuple[str, list[float], int]]:
    results = []
    with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as client:
        signed_in = client.post("/console/login", data={"username": SUPERVISOR, "password": PASSWORD})
        if signed_in.status_code != 303:
            raise SystemExit(f"login refused: {signed_in.status_code}")
        for name, path in pages(names):
            times, size = [], 0
            for n in range(loads + 1):  # the first load warms caches and is not counted
                started = time.perf_counter()
                response = client.get(path)
                spent = time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code}")
                size = len(response.content)
                if n:
                    times.append(spent * 1000)
            results.append((name, times, size))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console_pages", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database", default="sqlite", help="sqlite, postgresql (NAGARIK_TEST_DATABASE_URL's server) or a server URL"
    )
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--grievances", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--handoffs", type=int, default=240)
    parser.add_argument("--broadcasts", type=int, default=30)
    parser.add_argument("--recipients", type=int, default=1000, help="copies per broadcast")
    args = parser.parse_args()
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    url = fresh_database(args.database, VAR, DATABASE_NAME)
    store_url = url if url.startswith("postgresql") else f"sqlite:///{VAR / 'whatsapp.db'}"
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    started = time.monotonic()
    names = seed(url, store_url, args, now)
    seeded = time.monotonic() - started
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "NAGARIK_", "DATABASE_URL"))},
        **servers.simulator_settings(free_port()),  # nothing is sent: the handoff queue reads windows from the store
        "DATABASE_URL": url,
        "WHATSAPP_STORE_URL": store_url,
        "WHATSAPP_EVIDENCE_DIR": str(VAR / "evidence"),
        "NAGARIK_QUEUE_URL": f"sqlite:///{VAR / 'queue.db'}",
    }
    console = servers.console(port, env, VAR / "console.log")
    try:
        console.start()
        results = measure(f"http://127.0.0.1:{port}", names, args.loads)
    finally:
        console.stop()
        if url.startswith("postgresql"):
            drop_database(url)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"console pages on {kind}: {args.grievances:,} grievances, {args.conversations:,} conversations with "
        f"{args.messages:,} turns (and their inbox/outbox rows), {args.handoffs} handoffs, {args.broadcasts} broadcasts x "
        f"{args.recipients:,} copies; seeded in {seeded:.0f} s; {args.loads} loads each as a supervisor"
    )
    for name, times, size in results:
        print(
            f"  {name:34s} median {statistics.median(times):7.1f} ms  p90 {percentile(times, 0.9):7.1f} ms  "
            f"({size / 1024:,.0f} KB)"
        )


if __name__ == "__main__":
    main()
