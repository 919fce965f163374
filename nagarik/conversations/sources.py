"""Where Rasa's event broker puts the events: the `event_broker` section of Rasa's endpoints file
(RASA_ENDPOINTS, as the launcher gives Rasa, else endpoints.yml), read the way Rasa reads it.

- `type: SQL` (Rasa's SQLEventBroker) or `channels.event_broker.BackgroundSQLEventBroker`: a table
  (`events`, or its `table`) of id, sender_id and the event's JSON. Read by id after the last one
  kept (the cursor, in the civic database, moved in the same commit); rows already kept are then
  pruned from the broker's table, all but the newest (so SQLite never hands its id out again).
- `type: pika` (Rasa's PikaEventBroker): RabbitMQ. Its first queue is consumed, exclusively (one
  worker at a time keeps a citizen's events in order), each batch acked once committed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import yaml
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, delete, inspect, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models

BATCH = 500
MAX_BATCHES = 200  # one run reads at most this many; the next run goes on from there
ENDPOINTS_VARIABLE = "RASA_ENDPOINTS"
SQL_TYPES = ("sql", "channels.event_broker.backgroundsqleventbroker")
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class BrokerConfigError(ValueError):
    """The endpoints file's event broker cannot be read from here."""


def endpoints_path() -> Path:
    path = Path(os.environ.get(ENDPOINTS_VARIABLE) or "endpoints.yml")
    return path if path.is_absolute() else settings.PROJECT_ROOT / path


def broker_config(path: Path | None = None) -> dict[str, Any] | None:
    """The `event_broker` section with ${VARIABLES} filled in, as Rasa does; None without one."""
    loaded = yaml.safe_load((path or endpoints_path()).read_text(encoding="utf-8")) or {}
    section = loaded.get("event_broker")
    if not isinstance(section, dict):
        return None
    return {key: _expand(value) for key, value in section.items()}


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        missing = [name for name in _VARIABLE.findall(value) if name not in os.environ]
        if missing:
            raise BrokerConfigError(f"the event broker's settings need {', '.join(missing)}")
        return _VARIABLE.sub(lambda match: os.environ[match.group(1)], value)
    if isinstance(value, list):
        return [_expand(item) for item in value]
    return value


def from_config(config: dict[str, Any] | None) -> SqlSource | PikaSource | None:
    if config is None:
        return None
    kind = str(config.get("type") or "pika").lower()
    if kind in SQL_TYPES:
        return SqlSource(sql_url(config), str(config.get("table") or "events"))
    if kind == "pika":
        queues = config.get("queues") or config.get("queue") or ["rasa_core_events"]
        queue = queues[0] if isinstance(queues, list) else str(queues)
        return PikaSource(amqp_url(config), queue)
    raise BrokerConfigError(f"an event broker of type {kind!r} is not read by the console")


def from_endpoints() -> SqlSource | PikaSource | None:
    return from_config(broker_config())


def sql_url(config: dict[str, Any]) -> str:
    """The SQLAlchemy URL Rasa's SQLTrackerStore.get_db_url builds, with SQLite paths from the checkout
    (where the launcher starts Rasa)."""
    host, dialect = config.get("url"), str(config.get("dialect") or "sqlite")
    if host and "://" in str(host):
        return str(host)
    if dialect == "sqlite":
        path = Path(str(config.get("db") or "events.db"))
        return f"sqlite:///{path if path.is_absolute() else settings.PROJECT_ROOT / path}"
    port = config.get("port")
    return URL.create(
        "postgresql+psycopg2" if dialect in ("postgresql", "postgres") else dialect,
        username=config.get("username") or None, password=config.get("password") or None,
        host=str(host) if host else None, port=int(port) if port else None, database=config.get("db"),
    ).render_as_string(hide_password=False)  # fmt: skip


def amqp_url(config: dict[str, Any]) -> str:
    host = str(config.get("url") or "localhost")
    user = quote(str(config.get("username") or "guest"), safe="")
    password = quote(str(config.get("password") or "guest"), safe="")
    if host.startswith("amqp"):
        parsed = urlparse(host)
        return host if "@" in parsed.netloc else f"{parsed.scheme}://{user}:{password}@{parsed.netloc}{parsed.path}"
    return f"amqp://{user}:{password}@{host}:{int(config.get('port') or 5672)}/%2F"


