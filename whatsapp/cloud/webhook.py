"""What Meta's webhook asks of us, independent of the web server that carries it: the GET
handshake and the POSTed events (size, then the signature over the raw bytes before any parsing,
then the durable inbox). The Rasa channel's route and the stand-alone receiver both answer with
these, so the two doors behave alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from whatsapp import limits, signature
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import Store
from whatsapp.inbound import InboundMessage, WebhookError, parse_body

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | str  # a str is sent as text (the handshake's challenge)
    accepted: tuple[InboundMessage, ...] = ()


def handshake(args: Mapping[str, str | None], verify_token: str) -> Answer:
    """Meta's subscription check: echo the challenge when the verify token is ours (constant time)."""
    if args.get("hub.mode") == "subscribe" and signature.token_matches(args.get("hub.verify_token"), verify_token):
        return Answer(200, str(args.get("hub.challenge") or ""))
    return Answer(403, "verification failed")


def receive(body: bytes | None, signature_header: str | None, settings: WhatsAppSettings, store: Store) -> Answer:
    """Check, parse and store one POST (`body` None: it passed the limit while it arrived);
    blocking (database work), so callers run it off their event loop."""
    if body is None or len(body) > limits.MAX_WEBHOOK_BYTES:
        return Answer(413, {"error": "body too large"})
    check = signature.check(signature_header, body, settings.app_secret)
    if check is not signature.SignatureCheck.OK:
        return Answer(check.http_status, {"error": f"signature {check.value}"})
    try:
        parsed = parse_body(body, phone_number_id=settings.phone_number_id)
    except WebhookError as exc:
        return Answer(400, {"error": str(exc)})
    for problem in parsed.problems:
        logger.info("webhook: %s", problem)
    new = store.accept(parsed)  # durable before the 200
    return Answer(200, {"status": "ok", "accepted": len(new), "statuses": len(parsed.statuses)}, tuple(new))


def inbox_health(store: Store, wamid: str | None) -> dict[str, Any]:
    """The internal health route's answer, for both doors: inbox counts by state or, given a
    wamid, that one message's state (for tests and operators). Blocking (database work)."""
    if wamid:
        return {"wamid": wamid, "state": store.message_state(wamid)}
    return {"status": "ok", "inbox": store.inbox_states()}
