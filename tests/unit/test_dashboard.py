"""The dashboard's figures against a small data set computed by hand (see each seed's comments):
the channel's inbox and outbox, the console's conversation tables (turns with their intents),
handoffs, grievances in two departments and broadcast copies; the period's edges are local
(Asia/Kolkata) midnights. Then the page: who may open it, the period from the address, escaped text
in the tables and the SVG."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from side_stores import add_inbound, add_outbound, epoch, stores  # noqa: F401 (stores: a fixture)
from sqlalchemy import select

from nagarik import db
from nagarik.citizens.stores import Stores
from nagarik.db import models
from nagarik.officials import dashboard
from nagarik.officials.dashboard import Period, Turn
from nagarik.shared import svg_chart
from nagarik.shared.clock import from_local, frozen
from nagarik.web import console
from tests.unit.staff_helpers import START, add_official
from tests.unit.test_console import login
from whatsapp.inbound import InboundMessage, Webhook

ROOT = Path(__file__).resolve().parents[2]
JAN = Period(dt.date(2030, 1, 1), dt.date(2030, 1, 7))  # START (2030-01-07 10:30 IST) is on its last day
A, B, C, D = "919800000001", "919800000002", "919800000003", "919800000004"


def local(day: int, hour: int = 12, minute: int = 0, month: int = 1, year: int = 2030) -> dt.datetime:
    """A local (IST) wall-clock time as the naive UTC the databases hold."""
    return from_local(dt.datetime(year, month, day, hour, minute))


def day(number: int) -> dt.date:
    return dt.date(2030, 1, number)


# --- the seeds ------------------------------------------------------------------------------------


def seed_channel(side: Stores) -> None:
    """Citizens' messages per local day: Jan 1: 4 (A 3, B 1), Jan 3: 2, Jan 5: 1, Jan 7: 1 (8 in all).
    Conversations: Jan 1: 2 (A's two; B's began before the period), Jan 3: 1 (a gap of exactly an
    hour continues one), Jan 5: 1, Jan 7: 1 (5 in all). Active: A, B, C."""
    for sender, at in [
        (A, local(1, 0, 10)),  # just after the period's first midnight: A's first conversation
        (A, local(1, 0, 50)),  # 40 minutes later: the same one
        (A, local(1, 2, 0)),  # 70 minutes later: a second
        (A, local(3, 9, 0)),
        (A, local(3, 10, 0)),  # exactly 60 minutes later: still the same
        (B, local(31, 23, 40, month=12, year=2029)),  # before the period: not counted...
        (B, local(1, 0, 20)),  # ...but this continues it: a message, not a conversation
        (B, local(7, 23, 59)),  # the last minute of the period
        (C, local(5, 12, 0)),
        (C, local(8, 0, 0)),  # the midnight after the period: outside
        (D, local(31, 23, 59, month=12, year=2029)),  # outside: D is not active
    ]:
        add_inbound(side, sender, epoch(at))
    reaction = InboundMessage(id=f"wamid.{uuid.uuid4().hex}", sender=C, kind="ignored", raw_type="reaction")
    side.channel.accept(Webhook(messages=[reaction]), now=epoch(local(5, 12, 5)))  # not a message
    add_outbound(side, A, epoch(local(2, 12, 0)))  # the one reply in the period (Jan 2)
    add_outbound(side, A, epoch(local(2, 12, 1)), callback="broadcast:1:919800000001")  # a broadcast copy: left out
    add_outbound(side, A, epoch(local(8, 0, 0)))  # outside


def add_turn(sender: str, at: dt.datetime, intent: str | None, confidence: float | None, kind: str = "user") -> None:
    """One turn as nagarik.conversations.consumer keeps it, in the sender's one conversation (its
    language: A's Hindi, B's Kannada, C's not known)."""
    with db.session_scope() as session:
        conversation = session.execute(select(models.Conversation).where(models.Conversation.sender == sender)).scalar()
        if conversation is None:
            conversation = models.Conversation(
                sender=sender, started_at=at, last_at=at, language={A: "hi", B: "kn"}.get(sender), tags=[],
                user_messages=0, bot_messages=0, fallbacks=0, low_confidence=0, has_handoff=False, has_grievance=False,
            )  # fmt: skip
            session.add(conversation)
            session.flush()
        session.add(models.Turn(
            conversation_id=conversation.id, sender=sender, at=at, kind=kind, text="hello", intent=intent,
            confidence=confidence, event_key=uuid.uuid4().hex, flag_note="",
        ))  # fmt: skip


