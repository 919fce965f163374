"""Officials reviewing conversations: the filtered, paged list, one conversation with what it
touched, and the review's actions (flag a message, tag, note, mark reviewed). The pages check
access (nagarik.staff.policy) and write the audit rows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from nagarik.conversations import display
from nagarik.db import models
from nagarik.shared import clock

PAGE_SIZE = 50
MAX_TAG = 32
MAX_NOTE = 2000
_TAG = re.compile(r"[^\w -]+")


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None  # local days, both included
    end: dt.date | None = None
    language: str = ""
    ward: str = ""
    intent: str = ""
    not_understood: bool = False
    handoff: bool = False
    grievance: bool = False
    flagged: bool = False
    unreviewed: bool = False
    phone: str = ""  # any part of the number
    words: str = ""  # every word somewhere in the conversation's messages
    page: int = 1


@dataclass
class Page:
    rows: list[models.Conversation]
    page: int
    more: bool


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    c, turn = models.Conversation, models.Turn
    found: list[ColumnElement[bool]] = []
    if filters.start:
        found.append(c.last_at >= clock.at_local_hour(filters.start, 0))
    if filters.end:
        found.append(c.started_at < clock.at_local_hour(filters.end + dt.timedelta(days=1), 0))
    if filters.language:
        found.append(c.language == filters.language)
    if filters.ward:
        found.append(c.ward_key == filters.ward)
    if filters.intent:
        found.append(exists().where(turn.conversation_id == c.id, turn.kind == "user", turn.intent == filters.intent))
    if filters.not_understood:
        found.append(or_(c.fallbacks > 0, c.low_confidence > 0))
    if filters.handoff:
        found.append(c.has_handoff.is_(True))
    if filters.grievance:
        found.append(c.has_grievance.is_(True))
    if filters.flagged:
        found.append(exists().where(turn.conversation_id == c.id, turn.flagged_at.is_not(None)))
    if filters.unreviewed:
        found.append(or_(c.reviewed_at.is_(None), c.last_at > c.reviewed_at))
    digits = re.sub(r"\D", "", filters.phone)
    if digits:
        found.append(c.sender.contains(digits, autoescape=True))
    for word in filters.words.lower().split()[:5]:
        in_turn = func.lower(turn.text).contains(word, autoescape=True)
        found.append(exists().where(turn.conversation_id == c.id, turn.kind.in_(("user", "bot")), in_turn))
    return found


def listing(session: Session, filters: Filters) -> Page:
    page = max(filters.page, 1)
    query = select(models.Conversation).where(*_conditions(filters))
    query = query.order_by(models.Conversation.last_at.desc(), models.Conversation.id.desc())
    rows = list(session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars())
    return Page(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def intents(session: Session) -> list[str]:
    """The intents citizens' messages were understood as, for the filter."""
    query = select(models.Turn.intent).where(models.Turn.kind == "user", models.Turn.intent.is_not(None)).distinct()
    return sorted(name for name in session.execute(query).scalars() if name)


def wards(session: Session) -> list[str]:
    return list(session.execute(select(models.WardRow.key).order_by(models.WardRow.key)).scalars())


@dataclass
class Detail:
    conversation: models.Conversation
    turns: list[display.Shown]
    notes: list[models.ConversationNote]
    grievances: list[str] = field(default_factory=list)  # tracking ids that exist
    handoffs: list[str] = field(default_factory=list)
    applications: list[models.Application] = field(default_factory=list)


def by_id(session: Session, conversation_id: int) -> models.Conversation | None:
    return session.get(models.Conversation, conversation_id)


def detail(session: Session, conversation: models.Conversation) -> Detail:
    turns = session.execute(
        select(models.Turn).where(models.Turn.conversation_id == conversation.id).order_by(models.Turn.at, models.Turn.id)
    ).scalars()
    notes = session.execute(
        select(models.ConversationNote)
        .where(models.ConversationNote.conversation_id == conversation.id)
        .order_by(models.ConversationNote.id)
    ).scalars()
    links = session.execute(
        select(models.ConversationLink.kind, models.ConversationLink.ref)
        .where(models.ConversationLink.conversation_id == conversation.id)
        .order_by(models.ConversationLink.ref)
    ).all()
    named = {kind: [ref for k, ref in links if k == kind] for kind in ("grievance", "handoff", "application")}
    # Only what exists (a citizen may type any number); grievances and handoffs filed in the session count too.
    window = (conversation.started_at, conversation.last_at + dt.timedelta(minutes=5))
    g, h = models.Grievance, models.Handoff
    grievances = session.execute(
        select(g.tracking_id).where(
            or_(g.tracking_id.in_(named["grievance"]), and_(g.phone == conversation.sender, g.created_at.between(*window)))
        ).order_by(g.tracking_id)
    ).scalars()
    handoffs = session.execute(
        select(h.reference).where(
            or_(h.reference.in_(named["handoff"]), and_(h.phone == conversation.sender, h.created_at.between(*window)))
        ).order_by(h.reference)
    ).scalars()
    applications = session.execute(
        select(models.Application).where(models.Application.number.in_(named["application"])).order_by(models.Application.number)
    ).scalars()
    return Detail(conversation, display.shown(list(turns)), list(notes), list(grievances), list(handoffs), list(applications))


def turn_of(session: Session, conversation: models.Conversation, turn_id: int) -> models.Turn | None:
    turn = session.get(models.Turn, turn_id)
    return turn if turn is not None and turn.conversation_id == conversation.id else None


def flag(turn: models.Turn, who: str, note: str = "") -> None:
    turn.flagged_at, turn.flagged_by, turn.flag_note = clock.utcnow(), who[:64], note.strip()[:MAX_NOTE]


def unflag(turn: models.Turn) -> None:
    turn.flagged_at, turn.flagged_by, turn.flag_note = None, None, ""


def clean_tag(tag: str) -> str:
    return " ".join(_TAG.sub(" ", tag).lower().split())[:MAX_TAG]


def add_tag(conversation: models.Conversation, tag: str) -> str:
    """The tag as kept ("" when nothing of it is usable)."""
    cleaned = clean_tag(tag)
    if cleaned and cleaned not in (conversation.tags or []):
        conversation.tags = [*(conversation.tags or []), cleaned]  # a new list: JSON changes are seen by assignment
    return cleaned


def remove_tag(conversation: models.Conversation, tag: str) -> None:
    conversation.tags = [kept for kept in conversation.tags or [] if kept != tag]


def add_note(session: Session, conversation: models.Conversation, who: str, text: str) -> models.ConversationNote | None:
    text = text.strip()[:MAX_NOTE]
    if not text:
        return None
    note = models.ConversationNote(conversation_id=conversation.id, author=who[:64], text=text, created_at=clock.utcnow())
    session.add(note)
    return note


def mark_reviewed(conversation: models.Conversation, who: str) -> None:
    conversation.reviewed_at, conversation.reviewed_by = clock.utcnow(), who[:64]
