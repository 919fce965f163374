"""A live handoff: an officer takes a citizen's request, answers on WhatsApp, and gives the
conversation back to the assistant.

The officer's words go out as a broadcast of kind "reply" to that one citizen, so they take the
same path as every message the office starts: the same client, pacing and recording, free-form
inside the 24-hour window and the approved template `officer_reply` outside it. While the officer
owns the conversation the channel's store holds the citizen (whatsapp.cloud.store.holds) and
the assistant stays silent; giving it back releases the hold and tells the citizen, in their
language, with the template `handoff_returned`'s words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.citizens import handoffs
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.templates import render
from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES
from whatsapp import limits
from whatsapp.cloud.store import Store

LONGEST_REPLY = 1000  # the template's parameter must fit inside WhatsApp's 1024-character body


def take(session: Session, store: Store, handoff: models.Handoff, official: models.Official) -> None:
    """One owner (HandoffTakenError for the second), and the assistant falls silent for the citizen."""
    handoffs.take(session, handoff, official)
    store.hold(handoff.phone, by=official.username)


def reply(
    session: Session, handoff: models.Handoff, official: models.Official, text: str, media: dict[str, str] | None = None
) -> models.Broadcast:
    """The officer's answer to the citizen (the caller starts the broadcast once committed)."""
    text = text.strip()
    if not text:
        raise ValueError("text: write the reply")
    if len(text) > LONGEST_REPLY:
        raise ValueError(f"text: at most {LONGEST_REPLY} characters")
    if handoff.status != "taken" or handoff.owner_id != official.id:
        raise handoffs.HandoffTakenError(handoff.reference)
    broadcast = broadcasts.create(
        session,
        kind="reply",
        texts={language: text for language in LANGUAGES},
        media=media,
        audience=broadcasts.Audience(phones=(handoff.phone,)),
        created_by=official.username,
        template="officer_reply",
        template_params={language: [handoff.reference, text] for language in LANGUAGES},
    )
    broadcast.handoff_id = handoff.id
    handoffs.replied(handoff)
    return broadcast


def give_back(
    session: Session, store: Store, handoff: models.Handoff, official: models.Official, outcome: str
) -> models.Broadcast:
    """Close with `outcome`, release the hold and tell the citizen the assistant answers again."""
    if handoff.status != "taken" or handoff.owner_id != official.id:
        raise handoffs.HandoffTakenError(handoff.reference)
    handoffs.close(session, handoff, outcome)
    store.release(handoff.phone)
    parameters = {language: [handoff.reference] for language in LANGUAGES}
    told = broadcasts.create(
        session,
        kind="reply",
        texts={language: render("handoff_returned", language, parameters[language]) for language in LANGUAGES},
        audience=broadcasts.Audience(phones=(handoff.phone,)),
        created_by=official.username,
        template="handoff_returned",
        template_params=parameters,
    )
    told.handoff_id = handoff.id
    return told


@dataclass(frozen=True)
class Turn:
    """One line of the officer's view of the conversation."""

    id: str  # unique in the thread, for the page's polling
    at: dt.datetime  # UTC
    who: str  # citizen | assistant | officer
    text: str
    kind: str = "text"  # text | image | video | document | audio | location | template
    state: str = ""  # for the officer's replies: queued, sent, delivered, read, failed


CONTEXT_BEFORE = dt.timedelta(hours=2)  # what the citizen said to the assistant before asking


def thread(session: Session, store: Store, handoff: models.Handoff) -> list[Turn]:
    """The citizen's messages, the assistant's replies and the officer's, oldest first, from two
    hours before the request until it closed."""
    since = handoff.created_at - CONTEXT_BEFORE
    until = handoff.closed_at or clock.utcnow() + dt.timedelta(days=1)
    epoch = clock.epoch_of(since)
    turns = [_citizen_turn(row) for row in store.inbox_since(handoff.phone) if row["at"] >= epoch]
    turns += [_assistant_turn(row) for row in store.sent_to(handoff.phone, since=epoch) if row["state"] != "refused"]
    turns += _officer_turns(session, handoff)
    return sorted((turn for turn in turns if since <= turn.at <= until), key=lambda turn: (turn.at, turn.id))


def window_left(store: Store, phone: str) -> dt.timedelta | None:
    """How long the citizen's 24-hour window stays open (None: closed; replies go as the template)."""
    return windows_left(store, [phone])[phone]


def windows_left(store: Store, phones: list[str]) -> dict[str, dt.timedelta | None]:
    """The same for a queue of citizens, in one read of the channel's store."""
    last = store.last_inbound_of(phones)
    now = clock.epoch_of(clock.utcnow())
    left = {phone: last[phone] + limits.CUSTOMER_SERVICE_WINDOW_SECONDS - now for phone in phones if phone in last}
    return {phone: dt.timedelta(seconds=int(left[phone])) if left.get(phone, 0) > 0 else None for phone in phones}


def _citizen_turn(row: dict[str, Any]) -> Turn:
    message = row["message"]
    kind = message.get("kind", "text")
    if kind == "media":
        kind, text = message.get("media_type") or "document", message.get("caption") or ""
    elif kind == "location":
        place = f"{message.get('latitude')}, {message.get('longitude')} {message.get('location_name') or ''}"
        kind, text = "location", place.strip()
    else:
        kind, text = "text", message.get("text") or ""
    return Turn(f"in-{row['id']}", clock.from_epoch(row["at"]), "citizen", text, kind)


def _assistant_turn(row: dict[str, Any]) -> Turn:
    body = row["body"]
    kind = body.get("type", "text")
    if kind == "text":
        text = body["text"]["body"]
    elif kind == "interactive":
        interactive = body["interactive"]
        text = interactive.get("body", {}).get("text", "")
        kind = "text"
    elif kind == "template":
        text = body["template"]["name"]
    else:
        text = (body.get(kind) or {}).get("caption", "")
    return Turn(f"out-{row['id']}", clock.from_epoch(row["created_at"]), "assistant", text, kind, row["status"] or row["state"])


def _officer_turns(session: Session, handoff: models.Handoff) -> list[Turn]:
    recipient = models.BroadcastRecipient
    query = (
        select(models.Broadcast, recipient.state, recipient.status)
        .join(recipient, recipient.broadcast_id == models.Broadcast.id, isouter=True)
        .where(models.Broadcast.handoff_id == handoff.id)
        .order_by(models.Broadcast.id)
    )
    turns = []
    for broadcast, state, status in session.execute(query):
        kind = (broadcast.media or {}).get("type", "text")
        shown = status or state or "queued"  # no copy yet: the worker has not started it
        turns.append(Turn(f"reply-{broadcast.id}", broadcast.created_at, "officer", broadcast.texts["en"], kind, shown))
    return turns
