"""Rasa's broker events into the console's tables: `consume(session, source)`.

The workers run it every minute (nagarik.outbound.queue); tests call it. Each batch is applied and
committed, then acknowledged to the source (an SQL broker's cursor moves in the same commit; a
RabbitMQ message is acked after it). An event already kept (the same JSON: a redelivery, or a
run that died between commit and ack) is skipped, so running it again changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.conversations import events, sources
from nagarik.conversations.events import Event
from nagarik.db import models
from nagarik.shared import clock

_running = threading.Lock()


class Batch(Protocol):
    items: list[tuple[str | None, str | bytes]]  # (sender_id if the source has it, the event's JSON)

    def acknowledge(self, session: Session) -> None:
        """Before the commit (an SQL cursor) or..."""

    def committed(self) -> None:
        """...after it (a RabbitMQ ack)."""


class Source(Protocol):
    def batches(self, session: Session) -> Iterable[Batch]: ...


def consume(session: Session, source: Source) -> int:
    """Every new event the source has, applied; the number of events read."""
    count = 0
    for batch in source.batches(session):
        apply(session, [event for event in (events.read(raw, sender) for sender, raw in batch.items) if event])
        batch.acknowledge(session)
        session.commit()
        batch.committed()
        count += len(batch.items)
    return count


def run_from_endpoints() -> int:
    """One pass over the broker Rasa's endpoints file names (the workers' task, every minute); 0 while
    an earlier pass is still running in this process."""
    if not _running.acquire(blocking=False):
        return 0
    try:
        source = sources.from_endpoints()
        if source is None:
            return 0
        with db.session_scope() as session:
            return consume(session, source)
    finally:
        _running.release()


def apply(session: Session, batch: list[Event]) -> None:
    keys = [event.key for event in batch]
    kept = set(session.execute(select(models.Turn.event_key).where(models.Turn.event_key.in_(keys))).scalars())
    kept |= set(
        session.execute(select(models.Conversation.session_key).where(models.Conversation.session_key.in_(keys))).scalars()
    )
    erased = _erased_up_to(session, {event.sender for event in batch})
    state = _State(session)
    for event in batch:
        if event.key not in kept and clock.epoch_of(event.at) > erased.get(event.sender, 0.0):
            kept.add(event.key)
            state.apply(event)
    state.finish()


def _erased_up_to(session: Session, senders: set[str]) -> dict[str, float]:
    """Per citizen who asked for erasure, its cutoff: events written up to then arrive late (the
    consumer may run behind the erasure's passes) and must not bring the conversation back."""
    request = models.ErasureRequest
    query = select(request.phone, func.max(request.cutoff)).where(request.phone.in_(senders)).group_by(request.phone)
    rows = session.execute(query)
    return {phone: cutoff for phone, cutoff in rows}


class _State:
    """The batch's senders' latest conversations, and the links already kept for them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.latest: dict[str, models.Conversation] = {}
        self.links: dict[int, set[tuple[str, str]]] = {}

    def current(self, sender: str) -> models.Conversation | None:
        if sender not in self.latest:
            c = models.Conversation
            found = self.session.execute(select(c).where(c.sender == sender).order_by(c.id.desc()).limit(1)).scalar_one_or_none()
            if found is None:
                return None
            self.latest[sender] = found
        return self.latest[sender]

    def start(self, event: Event, session_key: str | None = None) -> models.Conversation:
        conversation = models.Conversation(
            sender=event.sender, started_at=event.at, last_at=event.at, session_key=session_key,
            user_messages=0, bot_messages=0, fallbacks=0, low_confidence=0, has_handoff=False, has_grievance=False, tags=[],
        )  # fmt: skip
        self.session.add(conversation)
        self.session.flush()
        self.latest[event.sender] = conversation
        return conversation

    def apply(self, event: Event) -> None:
        current = self.current(event.sender)
        if event.type == "session_started":
            if current is None or _has_turns(self.session, current):
                self.start(event, event.key)
            elif current.session_key is None:
                current.session_key = event.key
            return
        if event.type == "slot":
            if current is not None and event.name == "language" and event.value in events.LANGUAGES:
                current.language = str(event.value)
            return
        if event.type not in ("user", "bot", "action") or (event.type == "action" and event.name in events.QUIET_ACTIONS):
            return
        conversation = current or self.start(event)
        conversation.last_at = max(conversation.last_at, event.at)
        conversation.started_at = min(conversation.started_at, event.at)
        self.session.add(models.Turn(
            conversation_id=conversation.id, sender=event.sender, at=event.at, kind=event.type, text=event.text,
            intent=event.intent, confidence=event.confidence, action=event.name if event.type == "action" else None,
            data=event.data, event_key=event.key, flag_note="",
        ))  # fmt: skip
        if event.type == "user":
            conversation.user_messages += 1
            fallback, low = events.not_understood(event)
            conversation.fallbacks += fallback
            conversation.low_confidence += low
        elif event.type == "bot":
            conversation.bot_messages += 1
        else:
            conversation.fallbacks += event.name in events.FALLBACK_ACTIONS
            conversation.has_handoff = conversation.has_handoff or event.name == events.HANDOFF_ACTION
            conversation.has_grievance = conversation.has_grievance or event.name == events.GRIEVANCE_ACTION
        self.link(conversation, event.links)

    def link(self, conversation: models.Conversation, links: set[tuple[str, str]]) -> None:
        if not links:
            return
        if conversation.id not in self.links:
            rows = self.session.execute(
                select(models.ConversationLink.kind, models.ConversationLink.ref).where(
                    models.ConversationLink.conversation_id == conversation.id
                )
            )
            self.links[conversation.id] = {(kind, ref) for kind, ref in rows}
        for kind, ref in sorted(links - self.links[conversation.id]):
            self.session.add(models.ConversationLink(conversation_id=conversation.id, kind=kind, ref=ref[:32]))
            self.links[conversation.id].add((kind, ref))
            conversation.has_grievance = conversation.has_grievance or kind == "grievance"
            conversation.has_handoff = conversation.has_handoff or kind == "handoff"

    def finish(self) -> None:
        """The citizen's ward, and their language if no slot said it, from the citizens table."""
        touched = [c for c in self.latest.values() if c.ward_key is None or c.language is None]
        if not touched:
            return
        phones = {c.sender for c in touched}
        rows = self.session.execute(select(models.Citizen).where(models.Citizen.phone.in_(phones))).scalars()
        citizens = {row.phone: row for row in rows}
        for conversation in touched:
            citizen = citizens.get(conversation.sender)
            if citizen is not None:
                conversation.ward_key = conversation.ward_key or citizen.ward_key
                conversation.language = conversation.language or citizen.language


def _has_turns(session: Session, conversation: models.Conversation) -> bool:
    if conversation.user_messages or conversation.bot_messages:
        return True
    query = select(models.Turn.id).where(models.Turn.conversation_id == conversation.id).limit(1)
    return session.execute(query).first() is not None