# Six turns in the period, two not understood (a fallback and 0.4 < 0.45): 33.3 %. Top intents:
# greet 2, then apply_certificate 1 and file_grievance 1 (0.45 is understood).
TURNS = [
    (A, local(1, 0, 10), "greet", 0.9),
    (A, local(1, 0, 50), "greet", 0.95),
    (A, local(3, 9, 0), "apply_certificate", 0.8),
    (B, local(1, 0, 20), "nlu_fallback", 0.4),
    (B, local(7, 23, 59), "greet", 0.4),
    (C, local(5, 12, 0), "file_grievance", 0.45),
    (A, local(8, 0, 0), "greet", 0.99),  # outside
    (C, local(31, 23, 59, month=12, year=2029), "greet", 0.99),  # outside, before
]
# Edge cases on Jan 9 (after JAN, so the page's figures stay those above): no confidence recorded
# (understood), no intent, an empty one, just under the threshold, a fallback sure of itself.
EDGE_TURNS = [
    (A, local(9, 10), "check_status", None),
    (A, local(9, 11), None, None),
    (B, local(9, 12), "", 0.9),
    (B, local(9, 13), "check_status", 0.4499),
    (C, local(9, 14), "nlu_fallback", 0.99),
    (C, local(9, 15), "check_status", 0.45),
]


def seed_turns() -> None:
    for sender, at, intent, confidence in TURNS:
        add_turn(sender, at, intent, confidence)
    add_turn(A, local(1, 0, 11), None, None, kind="bot")  # not a citizen's turn
    add_turn(A, local(1, 0, 12), None, None, kind="action")  # nor is an action


def seed_citizens() -> None:
    with db.session_scope() as session:
        session.add_all([models.Citizen(phone=A, language="hi"), models.Citizen(phone=B, language="kn")])  # C: unknown


def seed_handoffs() -> None:
    """In the period: 6 requests, 4 answered after 10, 30, 90 and 20 minutes: median 25 minutes.
    Waiting now: the unanswered open one of Jan 6 and the taken one of Dec 30 (2)."""
    rows = [  # created, minutes to the first reply, status
        (local(2, 10), 10, "closed"),
        (local(3, 10), 30, "taken"),
        (local(4, 10), 90, "closed"),
        (local(5, 10), 20, "taken"),
        (local(6, 10), None, "registered"),  # waiting
        (local(6, 11), None, "closed"),  # closed unanswered: not waiting
        (local(30, 10, month=12, year=2029), None, "taken"),  # before the period, still waiting
        (local(31, 10, month=12, year=2029), 5, "closed"),  # before the period: not in the median
    ]
    with db.session_scope() as session:
        for number, (created, minutes, status) in enumerate(rows):
            session.add(models.Handoff(
                reference=f"HO-2030-{number:06d}", phone=A, language="en", status=status, created_at=created,
                first_reply_at=created + dt.timedelta(minutes=minutes) if minutes is not None else None,
                closed_at=created + dt.timedelta(hours=3) if status == "closed" else None,
            ))  # fmt: skip


