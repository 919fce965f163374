"""Delivery statuses of broadcast copies: from the channel's store into broadcast_recipients.

Meta tells what became of every message in status webhooks (sent, delivered, read, or failed
with a code), which reach the Rasa channel. The channel runs under Rasa's pins and may keep its
store in another database, so it only keeps the statuses of broadcast copies (their callback
data, "broadcast:<id>:<phone>") in a table of its store; the broadcast workers copy them here
every second and then forget them. Officials' progress counts (nagarik.outbound.broadcasts.progress) read
what lands here. Statuses arrive out of order: a copy keeps its highest (sent < delivered <
read), and failed is final.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, case, or_, update
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.db import models

logger = logging.getLogger(__name__)
RANK = {"sent": 1, "delivered": 2, "read": 3}
BATCH = 5000
FOLLOW_SECONDS = 1.0


class StatusSource(Protocol):
    """The channel's store, as far as this module needs it (whatsapp.cloud.store.Store)."""

    def broadcast_statuses(self, limit: int = BATCH) -> list[dict[str, Any]]: ...

    def forget_broadcast_statuses(self, ids: list[int]) -> None: ...


def copy_key(callback_data: str) -> tuple[int, str] | None:
    """(broadcast id, phone) from a copy's callback data, or None if it is not one."""
    kind, _, rest = callback_data.partition(":")
    number, _, phone = rest.partition(":")
    return (int(number), phone) if kind == "broadcast" and number.isdigit() and phone else None


def apply(session: Session, statuses: list[dict[str, Any]]) -> int:
    """Write statuses (dicts with callback_data, status, error_code) onto their copies; returns
    how many copies they named."""
    best: dict[tuple[int, str], tuple[str, int | None]] = {}
    for item in statuses:
        key = copy_key(str(item["callback_data"]))
        if key is None:
            continue
        status, known = item["status"], best.get(key)
        if status == "failed":
            best[key] = ("failed", item.get("error_code"))
        elif status in RANK and (known is None or (known[0] != "failed" and RANK[status] > RANK[known[0]])):
            best[key] = (status, None)
    table = models.BroadcastRecipient.__table__
    same_copy = and_(table.c.broadcast_id == bindparam("b_id"), table.c.phone == bindparam("b_phone"))
    failed = [{"b_id": b, "b_phone": p, "b_code": code} for (b, p), (status, code) in best.items() if status == "failed"]
    if failed:
        session.execute(update(table).where(same_copy).values(status="failed", error_code=bindparam("b_code")), failed)
    ranked = [{"b_id": b, "b_phone": p, "b_status": s, "b_rank": RANK[s]} for (b, p), (s, _) in best.items() if s != "failed"]
    if ranked:
        current = case(*((table.c.status == name, rank) for name, rank in RANK.items()), else_=0)
        lower = or_(table.c.status.is_(None), and_(table.c.status != "failed", current < bindparam("b_rank")))
        session.execute(update(table).where(same_copy, lower).values(status=bindparam("b_status")), ranked)
    return len(best)


def copy_from(store: StatusSource) -> int:
    """Copy one batch of waiting statuses; returns how many statuses it took."""
    waiting = store.broadcast_statuses(BATCH)
    if not waiting:
        return 0
    with db.session_scope() as session:
        apply(session, waiting)
    store.forget_broadcast_statuses([item["id"] for item in waiting])  # after the commit: lose nothing
    return len(waiting)


def follow(store: StatusSource, stop: threading.Event) -> None:
    """Keep copying until `stop` is set (a thread of every worker process; copying twice is harmless)."""
    while not stop.is_set():
        try:
            taken = copy_from(store)
        except Exception:  # the database is away for a moment: the statuses wait in the store
            logger.exception("could not copy delivery statuses; trying again")
            taken = 0
        if taken < BATCH:
            stop.wait(FOLLOW_SECONDS)