# --- Rasa's SQL event broker -------------------------------------------------------------------


@cache
def _engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


@dataclass
class SqlBatch:
    items: list[tuple[str | None, str | bytes]]
    cursor_name: str
    last_id: int

    def acknowledge(self, session: Session) -> None:
        cursor = session.get(models.ConversationCursor, self.cursor_name)
        if cursor is None:
            session.add(models.ConversationCursor(source=self.cursor_name, last_id=self.last_id))
        else:
            cursor.last_id = self.last_id

    def committed(self) -> None:
        pass


@dataclass
class SqlSource:
    url: str
    table_name: str = "events"
    prune: bool = True
    batch_size: int = BATCH
    table: Table = field(init=False)

    def __post_init__(self) -> None:
        self.table = Table(
            self.table_name, MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
            Column("data", Text),
        )  # fmt: skip

    @property
    def name(self) -> str:
        return f"sql:{make_url(self.url).render_as_string(hide_password=True)}#{self.table_name}"[:255]

    def engine(self) -> Engine | None:
        """None while Rasa has not made its table yet (never create Rasa's database ourselves)."""
        if self.url.startswith("sqlite:///") and not Path(self.url.removeprefix("sqlite:///")).exists():
            return None
        engine = _engine(self.url)
        if not inspect(engine).has_table(self.table_name):
            return None
        if engine.dialect.name == "sqlite":
            try:  # lets Rasa write while we read (it stays set in the file)
                with engine.connect() as connection:
                    connection.execute(text("PRAGMA journal_mode=WAL"))
            except OperationalError:
                pass  # busy: the next run sets it
        return engine

    def batches(self, session: Session) -> Iterator[SqlBatch]:
        engine = self.engine()
        if engine is None:
            return
        cursor = session.get(models.ConversationCursor, self.name)
        after = cursor.last_id if cursor else 0
        for _ in range(MAX_BATCHES):
            query = select(self.table.c.id, self.table.c.sender_id, self.table.c.data).where(self.table.c.id > after)
            with engine.connect() as connection:
                rows = connection.execute(query.order_by(self.table.c.id).limit(self.batch_size)).all()
            if not rows:
                break
            after = rows[-1].id
            yield SqlBatch([(row.sender_id, row.data or "") for row in rows], self.name, after)
            if self.prune:
                with engine.begin() as connection:
                    connection.execute(delete(self.table).where(self.table.c.id < after))
            if len(rows) < self.batch_size:
                break


# --- Rasa's Pika event broker (RabbitMQ) -------------------------------------------------------


@dataclass
class PikaBatch:
    items: list[tuple[str | None, str | bytes]]
    channel: Any
    delivery_tag: int

    def acknowledge(self, session: Session) -> None:
        pass

    def committed(self) -> None:
        self.channel.basic_ack(delivery_tag=self.delivery_tag, multiple=True)


@dataclass
class PikaSource:
    url: str
    queue: str
    batch_size: int = BATCH
    wait_seconds: float = 0.5  # a queue quiet this long is drained for this run

    @property
    def name(self) -> str:
        return f"pika:{self.queue}"

    def batches(self, session: Session) -> Iterator[PikaBatch]:
        import pika  # the workers only
        from pika.exceptions import ChannelClosedByBroker

        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            channel.queue_declare(self.queue, durable=True)  # as Rasa declares it
            channel.basic_qos(prefetch_count=self.batch_size)
            try:
                messages = channel.consume(self.queue, exclusive=True, inactivity_timeout=self.wait_seconds)
                for _ in range(MAX_BATCHES):
                    items, last_tag = [], None
                    for method, _properties, body in messages:
                        if method is None:  # quiet for wait_seconds
                            break
                        items.append((None, body))
                        last_tag = method.delivery_tag
                        if len(items) >= self.batch_size:
                            break
                    if last_tag is None:
                        break
                    yield PikaBatch(items, channel, last_tag)
                    if len(items) < self.batch_size:
                        break
                channel.cancel()  # what was delivered and not acked goes back to the queue
            except ChannelClosedByBroker as exc:
                if exc.reply_code != 403:  # 403: another worker is consuming it now
                    raise
        finally:
            if connection.is_open:
                connection.close()