def add_grievance(key: str, category: str, department: str, created: dt.datetime, due: dt.date,
                  events: list[tuple[str, dt.datetime]]) -> None:  # fmt: skip
    with db.session_scope() as session:
        grievance = models.Grievance(
            tracking_id=key, phone=A, category_key=category, department_key=department, description="Garbage",
            location_text="9th main", location_key="9th main", language="en",
            status=events[-1][0] if events else "registered", created_at=created, due_on=due,
        )  # fmt: skip
        grievance.events.append(models.GrievanceEvent(status="registered", changed_by="citizen", created_at=created))
        for status, at in events:
            grievance.events.append(models.GrievanceEvent(status=status, changed_by="ravi", created_at=at))
        session.add(grievance)


def seed_grievances() -> None:
    """health: opened 4 (G1 G2 G3 G5), resolved 3 (G1 in time; G2, G4 late): 33.3 %, overdue 1 (G3).
    electrical: opened 5 (E1 E2 E4 E5 E6), resolved 3 (E2 in time; E1 late by the local date, E5
    late): 33.3 %, overdue 2 (E5 reopened, E6). At START (Jan 7, 10:30 IST) a grievance due on Jan 7
    is not yet overdue."""
    add_grievance("G1", "sanitation", "health", local(1, 10), day(4), [("resolved", local(3, 15))])
    add_grievance("G2", "sanitation", "health", local(2, 10), day(4), [("resolved", local(5, 10))])
    add_grievance("G3", "sanitation", "health", local(2, 11), day(4), [])
    add_grievance("G4", "sanitation", "health", local(20, month=12, year=2029), dt.date(2029, 12, 24),
                  [("resolved", local(1, 0, 5))])  # fmt: skip
    add_grievance("G5", "sanitation", "health", local(6, 10), day(7), [])  # due today: not overdue
    # 01:00 IST on Jan 6 is 19:30 UTC on Jan 5, the due date: late all the same (local dates)
    add_grievance("E1", "streetlight", "electrical", local(3, 10), day(5),
                  [("in_progress", local(4, 10)), ("resolved", local(6, 1, 0))])  # fmt: skip
    add_grievance("E2", "streetlight", "electrical", local(3, 11), day(5),
                  [("resolved", local(5, 23, 0)), ("closed", local(6, 9))])  # fmt: skip
    add_grievance("E3", "streetlight", "electrical", local(28, month=12, year=2029), dt.date(2029, 12, 30),
                  [("resolved", local(31, 23, 50, month=12, year=2029))])  # fmt: skip
    add_grievance("E4", "streetlight", "electrical", local(1, 10), day(3), [("rejected", local(2, 10))])
    add_grievance("E5", "streetlight", "electrical", local(2, 10), day(3),
                  [("resolved", local(4, 10)), ("reopened", local(5, 10))])  # fmt: skip
    add_grievance("E6", "streetlight", "electrical", local(4, 10), day(6), [("in_progress", local(5, 10))])


def seed_broadcasts() -> None:
    """announcement: 8 copies, 5 accepted, 3 delivered (2 read), 2 failed: 60 %, 40 %.
    emergency: 2 accepted, 2 delivered, 1 read: 100 %, 50 %. poll: no copies. All: 3 broadcasts,
    10 copies, 7 accepted, 5 delivered, 3 read: 71.4 %, 42.9 %. The one of Dec 31 is outside."""
    plans = [
        ("announcement", local(2, 10), [("sent", "read")] * 2 + [("sent", "delivered"), ("sent", None), ("sent", "failed"),
                                                                 ("failed", None), ("skipped", None), ("queued", None)]),
        ("emergency", local(7, 23), [("sent", "read"), ("sent", "delivered")]),
        ("announcement", local(31, 23, 59, month=12, year=2029), [("sent", "read")] * 3),
        ("poll", local(5, 10), []),
    ]  # fmt: skip
    with db.session_scope() as session:
        for kind, send_at, copies in plans:
            broadcast = models.Broadcast(
                kind=kind, priority=1, texts={"en": "Water cut"}, audience={}, template="ward_update", status="done",
                send_at=send_at, created_by="asha", created_at=send_at,
            )  # fmt: skip
            session.add(broadcast)
            session.flush()
            for number, (state, status) in enumerate(copies):
                session.add(models.BroadcastRecipient(
                    broadcast_id=broadcast.id, phone=f"9190000{number:05d}", language="en", state=state, status=status,
                ))  # fmt: skip


