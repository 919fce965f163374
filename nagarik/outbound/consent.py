"""Whether a broadcast copy is still wanted at the moment it would go, and if not, why.

A copy is made when its broadcast starts, and may wait a while before it goes: behind the number's
rate, over the daily tier (held), or for a retry. What the citizen said in the meantime wins. The
sender asks this module twice (when it claims a batch, and just before the batch's first slot),
so nothing goes that consent no longer covers; a copy withdrawn is recorded as skipped with its
reason, never sent:

- `cancelled`: its broadcast was cancelled (or its poll closed);
- `stopped`: the citizen said STOP (a reminder after STOP; a topic STOP holds);
- `unsubscribed`: the citizen no longer has the topic the broadcast is about;
- `reminder_opt_out`: the citizen stopped this kind of reminder.

News of one's own case (a notification, an officer's reply the citizen asked for) goes even after STOP.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.outbound.broadcasts import CANCELLED, OWN_CASE, Audience, topics_wanted

STOPPED = "stopped"
UNSUBSCRIBED = "unsubscribed"
REMINDER_OPT_OUT = "reminder_opt_out"


def withdrawn(session: Session, copies: Iterable[tuple[int, int, str]]) -> dict[int, str]:
    """Of (copy id, broadcast id, phone), the copies not to send, with the reason: a few
    queries for the whole batch."""
    copies = list(copies)
    if not copies:
        return {}
    phones = {phone for _, _, phone in copies}
    stopped = set(
        session.execute(
            select(models.Citizen.phone).where(models.Citizen.phone.in_(phones), models.Citizen.opted_out_at.is_not(None))
        ).scalars()
    )
    row = models.Subscription
    active: dict[str, set[str]] = {}
    for phone, topic in session.execute(select(row.phone, row.topic).where(row.phone.in_(phones), row.held_since.is_(None))):
        active.setdefault(phone, set()).add(topic)
    broadcasts = {b_id: session.get(models.Broadcast, b_id) for b_id in {b_id for _, b_id, _ in copies}}
    opt_out = models.ReminderOptOut
    reminded = {phone for _, b_id, phone in copies if broadcasts[b_id].kind == "reminder"}
    opted_out: set[tuple[str, str]] = set()
    if reminded:
        opted_out = set(session.execute(select(opt_out.phone, opt_out.kind).where(opt_out.phone.in_(reminded))).tuples())
    reasons: dict[int, str] = {}
    for copy_id, b_id, phone in copies:
        reason = _reason(broadcasts[b_id], phone, phone in stopped, active.get(phone, set()), opted_out)
        if reason:
            reasons[copy_id] = reason
    return reasons


def _reason(
    broadcast: models.Broadcast, phone: str, stopped: bool, topics: set[str], opted_out: set[tuple[str, str]]
) -> str | None:
    if broadcast.status == "cancelled":
        return CANCELLED
    if broadcast.kind in OWN_CASE:
        return None
    if broadcast.kind == "reminder":
        if stopped:
            return STOPPED
        return REMINDER_OPT_OUT if (phone, broadcast.audience.get("reminder_kind")) in opted_out else None
    wanted = topics_wanted(broadcast.kind, Audience.from_dict(broadcast.audience))
    still_chosen = topics if wanted is None else topics & set(wanted)  # chosen, and not held by STOP
    if still_chosen:
        return None
    return STOPPED if stopped else UNSUBSCRIBED
