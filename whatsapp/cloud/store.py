"""The channel's durable state: inbox, outbox with delivery statuses, 24-hour windows, the
statuses of broadcast copies still to be copied into the civic database, and the media fetched
from each citizen (their daily quota).

A webhook's messages are committed here before Meta gets its 200, so a process that dies
afterwards loses nothing: another process (or this one restarted) claims them. The wamid is
unique, so a message Meta delivers twice, or to two processes, is processed once. Claims
carry a lease; only a citizen's oldest unfinished message may be claimed, so their messages
are handled in order even with several processes.

SQLAlchemy Core that runs under Rasa's SQLAlchemy 1.4 and under 2.x; like Rasa's own tracker
store it makes its tables itself, by migrations (whatsapp.cloud.migrate). SQLite by default, PostgreSQL by URL.
"""

from __future__ import annotations

import json
import select as readiness
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from whatsapp.cloud import migrate
from whatsapp.inbound import InboundMessage, StatusUpdate, Webhook

# PostgreSQL's LISTEN/NOTIFY channel on which the receiver tells the Rasa processes that the
# inbox has new messages, so that they need not wait for their next poll.
INBOX_CHANNEL = "whatsapp_inbox"

metadata = MetaData()
inbox = Table(
    "whatsapp_inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # arrival order
    Column("wamid", String(191), nullable=False, unique=True),
    Column("sender", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),  # the parsed InboundMessage as JSON
    Column("state", String(16), nullable=False, index=True),  # pending | processing | done | failed | ignored
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(64)),
    Column("lease_until", Float),
    Column("not_before", Float),
    Column("received_at", Float, nullable=False),
    Column("last_error", Text),
)
outbox = Table(
    "whatsapp_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wamid", String(191), unique=True),  # None until (unless) Meta accepted it
    Column("recipient", String(64), nullable=False, index=True),
    Column("inbound_wamid", String(191), index=True),  # the message this answers
    Column("body", Text),
    Column("state", String(16), nullable=False),  # accepted | refused | failed | status_only
    Column("status", String(16)),  # highest of sent < delivered < read; failed is kept apart
    Column("error_code", Integer),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("delivered_at", Float),
    Column("read_at", Float),
    Column("failed_at", Float),
    Column("callback_data", String(191), index=True),  # echoed by Meta: ties a status to a broadcast copy
)
# Status webhooks of broadcast copies (callback data "broadcast:<id>:<phone>"), kept until the
# broadcast workers have written them into the civic database (nagarik.outbound.delivery): the channel runs
# under Rasa's pins and may use another database, so it never writes the civic tables itself.
broadcast_statuses = Table(
    "whatsapp_broadcast_statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("callback_data", String(191), nullable=False),
    Column("status", String(16), nullable=False),  # sent | delivered | read | failed
    Column("error_code", Integer),
    Column("received_at", Float, nullable=False),
)
BROADCAST_CALLBACK = "broadcast:"
windows = Table(
    "whatsapp_windows",
    metadata,
    Column("sender", String(64), primary_key=True),
    Column("last_inbound_at", Float, nullable=False),
)

# One row per citizen's file downloaded (kept or not): the daily quota counts them.
media_fetches = Table(
    "whatsapp_media_fetches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wamid", String(191), nullable=False, unique=True),  # a retried turn counts its file once
    Column("sender", String(64), nullable=False, index=True),
    Column("bytes", Integer, nullable=False),
    Column("fetched_at", Float, nullable=False),
)
QUOTA_SECONDS = 24 * 60 * 60  # the quota's moving window

# Conversations an officer answers from the console (a live handoff). While a citizen's row is
# "held" the channel logs their messages for the officer and the assistant stays silent; the
# console sets "released" to give them back, and the channel deletes the row once it resumed
# the assistant. The console writes this table and the channel reads it: both open this store.
holds = Table(
    "whatsapp_holds",
    metadata,
    Column("sender", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # held | released
    Column("held_by", String(64), nullable=False),
    Column("since", Float, nullable=False),
)
HELD, RELEASED = "held", "released"

STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3}
LEASE_SECONDS = 120.0


class Claim(NamedTuple):
    row_id: int
    message: InboundMessage
    attempt: int  # 1 the first time the message is handled; more after a failure or a lost lease