@pytest.fixture
def seeded(database: str, stores: Stores) -> Iterator[Stores]:  # noqa: F811 (the fixture above)
    seed_channel(stores)
    seed_turns()
    seed_citizens()
    seed_handoffs()
    seed_grievances()
    seed_broadcasts()
    yield stores


# --- the figures ----------------------------------------------------------------------------------


def test_messages_replies_and_conversations_per_local_day(seeded: Stores) -> None:
    zero = dict.fromkeys(JAN.days, 0)
    assert dashboard.messages_per_day(seeded.channel, JAN) == zero | {day(1): 4, day(3): 2, day(5): 1, day(7): 1}
    assert dashboard.conversations_per_day(seeded.channel, JAN) == zero | {day(1): 2, day(3): 1, day(5): 1, day(7): 1}
    assert dashboard.replies_per_day(seeded.channel, JAN) == zero | {day(2): 1}


@pytest.mark.parametrize("period", [JAN, Period(day(1), day(1)), Period(dt.date(2029, 12, 31), day(1)), Period(day(8), day(8))])
def test_one_read_of_the_inbox_gives_what_the_three_queries_give(seeded: Stores, period: Period) -> None:
    """The dashboard reads the inbox once (message_figures); the figures are those of the functions above."""
    figures = dashboard.message_figures(seeded.channel, period)
    assert figures.messages == dashboard.messages_per_day(seeded.channel, period)
    assert figures.conversations == dashboard.conversations_per_day(seeded.channel, period)
    assert figures.senders == dashboard.active_senders(seeded.channel, period)


def test_active_citizens_and_their_languages(seeded: Stores) -> None:
    senders = dashboard.active_senders(seeded.channel, JAN)
    assert senders == [A, B, C]
    with db.session_scope() as session:
        languages = dashboard.languages_of(session, senders)
    assert languages == {A: "hi", B: "kn", C: "unknown"}
    assert dashboard.language_counts(languages) == {"hi": 1, "kn": 1, "unknown": 1}


def test_the_period_edges_are_local_midnights(seeded: Stores) -> None:
    first_day = Period(day(1), day(1))
    assert first_day.start == dt.datetime(2029, 12, 31, 18, 30) and first_day.end == dt.datetime(2030, 1, 1, 18, 30)
    assert dashboard.messages_per_day(seeded.channel, first_day) == {day(1): 4}
    assert dashboard.active_senders(seeded.channel, Period(day(8), day(8))) == [C]  # C's midnight message
    assert dashboard.active_senders(seeded.channel, Period(dt.date(2029, 12, 31), dt.date(2029, 12, 31))) == [B, D]
    # B's Jan 1 message continues the conversation of Dec 31, counted on Dec 31
    both = Period(dt.date(2029, 12, 31), day(1))
    assert dashboard.conversations_per_day(seeded.channel, both) == {dt.date(2029, 12, 31): 2, day(1): 2}


def test_the_conversation_tables_feed_the_intent_figures(seeded: Stores) -> None:
    with db.session_scope() as session:
        figures = dashboard.conversation_intents(session, JAN)
        empty = dashboard.conversation_intents(session, Period(day(9), day(9)))  # none recorded: no data
    assert empty.turns == 0 and empty.top == [] and empty.share_not_understood is None
    assert figures.turns == 6 and figures.not_understood == 2
    assert f"{figures.share_not_understood:.1%}" == "33.3%"
    assert figures.top == [("greet", 2), ("apply_certificate", 1), ("file_grievance", 1)]
    assert figures.not_understood_by_language == {"hi": (0, 3), "kn": (2, 2), "unknown": (0, 1)}


