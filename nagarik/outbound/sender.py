"""Sending a batch of broadcast copies: claim, checks, pacing, the Graph API and what happened.

Used by the queue's workers (nagarik.outbound.queue), one Sender per worker thread. A batch costs a handful
of statements whatever its size: one claim, one reservation of the number's slots and one of the
citizens' 6-second gaps, one lease extension (to past the last slot), one look at consent (STOP,
opt-outs of a topic or a reminder kind: nagarik.outbound.consent) and cancellation at the claim
and again just before the first slot, one record of the results. A citizen known only by a
business-scoped user id (no phone number) is addressed by it, as the channel answers them
(whatsapp.messages.addressed). Inside a citizen's customer-service window the text goes
free-form (with its image, video or PDF); outside it only as the broadcast's approved template,
within the daily tier. A copy whose worker died mid-send is checked against the statuses Meta
sent back (its callback data) before it is sent again, so nobody gets it twice. A copy whose
slot has passed by more than LATE (a stalled worker) takes a new slot instead of going at once:
a backlog is never sent in one burst. A send that timed out or met an error a retry can mend is
tried again later (RETRY_SECONDS, doubling), after the same look for its status; only an error
that no retry mends makes a copy `failed`, and one that never got an answer in
MAX_SEND_ATTEMPTS tries ends `unknown`, not sent twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from nagarik import db
from nagarik import settings as civic_settings
from nagarik.db import models
from nagarik.outbound import broadcasts, consent, pacing
from nagarik.outbound.broadcasts import Claimed, Outcome
from nagarik.outbound.messages import message_body, ward_names
from whatsapp.cloud.graph import GraphClient, GraphResult
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import Store, windows
from whatsapp.cloud.transport import outbound_transport
from whatsapp.errors import Action, is_final
from whatsapp.limits import CUSTOMER_SERVICE_WINDOW_SECONDS

logger = logging.getLogger(__name__)
LATE = 0.1  # seconds past its slot after which a copy takes a new slot rather than bunching up
MAX_ROUNDS = 5  # of new slots for late copies in one batch
MAX_SEND_ATTEMPTS = 8  # claims of one copy; with RETRY_SECONDS doubling, about 10 minutes of retries
RETRY_SECONDS = 5.0


@dataclass
class Ready:
    """A claimed copy that passed every check: its message and the earliest time it may go."""

    id: int
    broadcast_id: int
    phone: str
    body: dict[str, Any]
    interval: float  # the number's slot spacing for this broadcast's priority
    citizen_slot: float
    attempts: int  # claims so far, this one included
    at: float = 0.0


@dataclass
class Sender:
    graph: GraphClient
    window_store: Store
    settings: WhatsAppSettings
    messages_per_second: float
    tier: int | None = None

    @classmethod
    def from_environment(cls) -> Sender:
        """A sender for one worker thread (its HTTP client belongs to that thread's event loop);
        settings and the window store are made once per worker process."""
        settings, store, rate, tier = _shared()
        graph = GraphClient(settings, timeout=settings.http_timeout, transport=outbound_transport(settings.http_client))
        return cls(graph, store, settings, rate, tier)

    @property
    def number_key(self) -> str:
        return f"number:{self.settings.phone_number_id}"

    async def send_many(self, recipient_ids: list[int]) -> list[Outcome]:
        """Send a batch; returns the outcomes, among them the copies to try again later."""
        ready = self.prepare(recipient_ids)
        outcomes: list[Outcome] = []
        for _round in range(MAX_ROUNDS):
            if not ready:
                break
            # Just before the batch's first slot: a copy whose consent went since the claim (STOP, an
            # opt-out of its topic or reminder kind) or whose broadcast was cancelled is skipped.
            await asyncio.sleep(max(0.0, min(copy.at for copy in ready) - time.time() - 0.05))
            withdrawn = self._withdrawn(ready)
            outcomes += [Outcome(copy.id, "skipped", reason=withdrawn[copy.id]) for copy in ready if copy.id in withdrawn]
            ready = [copy for copy in ready if copy.id not in withdrawn]
            # Every send runs to its end (an error in one does not leave others running unrecorded).
            results = await asyncio.gather(*(self._send_at(copy) for copy in ready), return_exceptions=True)
            for copy, result in zip(ready, results, strict=True):
                if isinstance(result, BaseException):  # not recorded: the lease runs out and the sweep retries it
                    logger.error("broadcast copy %s: %r", copy.id, result)
                elif result is not None:
                    outcomes.append(_outcome(copy, result))
            ready = [copy for copy, result in zip(ready, results, strict=True) if result is None]
            if ready:  # woke too late for their slots: new slots, never a burst
                with db.session_scope() as session:
                    self._schedule(session, ready)
        # Copies still late after MAX_ROUNDS keep their lease; the sweep hands them out again after it.
        with db.session_scope() as session:
            broadcasts.record_many(session, outcomes)
        return outcomes

    def prepare(self, recipient_ids: list[int]) -> list[Ready]:
        """Claim the batch, settle what needs no send (cancelled, consent withdrawn, already sent,
        over the tier) and give every other copy its send time: one transaction."""
        with db.session_scope() as session:
            claimed = broadcasts.take(session, recipient_ids)
            if not claimed:
                return []
            in_window = self._windows_open([copy.phone for copy in claimed])
            # A copy claimed before may have reached Meta just before its worker died: its status says so.
            earlier = {c.id: self.window_store.sent_with_callback(_callback(c)) for c in claimed if c.attempts > 1}
            settled: list[Outcome] = []
            ready: list[Ready] = []
            withdrawn = consent.withdrawn(session, [(copy.id, copy.broadcast_id, copy.phone) for copy in claimed])
            outside: list[Claimed] = []
            for copy in claimed:
                if copy.id in withdrawn:  # STOP or an opt-out wins, even mid-broadcast
                    settled.append(Outcome(copy.id, "skipped", reason=withdrawn[copy.id]))
                elif earlier.get(copy.id):  # a worker died after Meta took it: record, do not send again
                    settled.append(Outcome(copy.id, "sent", wamid=earlier[copy.id]))
                elif not in_window[copy.phone]:
                    outside.append(copy)
            allowed = pacing.allowed_outside_window(session, [copy.phone for copy in outside], self.tier)
            settled += [Outcome(c.id, "held") for c in outside if c.phone not in allowed]  # the sweep retries them
            done = {outcome.recipient_id for outcome in settled}
            to_send = [copy for copy in claimed if copy.id not in done]
            citizen_slots = pacing.pacer(session).reserve(
                {f"citizen:{copy.phone}": 1 for copy in to_send}, pacing.CITIZEN_GAP_SECONDS
            )
            wards: dict[int, dict[str, str]] = {}
            unbuildable: dict[int, str] = {}  # broadcast id -> why its copies cannot be built
            for copy in to_send:
                broadcast = session.get(models.Broadcast, copy.broadcast_id)
                if broadcast.id in unbuildable:
                    continue
                try:
                    if broadcast.id not in wards:
                        wards[broadcast.id] = ward_names(session, broadcast)
                    body = message_body(broadcast, copy.language, in_window[copy.phone], wards[broadcast.id])
                except DBAPIError:
                    raise  # the database, not the broadcast: the batch is retried
                except Exception as exc:  # stored data no message can be made of: fail it, not the batch forever
                    logger.error("broadcast %s cannot be built: %r", broadcast.id, exc)
                    unbuildable[broadcast.id] = f"a copy cannot be built: {type(exc).__name__}: {exc}"
                    continue
                body["biz_opaque_callback_data"] = _callback(copy)
                interval = pacing.throughput_interval(self.messages_per_second, broadcast.priority)
                slot = citizen_slots[f"citizen:{copy.phone}"]
                ready.append(Ready(copy.id, broadcast.id, copy.phone, body, interval, slot, copy.attempts))
            ready = [copy for copy in ready if copy.broadcast_id not in unbuildable]
            broadcasts.record_many(session, settled)
            for broadcast_id, reason in unbuildable.items():  # after the outcomes: its unsent copies end failed
                broadcasts.fail(session, broadcast_id, reason)
            self._schedule(session, ready)
        return ready

    def _schedule(self, session: Any, ready: list[Ready]) -> None:
        """Reserve the number's slots for these copies (last, so a shared row is locked briefly) and
        keep their lease until the last of them has gone."""
        pacer = pacing.pacer(session)
        for interval in {copy.interval for copy in ready}:
            group = [copy for copy in ready if copy.interval == interval]
            start = pacer.reserve({self.number_key: len(group)}, interval)[self.number_key]
            for n, copy in enumerate(group):
                copy.at = max(start + n * interval, copy.citizen_slot)
        if ready:
            last = max(copy.at for copy in ready)
            until = dt.datetime.fromtimestamp(last, dt.timezone.utc).replace(tzinfo=None) + broadcasts.LEASE
            broadcasts.extend_lease(session, [copy.id for copy in ready], until)

    async def _send_at(self, copy: Ready) -> GraphResult | None:
        """Send at the copy's slot; None if the worker woke too late for it."""
        await asyncio.sleep(max(0.0, copy.at - time.time()))
        if time.time() - copy.at > LATE:
            return None
        return await self.graph.send(copy.phone, copy.body)

    def _withdrawn(self, ready: list[Ready]) -> dict[int, str]:
        """Copies no longer wanted, with the reason (nagarik.outbound.consent)."""
        with db.session_scope() as session:
            return consent.withdrawn(session, [(copy.id, copy.broadcast_id, copy.phone) for copy in ready])

    def _windows_open(self, phones: list[str]) -> dict[str, bool]:
        """Whose 24-hour window is open, in one query of the channel's store."""
        since = time.time() - CUSTOMER_SERVICE_WINDOW_SECONDS
        with self.window_store.engine.connect() as connection:
            rows = connection.execute(select(windows.c.sender, windows.c.last_inbound_at).where(windows.c.sender.in_(phones)))
            open_now = {sender for sender, last in rows if last > since}
        return {phone: phone in open_now for phone in phones}


def _callback(copy: Claimed) -> str:
    return f"broadcast:{copy.broadcast_id}:{copy.phone}"


def _outcome(copy: Ready, result: GraphResult) -> Outcome:
    if result.wamid:
        return Outcome(copy.id, "sent", wamid=result.wamid)
    if is_final(result.action):
        return Outcome(copy.id, "failed", error_code=result.error_code)
    if copy.attempts >= MAX_SEND_ATTEMPTS:  # given up: never answered, or still throttled
        return Outcome(copy.id, "unknown" if result.action is Action.UNKNOWN else "failed", error_code=result.error_code)
    delay = retry_seconds(copy.attempts)
    until = dt.datetime.fromtimestamp(time.time() + delay, dt.timezone.utc).replace(tzinfo=None)
    return Outcome(copy.id, "retrying", error_code=result.error_code, retry_at=until)


def retry_seconds(attempts: int) -> float:
    """How long a copy waits before its next try, after `attempts` claims (capped at 10 minutes)."""
    return min(RETRY_SECONDS * 2 ** (attempts - 1), 600.0)


_shared_lock = threading.Lock()


def window_store() -> Store:
    """The channel's store as this worker process shares it (windows, statuses)."""
    return _shared()[1]


def _shared() -> tuple[WhatsAppSettings, Store, float, int | None]:
    with _shared_lock:  # the worker's threads start together; the store creates its tables once
        return _shared_once()


@lru_cache(maxsize=1)
def _shared_once() -> tuple[WhatsAppSettings, Store, float, int | None]:
    settings = WhatsAppSettings.load()
    return settings, Store(settings.store_url), civic_settings.messages_per_second(), civic_settings.messaging_tier()
