"""Announcements, emergency alerts and campaigns: audiences, recipients, progress, cancellation.

A broadcast's recipients are rows (broadcast, phone) created once; every send claims one row
with a lease and records what happened, so a worker killed mid-broadcast is resumed by another
without sending anyone a second copy and without leaving anyone out. Workers, the command-line
tool and (later) the console call this module; the queue only carries "send these rows".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nagarik import db, settings
from nagarik.db import models
from nagarik.outbound import checks
from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES
from whatsapp import messages

# Order of priority: emergency, an officer's reply to a citizen waiting in the chat (the assistant's
# own replies never queue), notifications and reminders about one's own business, then bulk.
PRIORITY = {"emergency": 100, "reply": 60, "notification": 50, "reminder": 40, "announcement": 10, "campaign": 10, "poll": 10}
# News of the citizen's own case: consent to topics does not apply (nagarik.outbound.consent).
OWN_CASE = ("notification", "reply")
# Addressed to named phones (audience.phones), whoever they are, not to an audience of subscribers.
TO_PHONES = ("notification", "reminder", "reply")
# What officials send as such; the other kinds come from their own services (polls, campaigns,
# notifications, reminders), which add what their copies need (a poll row, a template's parameters).
DIRECT_KINDS = ("announcement", "emergency")
# Written texts go out as captions and template parameters; the others' words are checked by their services.
WRITTEN_KINDS = ("announcement", "emergency", "campaign")
TEMPLATE = {
    "emergency": "emergency_alert",
    "announcement": "announcement",
    "campaign": "announcement",
    "notification": "announcement",
    "reply": "officer_reply",  # an officer's answer in a live handoff (nagarik.outbound.live_handoffs)
    "reminder": "date_reminder",
    "poll": "consultation_invite",
}
# How long a worker holds copies it claimed; after that a sweep hands them to another worker.
LEASE = dt.timedelta(seconds=settings.send_lease_seconds())
MATERIALIZE_CHUNK = 5_000
# Copies still to go: waiting to be claimed, claimed, over the daily tier, or waiting to be sent
# again after a send that failed in a way a retry can mend (a timeout, throttling, a 5xx).
WAITING = ("queued", "sending", "held", "retrying")
DEFAULT_LANGUAGE = "en"
CANCELLED = "cancelled"  # a skipped copy's reason when its broadcast was cancelled


@dataclass(frozen=True)
class Audience:
    wards: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # notifications: the citizens a change is about

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "wards": list(self.wards),
            "topics": list(self.topics),
            "languages": list(self.languages),
            "phones": list(self.phones),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        return cls(*(tuple(data.get(key) or ()) for key in ("wards", "topics", "languages", "phones")))

    @classmethod
    def from_request(cls, source: Any) -> Audience:
        """wards, topics and languages as an official gives them (JSON lists, or comma-separated
        in a query string), checked: a list of anything else would only fail in the worker."""
        return cls(
            checks.strings(source.get("wards"), "wards"),
            checks.strings(source.get("topics"), "topics"),
            checks.strings(source.get("languages"), "languages", allowed=LANGUAGES),
        )

    def checked(self) -> Audience:
        for name, values in self.as_dict().items():
            checks.strings(list(values), name, allowed=LANGUAGES if name == "languages" else None)
        return self


def topics_wanted(kind: str, audience: Audience) -> tuple[str, ...] | None:
    """The topics a citizen must have chosen (and STOP not hold) to get this broadcast; None for
    any topic. An emergency alert goes to everyone in the affected wards who opted in to any
    messages; everything else needs one of its topics (or any topic when none is named)."""
    return None if kind == "emergency" or not audience.topics else audience.topics


def audience_query(kind: str, audience: Audience) -> Any:
    """Citizens who may receive a broadcast (not a notification, which names its phones).
    Nobody who never opted in, and nobody for a choice STOP holds: after STOP only a topic chosen
    anew counts, and START brings the rest back (nagarik.citizens.subscriptions)."""
    citizen = models.Citizen
    chosen = models.Subscription
    active = select(chosen.phone).where(chosen.phone == citizen.phone, chosen.held_since.is_(None))
    topics = topics_wanted(kind, audience)
    if topics is not None:
        active = active.where(chosen.topic.in_(topics))
    query = select(citizen.phone, citizen.language).where(exists(active))
    if audience.wards:
        query = query.where(citizen.ward_key.in_(audience.wards))
    if audience.languages:
        query = query.where(
            or_(
                citizen.language.in_(audience.languages),
                *([citizen.language.is_(None)] if DEFAULT_LANGUAGE in audience.languages else []),
            )
        )
    return query.order_by(citizen.phone)


def audience_size(session: Session, kind: str, audience: Audience) -> int:
    if kind in TO_PHONES:
        return len(audience.phones)
    return db.count(session, audience_query(kind, audience))


def recipients_of(session: Session, kind: str, audience: Audience) -> list[tuple[str, str | None]]:
    """(phone, language) of everyone the broadcast goes to. A notification goes to the phone on
    the application or grievance even if that citizen never wrote to us; so does a reminder about a
    date on their record (but the sender skips it after STOP or an opt-out of its kind), and an
    officer's reply to the citizen who asked for one."""
    if kind in TO_PHONES:
        known = dict(
            session.execute(
                select(models.Citizen.phone, models.Citizen.language).where(models.Citizen.phone.in_(audience.phones))
            ).all()
        )
        # A grievance filed for someone else's system (Open311) without a consenting citizen names
        # no number or WhatsApp user id, only a placeholder: nobody to send to.
        return [(phone, known.get(phone)) for phone in audience.phones if addressable(phone)]
    return [(phone, language) for phone, language in session.execute(audience_query(kind, audience))]


