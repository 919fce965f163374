"""Forgetting texts in the channel's store: one citizen's on request (the right to erasure), and
everyone's once past their retention (the purge). Rows stay without their texts: a wamid must stay
known, so that a message Meta delivers again is not answered twice, and a reply's record so that it
is not sent twice. Messages still to be answered are never touched. A citizen's hold (an officer
answering them, `holds`) goes with them too, unless the caller keeps it for an open handoff.

SQLAlchemy Core that runs under Rasa's SQLAlchemy 1.4 and under 2.x, like the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update

from whatsapp.cloud.store import BROADCAST_CALLBACK, QUOTA_SECONDS, RELEASED, Store, holds, inbox, media_fetches, outbox

ERASED = "{}"  # an inbox row's message once its text is gone (the column is never empty)
FINISHED = ("done", "failed", "ignored")  # inbox states no worker will read the message of again
# A broadcast copy's callback data names the phone; the workers look it up for about 10 minutes
# after a send that got no answer (so as not to send twice), so it is kept that long.
CALLBACK_HORIZON_SECONDS = 3600.0


@dataclass(frozen=True)
class Forgotten:
    inbox: int  # messages whose text went
    outbox: int  # replies whose body went


def erase_sender(store: Store, sender: str, up_to: float, alias: str) -> Forgotten:
    """A citizen's texts up to `up_to` (seconds since the epoch), their number replaced by `alias`."""
    with store.engine.begin() as connection:
        received = connection.execute(
            update(inbox)
            .where(inbox.c.sender == sender, inbox.c.received_at <= up_to, inbox.c.state.in_(FINISHED))
            .values(message=ERASED, last_error=None, sender=alias)
        ).rowcount
        connection.execute(
            update(outbox)
            .where(
                outbox.c.recipient == sender,
                outbox.c.created_at <= up_to - CALLBACK_HORIZON_SECONDS,
                outbox.c.callback_data.like(BROADCAST_CALLBACK + "%"),
            )
            .values(callback_data=None)
        )
        sent = connection.execute(
            update(outbox).where(outbox.c.recipient == sender, outbox.c.created_at <= up_to).values(body=None, recipient=alias)
        ).rowcount
    return Forgotten(received, sent)


def _inbox_due(before: float) -> Any:
    return and_(inbox.c.received_at < before, inbox.c.state.in_(FINISHED), inbox.c.message != ERASED)


def _outbox_due(before: float) -> Any:
    return and_(outbox.c.created_at < before, outbox.c.body.is_not(None))


def purge_texts(store: Store, before: float, dry_run: bool = False) -> Forgotten:
    """Texts of messages received and bodies of messages sent before `before`; only counted with dry_run."""
    with store.engine.begin() as connection:
        if dry_run:
            return Forgotten(
                connection.execute(select(func.count()).select_from(inbox).where(_inbox_due(before))).scalar_one(),
                connection.execute(select(func.count()).select_from(outbox).where(_outbox_due(before))).scalar_one(),
            )
        received = connection.execute(update(inbox).where(_inbox_due(before)).values(message=ERASED, last_error=None)).rowcount
        sent = connection.execute(update(outbox).where(_outbox_due(before)).values(body=None)).rowcount
    return Forgotten(received, sent)


def purge_media_quota(store: Store, now: float, dry_run: bool = False) -> int:
    """Rows of the media quota past its window (they count nothing any more, and name the sender)."""
    due = media_fetches.c.fetched_at <= now - QUOTA_SECONDS
    with store.engine.begin() as connection:
        if dry_run:
            return connection.execute(select(func.count()).select_from(media_fetches).where(due)).scalar_one()
        return connection.execute(media_fetches.delete().where(due)).rowcount


def erase_hold(store: Store, sender: str, up_to: float) -> int:
    """The citizen's hold taken up to `up_to` (it names them and the officer); the caller keeps it while
    their handoff is open (the officer still answers). A hold taken later belongs to a request made
    after the erasure, and Rasa's tracker still has its pause, which the hold's release must undo."""
    with store.engine.begin() as connection:
        return connection.execute(holds.delete().where(holds.c.sender == sender, holds.c.since <= up_to)).rowcount


def released_holds_before(store: Store, before: float) -> list[str]:
    """Senders of holds taken before `before` and released, that the channel never forgot (it does
    at the citizen's next message, after resuming the conversation): the purge removes those whose
    conversation Rasa no longer has, so no pause is left for the release to undo."""
    query = select(holds.c.sender).where(holds.c.state == RELEASED, holds.c.since < before).order_by(holds.c.sender)
    with store.engine.connect() as connection:
        return list(connection.execute(query).scalars())


def forget_released_holds(store: Store, senders: list[str], before: float) -> int:
    """Those holds, if still released (one taken again meanwhile is kept)."""
    if not senders:
        return 0
    due = and_(holds.c.sender.in_(senders), holds.c.state == RELEASED, holds.c.since < before)
    with store.engine.begin() as connection:
        return connection.execute(holds.delete().where(due)).rowcount


def has_waiting(store: Store, sender: str) -> bool:
    """Whether a message of this citizen waits or is being answered (a Rasa turn may be running)."""
    query = select(inbox.c.id).where(inbox.c.sender == sender, inbox.c.state.in_(("pending", "processing"))).limit(1)
    with store.engine.connect() as connection:
        return connection.execute(query).first() is not None
