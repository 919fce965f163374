"""Sending one broadcast copy: pacing, the 24-hour window, the Graph API and what happened.

Used by the queue's workers (nagarik.tasks). Inside a citizen's customer-service window the text
goes free-form (with its image, video or PDF); outside it only as the broadcast's approved
template. A copy whose worker died mid-send is checked against the statuses Meta sent back
(its callback data) before it is sent again, so nobody gets it twice.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from functools import lru_cache

from channels.whatsapp_graph import GraphClient
from channels.whatsapp_settings import WhatsAppSettings
from channels.whatsapp_store import Store
from nagarik import broadcasts, db, pacing
from nagarik.broadcast_messages import message_body, ward_names
from whatsapp.limits import CUSTOMER_SERVICE_WINDOW_SECONDS


@dataclass
class Sender:
    graph: GraphClient
    window_store: Store
    settings: WhatsAppSettings
    messages_per_second: float
    tier: int | None = None

    @classmethod
    def from_environment(cls) -> Sender:
        """A sender for one batch. The HTTP client is per batch (each runs its own event loop);
        settings and the window store are made once per worker process."""
        settings, store, rate, tier = _shared()
        return cls(GraphClient(settings, timeout=settings.http_timeout), store, settings, rate, tier)

    async def send_many(self, recipient_ids: list[int]) -> None:
        with db.session_scope() as session:
            claimed = broadcasts.claim(session, recipient_ids)
        for recipient_id in claimed:
            await self.send_one(recipient_id)

    async def send_one(self, recipient_id: int) -> None:
        """Send one claimed copy."""
        with db.session_scope() as session:
            recipient = session.get(db.BroadcastRecipient, recipient_id)
            broadcast = session.get(db.Broadcast, recipient.broadcast_id)
            citizen = session.get(db.Citizen, recipient.phone)
            stopped = citizen and citizen.opted_out_at and broadcast.kind != "notification"
            if broadcast.status == "cancelled" or stopped:
                broadcasts.record(session, recipient_id, state="skipped")  # STOP wins, even mid-broadcast
                return
            callback = f"broadcast:{broadcast.id}:{recipient.phone}"
            already = self.window_store.sent_with_callback(callback)
            if already:  # a worker died after Meta took it: record, do not send again
                broadcasts.record(session, recipient_id, state="sent", wamid=already)
                return
            interval = pacing.throughput_interval(self.messages_per_second, broadcast.priority)
            number_slot = pacing.reserve(session, f"number:{self.settings.phone_number_id}", interval)
            citizen_slot = pacing.reserve(session, f"citizen:{recipient.phone}", pacing.CITIZEN_GAP_SECONDS)
            in_window = self.window_store.window_open(recipient.phone, CUSTOMER_SERVICE_WINDOW_SECONDS)
            if not in_window and not pacing.may_contact_outside_window(session, recipient.phone, self.tier):
                broadcasts.record(session, recipient_id, state="held")  # over the daily tier: the sweep retries it
                return
            body = message_body(broadcast, recipient.language, in_window, ward_names(session, broadcast))
            body["biz_opaque_callback_data"] = callback
        await asyncio.sleep(max(0.0, max(number_slot, citizen_slot) - time.time()))
        result = await self.graph.send(recipient.phone, body)
        with db.session_scope() as session:
            if result.wamid:
                broadcasts.record(session, recipient_id, state="sent", wamid=result.wamid)
            else:
                broadcasts.record(session, recipient_id, state="failed", error_code=result.error_code)


@lru_cache(maxsize=1)
def _shared() -> tuple[WhatsAppSettings, Store, float, int | None]:
    settings = WhatsAppSettings.load()
    return (
        settings,
        Store(settings.store_url),
        float(os.environ.get("NAGARIK_MESSAGES_PER_SECOND") or 80),
        pacing.messaging_tier(),
    )