def addressable(recipient: str) -> bool:
    """A phone number (digits) or a WhatsApp business-scoped user id; not a placeholder."""
    return recipient.isdigit() or messages.USER_ID.fullmatch(recipient) is not None


def create(
    session: Session,
    *,
    kind: str,
    texts: dict[str, str],
    audience: Audience,
    created_by: str,
    media: dict[str, str] | None = None,
    send_at: dt.datetime | None = None,
    thread_of: int | None = None,
    template: str | None = None,
    template_params: dict[str, list[str]] | None = None,
) -> models.Broadcast:
    """A broadcast, checked whole (texts, media, audience) so that every copy of it can be built."""
    if kind not in PRIORITY:
        raise ValueError(f"kind: unknown kind {kind}; use one of {', '.join(PRIORITY)}")
    texts = checks.texts(texts, longest=checks.LONGEST_TEXT if kind in WRITTEN_KINDS else None)
    media = checks.media(media)
    audience = audience.checked()
    if kind == "emergency" and not audience.wards:
        raise ValueError("wards: an emergency alert names the affected wards")
    if created_by == "" or len(created_by) > settings.MAX_WHO:
        raise ValueError(f"created_by: 1 to {settings.MAX_WHO} characters")
    broadcast = models.Broadcast(
        kind=kind,
        priority=PRIORITY[kind],
        texts=texts,
        media=media,
        audience=audience.as_dict(),
        template=template or TEMPLATE[kind],
        template_params=template_params,
        thread_of=thread_of,
        status="scheduled",
        send_at=send_at or clock.utcnow(),
        created_by=created_by,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def materialize(session: Session, broadcast: models.Broadcast) -> int:
    """Create the recipient rows once (running it again adds only citizens not yet there).
    One multi-row insert per chunk: an audience of 100,000 takes seconds, not minutes."""
    row = models.BroadcastRecipient
    existing = set(session.execute(select(row.phone).where(row.broadcast_id == broadcast.id)).scalars())
    new = [
        {"broadcast_id": broadcast.id, "phone": phone, "language": language or DEFAULT_LANGUAGE, "state": "queued", "attempts": 0}
        for phone, language in recipients_of(session, broadcast.kind, Audience.from_dict(broadcast.audience))
        if phone not in existing
    ]
    try:
        with session.begin_nested():
            for start in range(0, len(new), MATERIALIZE_CHUNK):
                session.execute(insert(row.__table__), new[start : start + MATERIALIZE_CHUNK])
    except IntegrityError:
        new = []  # another worker materialized it at the same moment: its rows stand
    broadcast.status = "running"
    session.flush()
    return len(new)


@dataclass(frozen=True)
class Claimed:
    """A copy a worker now holds: attempts > 1 means an earlier holder may have sent it."""

    id: int
    broadcast_id: int
    phone: str
    language: str
    attempts: int


def take(session: Session, recipient_ids: list[int], now: dt.datetime | None = None) -> list[Claimed]:
    """Claim a batch for sending with one conditional UPDATE ... RETURNING (all of it at once, so a
    worker that dies leaves every unsent copy leased, and the sweep finds them); skips copies done,
    cancelled or held by a live worker. Two workers never hold the same copy: the database applies
    the condition row by row under its lock."""
    now = now or clock.utcnow()
    row = models.BroadcastRecipient
    claimable = or_(row.state.in_(("queued", "held")), row.state.in_(("sending", "retrying")) & (row.lease_until < now))
    taken = session.execute(
        update(row)
        .where(row.id.in_(recipient_ids), claimable)
        .values(state="sending", lease_until=now + LEASE, attempts=row.attempts + 1, updated_at=now)
        .returning(row.id, row.broadcast_id, row.phone, row.language, row.attempts)
        .execution_options(synchronize_session=False)
    )
    return sorted((Claimed(*values) for values in taken), key=lambda copy: copy.id)


def claim(session: Session, recipient_ids: list[int], now: dt.datetime | None = None) -> list[int]:
    """The ids `take` claimed."""
    return [copy.id for copy in take(session, recipient_ids, now)]


def extend_lease(session: Session, recipient_ids: list[int], until: dt.datetime) -> None:
    """Keep copies whose send slots lie ahead: nobody may take them over before then."""
    row = models.BroadcastRecipient
    session.execute(
        update(row)
        .where(row.id.in_(recipient_ids), row.state == "sending")
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )


def record(session: Session, recipient_id: int, *, state: str, wamid: str | None = None, error_code: int | None = None) -> None:
    record_many(session, [Outcome(recipient_id, state, wamid, error_code)])


@dataclass(frozen=True)
class Outcome:
    recipient_id: int
    state: str  # sent | failed | skipped | held | unknown | retrying (not before `retry_at`)
    wamid: str | None = None
    error_code: int | None = None
    retry_at: dt.datetime | None = None
    reason: str | None = None  # why a copy was skipped (nagarik.outbound.consent)


def record_many(session: Session, outcomes: list[Outcome]) -> None:
    """What happened to a batch, in one executemany. A copy to retry keeps its claim until its
    retry time (`lease_until`), after which a worker or the sweep takes it again."""
    if not outcomes:
        return
    table = models.BroadcastRecipient.__table__
    now = clock.utcnow()
    session.execute(
        update(table)
        .where(table.c.id == bindparam("recipient_id"))
        .values(
            state=bindparam("b_state"),
            wamid=bindparam("b_wamid"),
            error_code=bindparam("b_code"),
            lease_until=bindparam("b_until"),
            skip_reason=bindparam("b_reason"),
            updated_at=now,
        ),
        [
            dict(
                recipient_id=o.recipient_id,
                b_state=o.state,
                b_wamid=o.wamid,
                b_code=o.error_code,
                b_until=o.retry_at,
                b_reason=o.reason,
            )
            for o in outcomes
        ],
    )


def unfinished(
    session: Session, broadcast_id: int, *, with_queued: bool, now: dt.datetime | None = None, held_limit: int | None = None
) -> list[int]:
    """Copies whose worker died (lease expired), and with `with_queued` also those still queued
    (after a restart, when queue tasks may have been lost with their worker); and held ones (over
    the daily tier), at most `held_limit` of them: no use retrying more than the tier has room for."""
    now = now or clock.utcnow()
    row = models.BroadcastRecipient
    stale = row.state.in_(("sending", "retrying")) & (row.lease_until < now)
    wanted = or_(stale, row.state == "queued") if with_queued else stale
    ids = list(session.execute(select(row.id).where(row.broadcast_id == broadcast_id, wanted).order_by(row.id)).scalars())
    held = select(row.id).where(row.broadcast_id == broadcast_id, row.state == "held").order_by(row.id).limit(held_limit)
    return sorted(ids + list(session.execute(held).scalars()))


def finish_if_done(session: Session, broadcast: models.Broadcast) -> bool:
    waiting = db.count(
        session,
        select(models.BroadcastRecipient).where(
            models.BroadcastRecipient.broadcast_id == broadcast.id, models.BroadcastRecipient.state.in_(WAITING)
        ),
    )
    if waiting == 0 and broadcast.status == "running":
        broadcast.status = "done"
    return waiting == 0


def fail(session: Session, broadcast_id: int, reason: str) -> None:
    """A broadcast none of whose remaining copies can be sent (its stored data cannot be built
    into a message): `failed` with the reason, and its copies still to go `failed` too, so no
    worker or sweep takes it up again. Copies already sent stay sent."""
    broadcast = session.get(models.Broadcast, broadcast_id)
    broadcast.status = "failed"
    broadcast.failure_reason = reason[:1000]
    row = models.BroadcastRecipient
    session.execute(
        update(row)
        .where(row.broadcast_id == broadcast_id, row.state.in_(WAITING))
        .values(state="failed", lease_until=None, updated_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )


def cancel(session: Session, broadcast_id: int) -> models.Broadcast:
    """Stop a scheduled or running broadcast: nobody not yet sent to will get it."""
    broadcast = session.get(models.Broadcast, broadcast_id)
    if broadcast is None:
        raise KeyError(broadcast_id)
    broadcast.status = "cancelled"
    row = models.BroadcastRecipient
    session.execute(
        update(row)
        .where(row.broadcast_id == broadcast_id, row.state.in_(("queued", "held", "retrying")))
        .values(state="skipped", skip_reason=CANCELLED)
    )
    return broadcast


@dataclass
class Progress:
    broadcast_id: int
    status: str
    total: int
    states: Counter[str] = field(default_factory=Counter)
    failures: Counter[int] = field(default_factory=Counter)  # error code -> count
    reason: str | None = None  # why a `failed` broadcast failed

    @property
    def finished(self) -> int:
        return sum(count for state, count in self.states.items() if state not in WAITING)


def progress(session: Session, broadcast_id: int) -> Progress:
    broadcast = session.get(models.Broadcast, broadcast_id)
    if broadcast is None:
        raise KeyError(broadcast_id)
    row = models.BroadcastRecipient
    result = Progress(broadcast_id, broadcast.status, 0, reason=broadcast.failure_reason)
    for state, status, code, count in session.execute(
        select(row.state, row.status, row.error_code, func.count())
        .where(row.broadcast_id == broadcast_id)
        .group_by(row.state, row.status, row.error_code)
    ):
        result.total += count
        # A sent copy shows what Meta said of it since (delivered, read, or failed: nagarik.outbound.delivery).
        shown = status if state == "sent" and status else state
        result.states[shown] += count
        if shown == "failed" and code:
            result.failures[code] += count
    return result
