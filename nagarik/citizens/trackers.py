"""Rasa's conversation trackers (the tracker store's `events` table, NAGARIK_TRACKER_STORE_URL), for a
citizen's erasure and the retention purge. Rasa owns the table (rasa.core.tracker_store.SQLTrackerStore);
we only read and delete rows of it.

Rasa saves a turn by appending the events of its in-memory tracker that the table does not hold yet,
counted from the session's start: rows deleted while a turn of that citizen runs come back when the
turn ends. So deletions run from the workers, never in the turn that asked, and an erasure makes a
second pass (nagarik.citizens.data_rights); the purge leaves alone anyone active in the last hour.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, and_, create_engine, delete, func, inspect, select
from sqlalchemy.engine import Engine

from nagarik import settings

metadata = MetaData()
# The columns of Rasa 3.6's SQLTrackerStore.SQLEvent that we use (tests make the table from this).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
ACTIVE_SECONDS = 3600.0  # the purge skips citizens with events this recent (a turn may be running)
_MEDIA_REF = re.compile(r'"media_ref"\s*:\s*"([^"]+)"')


@cache
def _engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def store(url: str | None = None) -> Engine | None:
    """The tracker store's engine, or None when Rasa has not made it yet (nothing to erase there)."""
    url = url or settings.tracker_store_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None  # never create Rasa's database ourselves
    engine = _engine(url)
    return engine if inspect(engine).has_table("events") else None


def media_refs(engine: Engine, sender: str, up_to: float) -> set[str]:
    """Evidence files the citizen sent (the channel's `/inform{"media_ref": ...}` messages)."""
    query = select(events.c.data).where(events.c.sender_id == sender, events.c.type_name == "user", events.c.timestamp <= up_to)
    found: set[str] = set()
    with engine.connect() as connection:
        for (data,) in connection.execute(query):
            found.update(_refs_in(data or ""))
    return found


def _refs_in(data: str) -> set[str]:
    try:
        event: dict[str, Any] = json.loads(data)
    except ValueError:
        return set(_MEDIA_REF.findall(data))
    entities = (event.get("parse_data") or {}).get("entities") or []
    refs = {str(e.get("value")) for e in entities if isinstance(e, dict) and e.get("entity") == "media_ref"}
    return refs | set(_MEDIA_REF.findall(str(event.get("text") or "")))


def erase(engine: Engine, sender: str, up_to: float) -> int:
    """Every event of this conversation up to `up_to` (seconds since the epoch); the number deleted."""
    with engine.begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id == sender, events.c.timestamp <= up_to)).rowcount


def _due(before: float, now: float) -> Any:
    """The condition of events past their retention, leaving out citizens active in the last hour."""
    active = select(events.c.sender_id).where(events.c.timestamp > now - ACTIVE_SECONDS).distinct()
    return and_(events.c.timestamp < before, events.c.sender_id.not_in(active))


def purge(engine: Engine, before: float, now: float, dry_run: bool = False) -> int:
    """Events older than `before`; only counted with dry_run."""
    with engine.begin() as connection:
        if dry_run:
            return connection.execute(select(func.count()).select_from(events).where(_due(before, now))).scalar_one()
        return connection.execute(delete(events).where(_due(before, now))).rowcount