class Store:
    def __init__(self, url: str) -> None:
        self._statements: dict[tuple[str, ...], Any] = {}  # the webhook statements, built once (_statement)
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

            @event.listens_for(self.engine, "connect")
            def _pragmas(connection: Any, _record: Any) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        migrate.upgrade(self.engine)  # the tables, by Alembic migrations (whatsapp/cloud/migrations)

    # --- webhooks in -----------------------------------------------------------------------

    def accept(self, webhook: Webhook, now: float | None = None) -> list[InboundMessage]:
        """Store a webhook's messages and statuses in one transaction; return the new messages."""
        now = now or time.time()
        new: list[InboundMessage] = []
        with self.engine.begin() as connection:
            for message in webhook.messages:
                state = "ignored" if message.kind == "ignored" else "pending"
                if not self._store_message(connection, message, state, now):
                    continue  # delivered before: already stored
                if state == "pending":
                    new.append(message)
                self._open_window(connection, message.sender, now)
            for status in webhook.statuses:
                self._apply_status(connection, status, now)
            if new and self.notifies:
                connection.execute(text(f"NOTIFY {INBOX_CHANNEL}"))  # delivered at commit, with the rows
        return new

    @property
    def notifies(self) -> bool:
        """Whether other processes can be told of new messages (PostgreSQL); else they poll."""
        return self.engine.dialect.name == "postgresql"

    def listen(self, on_new: Callable[[], None], stop: threading.Event, timeout: float = 5.0) -> None:
        """Call `on_new` whenever any process stored new messages, until `stop` is set (a thread's
        loop; PostgreSQL only). A lost connection is reopened; the callers' polls cover the gap."""
        while not stop.is_set():
            try:
                connection = self.engine.raw_connection()
            except Exception:
                stop.wait(timeout)
                continue
            try:
                driver = getattr(connection, "dbapi_connection", None) or connection.connection  # SQLAlchemy 2, 1.4
                driver.autocommit = True
                with driver.cursor() as cursor:
                    cursor.execute(f"LISTEN {INBOX_CHANNEL}")
                while not stop.is_set():
                    if readiness.select([driver], [], [], timeout) == ([], [], []):
                        continue
                    driver.poll()
                    if driver.notifies:
                        driver.notifies.clear()
                        on_new()
            except Exception:
                stop.wait(timeout)
            finally:
                connection.invalidate()  # a listening, autocommit connection never goes back to the pool

    def _insert(self, table: Table) -> Any:
        """An INSERT that can say ON CONFLICT (PostgreSQL's and SQLite's): one statement where a
        savepoint, an insert and a second try were three round trips for every webhook."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _statement(self, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
        """Each webhook statement built once, its values bound at each call: building and compiling
        them anew was most of the receiver's CPU for a webhook (bench/receiver.py)."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def _store_message(self, connection: Any, message: InboundMessage, state: str, now: float) -> bool:
        """Whether the message is new (a repeated delivery is stored once)."""

        def build() -> Any:
            columns = ("wamid", "sender", "kind", "message", "state", "received_at")
            values = {name: bindparam(name) for name in columns}
            return self._insert(inbox).values(**values, attempts=0).on_conflict_do_nothing(index_elements=["wamid"])

        row = {
            "wamid": message.id,
            "sender": message.sender,
            "kind": message.kind,
            "message": json.dumps(asdict(message), ensure_ascii=False),
            "state": state,
            "received_at": now,
        }
        return connection.execute(self._statement(("inbox",), build), row).rowcount == 1

    def _open_window(self, connection: Any, sender: str, now: float) -> None:
        def build() -> Any:
            statement = self._insert(windows).values(sender=bindparam("sender"), last_inbound_at=bindparam("now"))
            latest = {"last_inbound_at": statement.excluded.last_inbound_at}
            return statement.on_conflict_do_update(index_elements=["sender"], set_=latest)

        connection.execute(self._statement(("window",), build), {"sender": sender, "now": now})

    def _apply_status(self, connection: Any, status: StatusUpdate, now: float) -> None:
        """One statement per status. Statuses arrive out of order (read before delivered) and may
        overtake our record of the send (then a status_only row holds them): each time is kept
        from its first report, and the status only ever rises (sent < delivered < read)."""
        name, has_callback = status.status, bool(status.callback_data)

        def build() -> Any:
            at, ranked = f"{name}_at", name in STATUS_RANK
            statement = self._insert(outbox).values(
                wamid=bindparam("wamid"),
                recipient=bindparam("recipient"),
                state="status_only",
                created_at=bindparam("now"),
                status=name if ranked else None,
                error_code=bindparam("error_code"),
                callback_data=bindparam("callback_data"),
                **{at: bindparam("stamp")},
            )
            changes: dict[str, Any] = {at: func.coalesce(outbox.c[at], statement.excluded[at])}
            if has_callback:
                changes["callback_data"] = statement.excluded.callback_data
            if ranked:
                rank = case(STATUS_RANK, value=outbox.c.status, else_=0)
                changes["status"] = case((rank < STATUS_RANK[name], statement.excluded.status), else_=outbox.c.status)
            else:
                changes["error_code"] = statement.excluded.error_code
            return statement.on_conflict_do_update(index_elements=["wamid"], set_=changes)

        row = {
            "wamid": status.id,
            "recipient": status.recipient,
            "now": now,
            "stamp": float(status.timestamp) if status.timestamp else now,
            "error_code": None if name in STATUS_RANK else status.error_code,
            "callback_data": status.callback_data,
        }
        connection.execute(self._statement(("status", name, str(has_callback)), build), row)
        if status.callback_data and status.callback_data.startswith(BROADCAST_CALLBACK):
            connection.execute(
                broadcast_statuses.insert().values(
                    callback_data=status.callback_data, status=status.status, error_code=status.error_code, received_at=now
                )
            )

    # --- the worker ------------------------------------------------------------------------

    def senders_waiting(self, now: float | None = None) -> list[str]:
        """Citizens with a message that may be claimed now, oldest first."""
        now = now or time.time()
        claimable = or_(inbox.c.state == "pending", and_(inbox.c.state == "processing", inbox.c.lease_until < now))
        ready = or_(inbox.c.not_before.is_(None), inbox.c.not_before <= now)
        query = (
            select(inbox.c.sender, func.min(inbox.c.id).label("first"))
            .where(claimable, ready)
            .group_by(inbox.c.sender)
            .order_by("first")
        )
        with self.engine.connect() as connection:
            return [row.sender for row in connection.execute(query)]

    def claim_next(self, sender: str, owner: str, now: float | None = None) -> Claim | None:
        """The citizen's oldest unfinished message, if nobody else holds it and it is due."""
        now = now or time.time()
        with self.engine.begin() as connection:
            row = (
                connection.execute(
                    select(inbox)
                    .where(inbox.c.sender == sender, inbox.c.state.in_(("pending", "processing")))
                    .order_by(inbox.c.id)
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if row is None or (row["not_before"] or 0) > now:
                return None
            claimed = connection.execute(
                update(inbox)
                .where(
                    inbox.c.id == row["id"],
                    or_(inbox.c.state == "pending", and_(inbox.c.state == "processing", inbox.c.lease_until < now)),
                )
                .values(state="processing", claimed_by=owner, lease_until=now + LEASE_SECONDS, attempts=inbox.c.attempts + 1)
            )
            if claimed.rowcount != 1:
                return None
            return Claim(row["id"], InboundMessage(**json.loads(row["message"])), row["attempts"] + 1)

    def was_answered(self, wamid: str) -> bool:
        """Whether a reply to this message was already accepted by Meta (a crash after replying)."""
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    select(outbox.c.id).where(outbox.c.inbound_wamid == wamid, outbox.c.state == "accepted").limit(1)
                ).first()
                is not None
            )

    def finish(self, row_id: int, state: str = "done", error: str | None = None) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(inbox).where(inbox.c.id == row_id).values(state=state, lease_until=None, last_error=error))

    def retry_later(self, row_id: int, delay: float, error: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(inbox)
                .where(inbox.c.id == row_id)
                .values(state="pending", not_before=time.time() + delay, lease_until=None, last_error=error)
            )

    def attempts(self, row_id: int) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(inbox.c.attempts).where(inbox.c.id == row_id)).scalar_one()

    # --- media quota -----------------------------------------------------------------------

    def media_fetched(self, sender: str, now: float | None = None) -> tuple[int, int]:
        """How many files, and how many bytes, were fetched from this citizen in the last 24 hours."""
        now = now or time.time()
        query = select(func.count(), func.coalesce(func.sum(media_fetches.c.bytes), 0)).where(
            media_fetches.c.sender == sender, media_fetches.c.fetched_at > now - QUOTA_SECONDS
        )
        with self.engine.connect() as connection:
            count, size = connection.execute(query).one()
        return int(count), int(size)

    def record_media_fetch(self, sender: str, wamid: str, size: int, now: float | None = None) -> None:
        """Count a downloaded file against the citizen's quota (once per message); their rows
        older than the window go."""
        now = now or time.time()
        with self.engine.begin() as connection:
            connection.execute(
                media_fetches.delete().where(media_fetches.c.sender == sender, media_fetches.c.fetched_at <= now - QUOTA_SECONDS)
            )
            try:
                with connection.begin_nested():
                    connection.execute(media_fetches.insert().values(wamid=wamid, sender=sender, bytes=size, fetched_at=now))
            except IntegrityError:
                pass  # a retried turn fetched it again: counted already

    # --- live handoffs ----------------------------------------------------------------------

    def hold(self, sender: str, by: str, now: float | None = None) -> None:
        """The assistant stops answering `sender` until released (an officer took the handoff)."""
        values = {"state": HELD, "held_by": by, "since": now or time.time()}
        with self.engine.begin() as connection:
            if not connection.execute(update(holds).where(holds.c.sender == sender).values(**values)).rowcount:
                connection.execute(holds.insert().values(sender=sender, **values))

    def release(self, sender: str) -> None:
        """Back to the assistant: the channel resumes the conversation at the citizen's next message."""
        with self.engine.begin() as connection:
            connection.execute(update(holds).where(holds.c.sender == sender).values(state=RELEASED))

    def hold_state(self, sender: str) -> str | None:
        """HELD, RELEASED or None (the assistant answers as usual): one primary-key read a message."""
        with self.engine.connect() as connection:
            return connection.execute(select(holds.c.state).where(holds.c.sender == sender)).scalar()

    def forget_hold(self, sender: str) -> None:
        """Once resumed; a hold taken again meanwhile is kept."""
        with self.engine.begin() as connection:
            connection.execute(holds.delete().where(holds.c.sender == sender, holds.c.state == RELEASED))

    def inbox_since(self, sender: str, after_id: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """A citizen's messages after inbox row `after_id`, oldest first (the officer's thread)."""
        query = (
            select(inbox.c.id, inbox.c.message, inbox.c.received_at)
            .where(inbox.c.sender == sender, inbox.c.id > after_id)
            .order_by(inbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [{"id": row["id"], "at": row["received_at"], "message": json.loads(row["message"])} for row in rows]

    def sent_to(self, recipient: str, since: float = 0.0, limit: int = 200) -> list[dict[str, Any]]:
        """What was sent to a citizen since `since` (epoch seconds), oldest first: body, state, status."""
        query = (
            select(outbox.c.id, outbox.c.body, outbox.c.state, outbox.c.status, outbox.c.created_at)
            .where(outbox.c.recipient == recipient, outbox.c.created_at >= since, outbox.c.body.is_not(None))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [{**row, "body": json.loads(row["body"])} for row in rows]

    # --- messages out ----------------------------------------------------------------------

    def window_open(self, recipient: str, window_seconds: float, now: float | None = None) -> bool:
        now = now or time.time()
        last = self.last_inbound(recipient)
        return last is not None and now - last < window_seconds

    def last_inbound(self, sender: str) -> float | None:
        """When the citizen last wrote (epoch seconds): their 24-hour window runs from then."""
        return self.last_inbound_of([sender]).get(sender)

    def last_inbound_of(self, senders: list[str]) -> dict[str, float]:
        """The same for several citizens in one query (those who never wrote are left out)."""
        query = select(windows.c.sender, windows.c.last_inbound_at).where(windows.c.sender.in_(senders))
        with self.engine.connect() as connection:
            return {sender: at for sender, at in connection.execute(query)}

    def record_send(
        self,
        *,
        recipient: str,
        body: dict[str, Any],
        state: str,
        wamid: str | None = None,
        inbound_wamid: str | None = None,
        error_code: int | None = None,
    ) -> None:
        now = time.time()
        values = {
            "recipient": recipient,
            "inbound_wamid": inbound_wamid,
            "body": json.dumps(body, ensure_ascii=False),
            "state": state,
            "error_code": error_code,
            "created_at": now,
        }
        with self.engine.begin() as connection:
            if wamid is not None:
                # A status webhook may already have created the row: keep what it recorded.
                known = {key: value for key, value in values.items() if value is not None and key != "created_at"}
                if connection.execute(update(outbox).where(outbox.c.wamid == wamid).values(**known)).rowcount:
                    return
                values["wamid"] = wamid
            connection.execute(outbox.insert().values(**values))

    def broadcast_statuses(self, limit: int = 5000) -> list[dict[str, Any]]:
        """The oldest statuses of broadcast copies not yet copied to the civic database."""
        with self.engine.connect() as connection:
            query = select(broadcast_statuses).order_by(broadcast_statuses.c.id).limit(limit)
            return [dict(row) for row in connection.execute(query).mappings()]

    def forget_broadcast_statuses(self, ids: list[int]) -> None:
        """Once copied: by id, so a status committed meanwhile with a smaller id is not lost."""
        with self.engine.begin() as connection:
            connection.execute(broadcast_statuses.delete().where(broadcast_statuses.c.id.in_(ids)))

    def sent_with_callback(self, callback_data: str) -> str | None:
        """The wamid Meta reported for a send carrying this callback data, if any status came."""
        with self.engine.connect() as connection:
            return connection.execute(select(outbox.c.wamid).where(outbox.c.callback_data == callback_data).limit(1)).scalar()

    def outbound(self, wamid: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(outbox).where(outbox.c.wamid == wamid)).mappings().first()
        return dict(row) if row else None

    def message_state(self, wamid: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(select(inbox.c.state).where(inbox.c.wamid == wamid)).scalar()

    def last_failure(self) -> dict[str, Any] | None:
        """The last message given up on: its wamid, when it came and the error, for operators."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(inbox.c.wamid, inbox.c.received_at, inbox.c.last_error)
                    .where(inbox.c.state == "failed")
                    .order_by(inbox.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def inbox_states(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state))
            return {state: count for state, count in rows}