def records(rows: list[tuple[str, dt.datetime, str | None, float | None]]) -> list[Turn]:
    """The seeded turns as plain records, in their conversation's language as add_turn gives it."""
    return [Turn(sender, at, intent, confidence, {A: "hi", B: "kn"}.get(sender)) for sender, at, intent, confidence in rows]


def test_the_grouped_query_counts_as_the_plain_records_do(seeded: Stores) -> None:
    """conversation_intents writes `understood` in SQL: held to the Python one on the same turns."""
    for sender, at, intent, confidence in EDGE_TURNS:
        add_turn(sender, at, intent, confidence)
    ninth, both = Period(day(9), day(9)), Period(day(1), day(9))
    with db.session_scope() as session:
        grouped = {period: dashboard.conversation_intents(session, period) for period in (JAN, ninth, both)}
        assert dashboard.conversation_intents(session, both, top=1).top == [("greet", 3)]
    for period, figures in grouped.items():
        assert figures == dashboard.intent_figures(records(TURNS + EDGE_TURNS), period)
    edges = grouped[ninth]
    assert edges.turns == 6 and edges.top == [("check_status", 2)] and edges.not_understood == 4
    assert edges.not_understood_by_language == {"hi": (1, 2), "kn": (2, 2), "unknown": (1, 2)}


def test_intent_figures_from_plain_turns() -> None:
    """The function the conversation tables feed: any records with these five fields."""
    turns = [
        Turn(A, local(1, 0, 0), "greet", 0.99, "en"),  # the period's first moment: in
        Turn(A, local(2), "greet", None, "en"),  # no confidence recorded: taken as understood
        Turn(A, local(2), "check_status", 0.7, "en"),
        Turn(B, local(3), None, None, "hi"),  # no intent: not understood
        Turn(B, local(3), "nlu_fallback", 0.9, "hi"),
        Turn(B, local(4), "check_status", 0.449, "hi"),  # under the threshold
        Turn(C, local(8, 0, 0), "greet", 0.99, None),  # the midnight after: out
    ]
    figures = dashboard.intent_figures(turns, JAN, top=1)
    assert figures.turns == 6 and figures.not_understood == 3 and figures.share_not_understood == 0.5
    assert figures.top == [("greet", 2)]
    assert figures.not_understood_by_language == {"en": (0, 3), "hi": (3, 3)}
    empty = dashboard.intent_figures([], JAN)
    assert empty.turns == 0 and empty.share_not_understood is None and empty.top == []


def test_handoffs_requested_waiting_and_the_median_first_reply(seeded: Stores) -> None:
    with db.session_scope() as session:
        figures = dashboard.handoff_figures(session, JAN)
    assert figures == dashboard.HandoffFigures(
        requested=6, answered=4, waiting_now=2, median_first_reply=dt.timedelta(minutes=25)
    )


def test_grievances_per_department_with_their_sla(seeded: Stores) -> None:
    with db.session_scope() as session:
        rows = {row.department: row for row in dashboard.grievance_figures(session, JAN, START)}
        assert dashboard.grievances_opened(session, JAN) == {"health": 4, "electrical": 5}
        assert dashboard.grievances_resolved(session, JAN) == {"health": (3, 1), "electrical": (3, 1)}
        assert dashboard.grievances_overdue(session, START) == {"health": 1, "electrical": 2}
        # the first of January alone: G4 resolved (late) just after its midnight
        assert dashboard.grievances_resolved(session, Period(day(1), day(1))) == {"health": (1, 0)}
        # at the end of Jan 7 (local), G5 due on Jan 7 is overdue too
        assert dashboard.grievances_overdue(session, JAN.end) == {"health": 2, "electrical": 2}
        # at the end of Jan 4: G2 (resolved on Jan 5) and G3 were; E5 was resolved then, E4 rejected
        assert dashboard.grievances_overdue(session, Period(day(4), day(4)).end) == {"health": 2}
    assert list(rows) == ["electrical", "health"]
    health = rows["health"]
    assert (health.opened, health.resolved, health.resolved_in_time, health.overdue) == (4, 3, 1, 1)
    assert (rows["electrical"].opened, rows["electrical"].resolved, rows["electrical"].overdue) == (5, 3, 2)
    assert f"{rows['health'].share_in_time:.1%}" == f"{rows['electrical'].share_in_time:.1%}" == "33.3%"


