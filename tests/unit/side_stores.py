"""Rasa's tracker store and the channel's store beside the civic test database, on the same kind of
database (a SQLite file, or a PostgreSQL schema of their own, so the civic schema test sees only
civic tables), and an evidence folder; with helpers to put rows and files in them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update

from nagarik.citizens import trackers
from nagarik.citizens.stores import Stores
from whatsapp.cloud.store import Store, inbox, outbox
from whatsapp.inbound import InboundMessage, Webhook


@pytest.fixture
def stores(database_url: str, tmp_path: Path) -> Iterator[Stores]:
    schema = None
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'side.db'}"
    else:
        base = os.environ["NAGARIK_TEST_DATABASE_URL"]
        schema = f"side_test_{uuid.uuid4().hex[:10]}"
        with create_engine(base).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    maker = create_engine(url)
    trackers.metadata.create_all(maker)  # the columns of Rasa's own events table
    maker.dispose()
    channel = Store(url)
    tracker = trackers.store(url)
    assert tracker is not None
    yield Stores(tracker=tracker, channel=channel, evidence_dir=tmp_path / "evidence")
    channel.engine.dispose()
    tracker.dispose()
    if schema:
        admin = create_engine(os.environ["NAGARIK_TEST_DATABASE_URL"])
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def epoch(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


def add_event(stores: Stores, sender: str, at: float, kind: str = "user", **data: Any) -> None:
    """One row as Rasa's SQLTrackerStore writes it."""
    assert stores.tracker is not None
    with stores.tracker.begin() as connection:
        connection.execute(
            trackers.events.insert().values(
                sender_id=sender, type_name=kind, timestamp=at, data=json.dumps({"event": kind, "timestamp": at, **data})
            )
        )


def events_of(stores: Stores, sender: str) -> list[float]:
    assert stores.tracker is not None
    with stores.tracker.connect() as connection:
        query = select(trackers.events.c.timestamp).where(trackers.events.c.sender_id == sender).order_by(trackers.events.c.id)
        return list(connection.execute(query).scalars())


def add_inbound(stores: Stores, sender: str, at: float, body: str = "hello", state: str = "done") -> str:
    wamid = f"wamid.{uuid.uuid4().hex}"
    message = InboundMessage(id=wamid, sender=sender, kind="text", raw_type="text", text=body)
    stores.channel.accept(Webhook(messages=[message]), now=at)
    with stores.channel.engine.begin() as connection:
        connection.execute(update(inbox).where(inbox.c.wamid == wamid).values(state=state))
    return wamid


def add_outbound(stores: Stores, recipient: str, at: float, body: str = "a reply", callback: str | None = None) -> str:
    wamid = f"wamid.{uuid.uuid4().hex}"
    stores.channel.record_send(recipient=recipient, body={"type": "text", "text": {"body": body}}, state="accepted", wamid=wamid)
    with stores.channel.engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.wamid == wamid).values(created_at=at, callback_data=callback))
    return wamid


def inbound_row(stores: Stores, wamid: str) -> dict[str, Any]:
    with stores.channel.engine.connect() as connection:
        return dict(connection.execute(select(inbox).where(inbox.c.wamid == wamid)).mappings().one())


def outbound_row(stores: Stores, wamid: str) -> dict[str, Any]:
    with stores.channel.engine.connect() as connection:
        return dict(connection.execute(select(outbox).where(outbox.c.wamid == wamid)).mappings().one())


def stored_name(tag: str) -> str:
    """A name as the channel gives its files (whatsapp.cloud.media.STORED_NAME), one per tag."""
    return hashlib.md5(tag.encode()).hexdigest() + ".jpg"


def add_file(stores: Stores, name: str, modified: dt.datetime | None = None) -> Path:
    stores.evidence_dir.mkdir(parents=True, exist_ok=True)
    path = stores.evidence_dir / name
    path.write_bytes(b"\xff\xd8\xff evidence")
    if modified is not None:
        os.utime(path, (epoch(modified), epoch(modified)))
    return path
