"""Rasa's SQL event broker with its writes taken out of the turn (endpoints.yml:
`event_broker: type: channels.event_broker.BackgroundSQLEventBroker`).

Rasa's own `SQLEventBroker` commits each event on the event loop while the turn's tracker is saved:
measured here, ~3 ms an event on SQLite (an fsync each), ~15 ms a turn, blocking every conversation
of that process. This one keeps Rasa's table and rows (`id`, `sender_id`, `data` = the event's JSON,
nagarik.conversations reads either) and Rasa's settings, but `publish()` only queues the event; one
thread writes what is queued, one commit a batch, in the order published. Events still queued when
the process dies are lost to the console (never to the conversation: the tracker store has them).
`table` puts the rows beside a tracker store in the same database (whose own table is `events`).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
from asyncio import AbstractEventLoop
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
BATCH = 500
MAX_QUEUED = 100_000  # past this (the database away for long) new events are dropped, and logged


class BackgroundSQLEventBroker(EventBroker):
    def __init__(
        self,
        dialect: str = "sqlite",
        host: str | None = None,
        port: int | None = None,
        db: str = "events.db",
        username: str | None = None,
        password: str | None = None,
        table: str = "events",
    ) -> None:
        url = SQLTrackerStore.get_db_url(dialect, host, port, db, username, password)
        self.engine = sa.create_engine(url, hide_parameters=True)  # no citizen text in an error's log
        if self.engine.dialect.name == "sqlite":
            if self.engine.url.database:  # SQLite makes the file, not its folder (var/test/ on a fresh checkout)
                os.makedirs(os.path.dirname(os.path.abspath(self.engine.url.database)), exist_ok=True)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.table = sa.Table(
            table,
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("sender_id", sa.String(255)),
            sa.Column("data", sa.Text),
        )
        self.table.metadata.create_all(self.engine)  # fails at start-up, as Rasa's does, if unreachable
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(MAX_QUEUED)
        self._writer = threading.Thread(target=self._write, name="event-broker", daemon=True)
        self._writer.start()
        atexit.register(self.flush)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> BackgroundSQLEventBroker:
        return cls(host=broker_config.url, **broker_config.kwargs)

    def publish(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            logger.error("event broker: %d events queued, dropping one of %s", MAX_QUEUED, event.get("event"))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait (a while) until every queued event is written."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    async def close(self) -> None:
        self.flush()

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [{"sender_id": event.get("sender_id"), "data": json.dumps(event)} for event in batch if event]
            while True:
                try:
                    with self.engine.begin() as connection:
                        connection.execute(self.table.insert(), rows)
                    break
                except sa.exc.SQLAlchemyError:
                    logger.exception("event broker: %d events not written yet; trying again", len(rows))
                    time.sleep(1.0)
            for _ in batch:
                self._queue.task_done()


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL: the consumer reads while Rasa writes; NORMAL: no fsync per commit (a power cut may lose
    # the last events, which the tracker store keeps anyway).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