def test_broadcast_delivery_and_read_rates(seeded: Stores) -> None:
    with db.session_scope() as session:
        rows = {row.kind: row for row in dashboard.broadcast_delivery(session, JAN)}
    assert list(rows) == ["announcement", "emergency", "poll", "all"]
    announcement, emergency, poll, total = rows["announcement"], rows["emergency"], rows["poll"], rows["all"]
    counts = (announcement.copies, announcement.sent, announcement.delivered, announcement.read, announcement.failed)
    assert counts == (8, 5, 3, 2, 2)
    assert (announcement.delivery_rate, announcement.read_rate) == (0.6, 0.4)
    assert (emergency.delivery_rate, emergency.read_rate) == (1.0, 0.5)
    assert poll.broadcasts == 1 and poll.copies == 0 and poll.delivery_rate is None
    assert (total.broadcasts, total.copies, total.sent, total.delivered, total.read, total.failed) == (3, 10, 7, 5, 3, 2)
    assert f"{total.delivery_rate:.1%} {total.read_rate:.1%}" == "71.4% 42.9%"


def test_the_default_period_and_what_the_address_may_say() -> None:
    assert Period.ending(START) == Period(dt.date(2029, 12, 9), day(7))  # 30 local days, today included
    late = dt.datetime(2030, 1, 7, 19, 0)  # 00:30 IST on Jan 8: already the next local day
    assert Period.ending(late).last == day(8)
    assert Period.parse("2030-01-05", "2030-01-02", START) == Period(day(2), day(5))  # put in order
    assert Period.parse("yesterday", None, START) == Period.ending(START)
    assert Period.parse("2020-01-01", "2030-01-07", START).first == day(7) - dt.timedelta(days=dashboard.MOST_DAYS - 1)


def test_the_conversation_gap_and_fallback_threshold_are_rasas() -> None:
    domain = yaml.safe_load((ROOT / "domain" / "core.yml").read_text(encoding="utf-8"))
    minutes = domain["session_config"]["session_expiration_time"]
    assert dt.timedelta(minutes=minutes) == dashboard.CONVERSATION_GAP
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    fallback = next(part for part in config["pipeline"] if part["name"] == "FallbackClassifier")
    assert fallback["threshold"] == dashboard.FALLBACK_THRESHOLD


# --- the charts -----------------------------------------------------------------------------------


def test_the_charts_are_svg_with_their_text_escaped() -> None:
    hostile = '<script>alert(1)</script> & "x"'
    for chart in (
        svg_chart.columns([(hostile, 3), ("02-01", 0)], hostile),
        svg_chart.bars([(hostile, 0.5, "1 (50.0%)")], hostile),
    ):
        assert "<script" not in chart and "&lt;script&gt;" in chart
        root = ElementTree.fromstring(chart)  # well-formed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "href" not in chart and "@import" not in chart
    columns = ElementTree.fromstring(svg_chart.columns([("a", 2), ("b", 1), ("c", 0)], "t"))
    heights = [float(rect.get("height", 0)) for rect in columns.iter("{http://www.w3.org/2000/svg}rect")][1:]
    assert heights == [svg_chart.COLUMNS_HEIGHT - svg_chart.COLUMNS_TOP - svg_chart.COLUMNS_BOTTOM, heights[0] / 2, 0]
    assert "<rect" in svg_chart.columns([], "nothing yet")  # an empty period still draws


