"""How the service is doing: every figure of the console's dashboard, one function (and one query)
each, for a period of the office's local dates.

Where they come from:
- citizens' messages, conversations and active citizens: the WhatsApp channel's store (its inbox;
  replies from its outbox), which holds every message the assistant received;
- languages: the language each of those citizens is answered in (the civic `citizens` table);
- intents: the console's conversation tables (`turns`, `conversations`), which
  nagarik.conversations.consumer fills from Rasa's event broker with the intent and confidence Rasa
  parsed for each citizen's message (one query for the period's user turns);
- handoffs, grievances and broadcasts: the civic database.

Why messages and conversations per day stay on the channel's inbox rather than those tables: the
inbox is every message a citizen sent, while the tables hold only what Rasa saw, and Rasa sees no
message of a conversation an officer holds (a live handoff: the channel logs them for the officer and
the assistant stays silent), none it could not process, and nothing until the consumer's next pass
(every minute) or at all when no event broker is configured. Counting them from the tables would be
one query shorter but would undercount exactly the conversations officials care about; the
conversation gap the inbox uses is Rasa's own session expiry, so the two agree where both see a
message.

The page reads the inbox once for its messages, conversations and active citizens (message_figures)
and groups the intents in SQL (conversation_intents): with 100,000 messages seeded, the three
reads, a time-zone conversion per message and a Python object per turn took most of half a second
(bench/console_pages.py).

Times in the databases are UTC (naive datetimes in the civic one, epoch seconds in the channel's);
a day is the office's local day (nagarik.shared.clock), bucketed here in Python, because time-zone
arithmetic in SQL differs between SQLite and PostgreSQL.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from nagarik.citizens import stores
from nagarik.citizens.grievances import OPEN_STATUSES
from nagarik.conversations.events import fallback_threshold
from nagarik.db import models
from nagarik.shared import clock
from whatsapp.cloud import settings as channel_settings
from whatsapp.cloud.store import BROADCAST_CALLBACK, Store, inbox, outbox

DEFAULT_DAYS = 30
MOST_DAYS = 366  # a longer period is cut to this (the page stays quick)
# A conversation is a citizen's messages with no gap over an hour: Rasa's own session expiry
# (domain/core.yml session_config.session_expiration_time: 60 minutes; a unit test keeps them equal).
CONVERSATION_GAP = dt.timedelta(minutes=60)
# "Not understood": Rasa's FallbackClassifier predicted nlu_fallback, or the intent's confidence is
# under its threshold (read from config.yml, as the conversations' tables count it).
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_THRESHOLD = fallback_threshold()
TOP_INTENTS = 10
RESOLVED = ("resolved", "closed")  # a grievance is resolved at its first event with one of these
UNKNOWN = "unknown"  # a citizen whose language is not known (yet)


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, local dates, both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, now: dt.datetime, days: int = DEFAULT_DAYS) -> Period:
        """The last `days` local days, today included."""
        today = clock.to_local(now).date()
        return cls(today - dt.timedelta(days=days - 1), today)

    @classmethod
    def parse(cls, first: str | None, last: str | None, now: dt.datetime) -> Period:
        """An official's from/to (YYYY-MM-DD); a missing or unreadable one takes the default's, the
        dates are put in order, and a period over MOST_DAYS keeps its last MOST_DAYS days."""
        default = cls.ending(now)
        start, end = _date(first) or default.first, _date(last) or default.last
        start, end = min(start, end), max(start, end)
        return cls(max(start, end - dt.timedelta(days=MOST_DAYS - 1)), end)

    @property
    def start(self) -> dt.datetime:
        """The first day's local midnight, as naive UTC."""
        return clock.from_local(dt.datetime.combine(self.first, dt.time()))

    @property
    def end(self) -> dt.datetime:
        """The local midnight after the last day, as naive UTC (not included)."""
        return clock.from_local(dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time()))

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def per_day(self, moments: Iterable[dt.datetime]) -> dict[dt.date, int]:
        """How many of these UTC moments fall on each local day of the period (every day listed)."""
        return self.per_day_epoch(epoch(moment) for moment in moments)

    def per_day_epoch(self, seconds: Iterable[float]) -> dict[dt.date, int]:
        """The same for epoch seconds: each found between the local midnights around its day (a
        bisection, not a time-zone conversion per moment: the dashboard counts tens of thousands)."""
        days = self.days
        midnights = [dt.datetime.combine(day, dt.time()) for day in [*days, self.last + dt.timedelta(days=1)]]
        edges = [epoch(clock.from_local(midnight)) for midnight in midnights]
        counts = [0] * len(days)
        for moment in seconds:
            index = bisect.bisect_right(edges, moment) - 1
            if 0 <= index < len(days):
                counts[index] += 1
        return dict(zip(days, counts, strict=True))


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def epoch(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


# --- messages and conversations (the channel's store) ------------------------------------------

# A citizen's message: anything in the inbox but reactions, deletions and system notices.
_CITIZEN_MESSAGE = inbox.c.kind != "ignored"


def _citizen_messages(store: Store, since: dt.datetime, until: dt.datetime) -> list[tuple[str, float]]:
    """(sender, received at) of every citizen's message in [since, until), by sender then time."""
    query = (
        select(inbox.c.sender, inbox.c.received_at)
        .where(_CITIZEN_MESSAGE, inbox.c.received_at >= epoch(since), inbox.c.received_at < epoch(until))
        .order_by(inbox.c.sender, inbox.c.received_at, inbox.c.id)
    )
    with store.engine.connect() as connection:
        return [(sender, at) for sender, at in connection.execute(query)]


def messages_per_day(store: Store, period: Period) -> dict[dt.date, int]:
    """Messages citizens sent, per local day."""
    return period.per_day_epoch(at for _, at in _citizen_messages(store, period.start, period.end))


def replies_per_day(store: Store, period: Period) -> dict[dt.date, int]:
    """Messages Meta accepted for citizens (the assistant's and officers' replies, notices), per local
    day; broadcast copies are left out (their figures are the broadcasts')."""
    not_broadcast = or_(outbox.c.callback_data.is_(None), ~outbox.c.callback_data.startswith(BROADCAST_CALLBACK))
    query = select(outbox.c.created_at).where(
        outbox.c.state == "accepted",
        not_broadcast,
        outbox.c.created_at >= epoch(period.start),
        outbox.c.created_at < epoch(period.end),
    )
    with store.engine.connect() as connection:
        return period.per_day_epoch(connection.execute(query).scalars())


def conversations_per_day(store: Store, period: Period) -> dict[dt.date, int]:
    """Conversations started on each local day: a message starts one when the same citizen's
    previous message is more than CONVERSATION_GAP older (or there is none). Messages up to a gap
    before the period are read too, so a conversation going on at its start is not counted again."""
    return _conversation_starts(_citizen_messages(store, period.start - CONVERSATION_GAP, period.end), period)


def _conversation_starts(messages: list[tuple[str, float]], period: Period) -> dict[dt.date, int]:
    """Per local day, the conversations these messages (by sender then time) start in the period."""
    gap = CONVERSATION_GAP.total_seconds()
    begins = epoch(period.start)
    starts: list[float] = []
    previous: tuple[str, float] | None = None
    for sender, at in messages:
        new = previous is None or previous[0] != sender or at - previous[1] > gap
        if new and at >= begins:
            starts.append(at)
        previous = (sender, at)
    return period.per_day_epoch(starts)


def active_senders(store: Store, period: Period) -> list[str]:
    """The citizens (phone numbers, or business-scoped ids) who wrote in the period."""
    query = (
        select(inbox.c.sender)
        .where(_CITIZEN_MESSAGE, inbox.c.received_at >= epoch(period.start), inbox.c.received_at < epoch(period.end))
        .distinct()
    )
    with store.engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


@dataclass(frozen=True)
class MessageFigures:
    messages: dict[dt.date, int]
    conversations: dict[dt.date, int]
    senders: list[str]  # active citizens


def message_figures(store: Store, period: Period) -> MessageFigures:
    """messages_per_day, conversations_per_day and active_senders from one read of the inbox (the
    dashboard's largest: every citizen's message of the period, and a gap's worth before it)."""
    messages = _citizen_messages(store, period.start - CONVERSATION_GAP, period.end)
    begins = epoch(period.start)
    in_period = [(sender, at) for sender, at in messages if at >= begins]
    return MessageFigures(
        messages=period.per_day_epoch(at for _, at in in_period),
        conversations=_conversation_starts(messages, period),
        senders=sorted({sender for sender, _ in in_period}),
    )


def languages_of(session: Session, senders: list[str]) -> dict[str, str]:
    """Each citizen's language (the one they are answered in), UNKNOWN for one without."""
    found: dict[str, str] = {}
    for offset in range(0, len(senders), 500):  # IN lists of a bounded size
        chunk = senders[offset : offset + 500]
        query = select(models.Citizen.phone, models.Citizen.language).where(models.Citizen.phone.in_(chunk))
        found |= {phone: language for phone, language in session.execute(query) if language}
    return {sender: found.get(sender, UNKNOWN) for sender in senders}


def language_counts(languages: dict[str, str]) -> dict[str, int]:
    """Active citizens per language, the most common first."""
    return dict(Counter(languages.values()).most_common())


# --- intents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One citizen message as the assistant understood it, wherever it was recorded."""

    sender: str
    at: dt.datetime  # naive UTC
    intent: str | None
    confidence: float | None
    language: str | None = None


@dataclass(frozen=True)
class IntentFigures:
    turns: int
    top: list[tuple[str, int]]  # understood intents, the most common first
    not_understood: int
    not_understood_by_language: dict[str, tuple[int, int]] = field(default_factory=dict)  # language -> (not understood, turns)

    @property
    def share_not_understood(self) -> float | None:
        return self.not_understood / self.turns if self.turns else None


def understood(turn: Turn) -> bool:
    if not turn.intent or turn.intent == FALLBACK_INTENT:
        return False
    return turn.confidence is None or turn.confidence >= FALLBACK_THRESHOLD


# (intent, language, understood) -> turns: what both ways of counting below fold into IntentFigures
Tally = Counter[tuple[str | None, str, bool]]


def intent_figures(turns: Iterable[Turn], period: Period, top: int = TOP_INTENTS) -> IntentFigures:
    """The top intents and the share of turns the assistant did not understand, for the turns in
    the period, from plain records (any source with these fields)."""
    start, end = period.start, period.end
    tally: Tally = Counter()
    for turn in turns:
        if start <= turn.at < end:
            tally[(turn.intent, turn.language or UNKNOWN, understood(turn))] += 1
    return _figures(tally, top)


def conversation_intents(session: Session, period: Period, top: int = TOP_INTENTS) -> IntentFigures:
    """The same figures for the citizens' turns of the period in the console's conversation tables
    (which nagarik.conversations.consumer fills from Rasa's event broker), each in its
    conversation's language: one query over the period's user turns, grouped by intent, language
    and `understood` written in SQL (a unit test holds it to the Python one on the same rows).
    Grouped in the database because fetching each turn cost more than the rest of the page."""
    turn, conversation = models.Turn, models.Conversation
    is_understood = and_(
        turn.intent.is_not(None),
        turn.intent != "",
        turn.intent != FALLBACK_INTENT,
        or_(turn.confidence.is_(None), turn.confidence >= FALLBACK_THRESHOLD),
    )
    flag = case((is_understood, 1), else_=0)
    query = (
        select(turn.intent, conversation.language, flag, func.count())
        .join(conversation, conversation.id == turn.conversation_id)
        .where(turn.kind == "user", turn.at >= period.start, turn.at < period.end)
        .group_by(turn.intent, conversation.language, flag)
    )
    tally: Tally = Counter()
    for intent, language, understood_flag, count in session.execute(query):
        tally[(intent, language or UNKNOWN, bool(understood_flag))] += count
    return _figures(tally, top)


def _figures(tally: Tally, top: int) -> IntentFigures:
    intents: Counter[str] = Counter()
    by_language: dict[str, list[int]] = {}
    for (intent, language, is_understood), count in tally.items():
        counts = by_language.setdefault(language, [0, 0])
        counts[1] += count
        if is_understood:
            intents[str(intent)] += count
        else:
            counts[0] += count
    ordered = sorted(intents.items(), key=lambda item: (-item[1], item[0]))[:top]
    missed = sum(missed for missed, _ in by_language.values())
    return IntentFigures(sum(tally.values()), ordered, missed, {key: (a, b) for key, (a, b) in sorted(by_language.items())})


# --- handoffs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffFigures:
    requested: int  # in the period
    answered: int  # of those, with a first reply from an officer
    waiting_now: int  # not closed and no officer's reply yet, whenever they asked
    median_first_reply: dt.timedelta | None  # over the answered ones


def handoffs_waiting(session: Session) -> int:
    """Citizens waiting now for an officer's first reply (any request not closed and unanswered)."""
    handoff = models.Handoff
    query = select(func.count()).where(handoff.status != "closed", handoff.closed_at.is_(None), handoff.first_reply_at.is_(None))
    return session.execute(query).scalar_one()


def handoff_figures(session: Session, period: Period) -> HandoffFigures:
    """Requests made in the period and the median time from a request to its first human reply
    (a median, over Python's statistics: SQL has no portable one)."""
    handoff = models.Handoff
    query = select(handoff.created_at, handoff.first_reply_at).where(
        handoff.created_at >= period.start, handoff.created_at < period.end
    )
    rows = session.execute(query).all()
    delays = [(replied - asked).total_seconds() for asked, replied in rows if replied is not None]
    median = dt.timedelta(seconds=statistics.median(delays)) if delays else None
    return HandoffFigures(len(rows), len(delays), handoffs_waiting(session), median)


# --- grievances -----------------------------------------------------------------------------------


@dataclass
class DepartmentFigures:
    department: str
    opened: int = 0
    resolved: int = 0
    resolved_in_time: int = 0  # resolved on or before the due date (local)
    overdue: int = 0  # still open at the period's end (or now) past their due date

    @property
    def share_in_time(self) -> float | None:
        return self.resolved_in_time / self.resolved if self.resolved else None


def grievances_opened(session: Session, period: Period) -> dict[str, int]:
    grievance = models.Grievance
    query = (
        select(grievance.department_key, func.count())
        .where(grievance.created_at >= period.start, grievance.created_at < period.end)
        .group_by(grievance.department_key)
    )
    return dict(session.execute(query).tuples().all())


def grievances_resolved(session: Session, period: Period) -> dict[str, tuple[int, int]]:
    """Per department, (resolved, resolved within the SLA) for grievances first resolved in the
    period; within the SLA means on or before the due date, a local date."""
    event, grievance = models.GrievanceEvent, models.Grievance
    first = (
        select(event.grievance_id, func.min(event.created_at).label("at"))
        .where(event.status.in_(RESOLVED))
        .group_by(event.grievance_id)
        .subquery()
    )
    query = (
        select(grievance.department_key, grievance.due_on, first.c.at)
        .join(first, first.c.grievance_id == grievance.id)
        .where(first.c.at >= period.start, first.c.at < period.end)
    )
    found: dict[str, list[int]] = {}
    for department, due_on, at in session.execute(query):
        tally = found.setdefault(department, [0, 0])
        tally[0] += 1
        tally[1] += clock.to_local(at).date() <= due_on
    return {department: (done, in_time) for department, (done, in_time) in found.items()}


def grievances_overdue(session: Session, at: dt.datetime) -> dict[str, int]:
    """Per department, grievances open at `at` (their last status then, from their history, was
    one the office works on: OPEN_STATUSES) whose due date had passed by then (local)."""
    event, grievance = models.GrievanceEvent, models.Grievance
    status_then = (
        select(event.status)
        .where(event.grievance_id == grievance.id, event.created_at <= at)
        .order_by(event.created_at.desc(), event.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(grievance.department_key, func.count())
        .where(
            grievance.created_at <= at,
            grievance.due_on < clock.to_local(at).date(),
            func.coalesce(status_then, "registered").in_(OPEN_STATUSES),
        )
        .group_by(grievance.department_key)
    )
    return dict(session.execute(query).tuples().all())


def grievance_figures(session: Session, period: Period, now: dt.datetime) -> list[DepartmentFigures]:
    """Every department with a figure, by key; overdue as at the period's end, or now if sooner."""
    rows: dict[str, DepartmentFigures] = {}

    def row(key: str) -> DepartmentFigures:
        return rows.setdefault(key, DepartmentFigures(key))

    for key, count in grievances_opened(session, period).items():
        row(key).opened = count
    for key, (done, in_time) in grievances_resolved(session, period).items():
        row(key).resolved, row(key).resolved_in_time = done, in_time
    for key, count in grievances_overdue(session, min(period.end, now)).items():
        row(key).overdue = count
    return [rows[key] for key in sorted(rows)]


def department_names(session: Session) -> dict[str, dict[str, str]]:
    return dict(session.execute(select(models.DepartmentRow.key, models.DepartmentRow.name)).tuples().all())


# --- broadcasts ------------------------------------------------------------------------------------


@dataclass
class DeliveryFigures:
    kind: str  # announcement, emergency, ..., or "all"
    broadcasts: int = 0
    copies: int = 0
    sent: int = 0  # copies Meta accepted
    delivered: int = 0  # of those, delivered or read
    read: int = 0
    failed: int = 0  # refused at the send, or reported undeliverable after it

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.sent if self.sent else None

    @property
    def read_rate(self) -> float | None:
        return self.read / self.sent if self.sent else None


def broadcast_delivery(session: Session, period: Period) -> list[DeliveryFigures]:
    """Per kind of broadcast sent (send_at) in the period, then all of them: their copies by what
    Meta said (nagarik.outbound.broadcasts.progress counts them the same way). The rates are
    of the copies Meta accepted."""
    broadcast, copy = models.Broadcast, models.BroadcastRecipient
    in_period = and_(broadcast.send_at >= period.start, broadcast.send_at < period.end)
    counted = select(broadcast.kind, func.count()).where(in_period).group_by(broadcast.kind)
    figures = {kind: DeliveryFigures(kind, broadcasts=count) for kind, count in session.execute(counted)}
    states = (
        select(broadcast.kind, copy.state, copy.status, func.count())
        .join(copy, copy.broadcast_id == broadcast.id)
        .where(in_period)
        .group_by(broadcast.kind, copy.state, copy.status)
    )
    for kind, state, status, count in session.execute(states):
        row = figures[kind]
        row.copies += count
        if state == "sent":
            row.sent += count
            row.delivered += count if status in ("delivered", "read") else 0
            row.read += count if status == "read" else 0
        row.failed += count if state == "failed" or (state == "sent" and status == "failed") else 0
    total = DeliveryFigures("all")
    for row in figures.values():
        for name in ("broadcasts", "copies", "sent", "delivered", "read", "failed"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return [figures[kind] for kind in sorted(figures)] + [total]


# --- the whole dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    period: Period
    messages: dict[dt.date, int]
    replies: dict[dt.date, int]
    conversations: dict[dt.date, int]
    active_citizens: int
    languages: dict[str, int]
    intents: IntentFigures
    handoffs: HandoffFigures
    grievances: list[DepartmentFigures]
    department_names: dict[str, dict[str, str]]
    broadcasts: list[DeliveryFigures]


def sources() -> Store:
    """The channel's store, opened from its URL as the purge opens it: unlike the send workers'
    window store, no WhatsApp secret is needed."""
    return stores._channel(channel_settings.store_url())


def dashboard(session: Session, store: Store, period: Period, now: dt.datetime) -> Dashboard:
    inbox_figures = message_figures(store, period)
    languages = languages_of(session, inbox_figures.senders)
    return Dashboard(
        period=period,
        messages=inbox_figures.messages,
        replies=replies_per_day(store, period),
        conversations=inbox_figures.conversations,
        active_citizens=len(inbox_figures.senders),
        languages=language_counts(languages),
        intents=conversation_intents(session, period),
        handoffs=handoff_figures(session, period),
        grievances=grievance_figures(session, period, now),
        department_names=department_names(session),
        broadcasts=broadcast_delivery(session, period),
    )