# --- the page -------------------------------------------------------------------------------------


@pytest.fixture
def client(seeded: Stores, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")
    monkeypatch.setattr(dashboard, "sources", lambda: seeded.channel)
    app = FastAPI()
    console.install(app)
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def figure(page: str, name: str) -> str:
    match = re.search(rf'id="figure-{name}"><span class="count">([^<]*)</span>', page)
    assert match, name
    return match.group(1)


def test_a_supervisor_sees_every_figure(client: TestClient) -> None:
    add_official("asha", "supervisor")
    login(client, "asha")
    page = client.get("/console/dashboard", params={"from": "2030-01-01", "to": "2030-01-07"})
    assert page.status_code == 200
    text = page.text
    assert [figure(text, name) for name in ("conversations", "messages", "replies", "active")] == ["5", "8", "1", "3"]
    assert figure(text, "not-understood") == "33.3%" and figure(text, "waiting") == "2"
    assert figure(text, "requested") == "6" and figure(text, "median-reply") == "25 min"
    health = re.search(r'id="department-health">(.*?)</tr>', text, re.S)
    assert health and re.findall(r"<td>([^<]*)</td>", health.group(1)) == ["Health and Sanitation", "4", "3", "33.3%", "1"]
    total = re.search(r'id="broadcasts-all">(.*?)</tr>', text, re.S)
    assert total and re.findall(r"<td>([^<]*)</td>", total.group(1)) == ["All", "3", "10", "7", "71.4%", "42.9%", "2"]
    assert text.count("<svg") == 5 and "<script>" not in text.split("</head>")[1]


def test_the_period_comes_from_the_address_with_local_dates(client: TestClient) -> None:
    add_official("asha", "supervisor", language="hi")
    login(client, "asha")
    first = client.get("/console/dashboard", params={"from": "2030-01-01", "to": "2030-01-01"}).text
    assert figure(first, "messages") == "4" and figure(first, "conversations") == "2" and figure(first, "active") == "2"
    assert 'value="2030-01-01"' in first and "सेवा कैसी चल रही है" in first
    eighth = client.get("/console/dashboard", params={"from": "2030-01-08", "to": "2030-01-08"}).text
    assert figure(eighth, "messages") == "1" and 'id="intents-no-data"' not in eighth  # A's greet at midnight
    default = client.get("/console/dashboard").text  # the last 30 days to START's local day
    assert 'value="2029-12-09"' in default and 'value="2030-01-07"' in default and figure(default, "messages") == "10"


def test_no_intents_recorded_shows_no_data(client: TestClient) -> None:
    add_official("asha", "supervisor")
    login(client, "asha")
    assert 'id="intents-no-data"' in client.get("/console/dashboard", params={"from": "2030-01-09", "to": "2030-01-09"}).text
    assert 'id="intents-no-data"' not in client.get("/console/dashboard").text


def test_intent_names_are_escaped_in_the_table_and_the_chart(client: TestClient, seeded: Stores) -> None:
    add_turn(A, local(2), "<script>alert(1)</script>", 0.99)
    add_official("asha", "supervisor")
    login(client, "asha")
    body = client.get("/console/dashboard", params={"from": "2030-01-01", "to": "2030-01-07"}).text.split("</head>")[1]
    assert "<script>alert(1)</script>" not in body and body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2


@pytest.mark.parametrize("role", ["department_officer", "broadcaster", "trainer"])
def test_roles_without_the_dashboard_get_404(client: TestClient, role: str) -> None:
    add_official("ravi", role, ["health"] if role == "department_officer" else None)
    login(client, "ravi")
    assert client.get("/console/dashboard").status_code == 404


def test_a_viewer_may_read_it_and_a_stranger_is_sent_to_sign_in(client: TestClient) -> None:
    assert client.get("/console/dashboard").status_code == 303
    add_official("vera", "viewer")
    login(client, "vera")
    assert client.get("/console/dashboard").status_code == 200
