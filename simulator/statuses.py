"""Status webhooks for an accepted send: sent -> delivered -> read (or failed), with PMP pricing."""

from __future__ import annotations

from typing import Any

from .errors import status_error
from .state import SimState
from .webhooks import WebhookEmitter, envelope, statuses_value

WINDOW_DETAILS = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."


def pricing(category: str | None, in_window: bool) -> dict[str, Any]:
    """Per-message pricing (PMP, since 1 July 2025): service replies are free, and so are utility
    templates inside the customer-service window; other templates are billed."""
    if category is None:
        return {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}
    category = category.lower()
    if category == "utility" and in_window:
        return {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "utility"}
    return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category}


def status_object(record: dict[str, Any], status: str, stamp: str, failure: tuple[int, str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": record["wamid"], "status": status, "timestamp": stamp}
    if record["wa_id"]:
        obj["recipient_id"] = record["wa_id"]
    if record["user_id"]:
        obj["recipient_user_id"] = record["user_id"]
    callback = record["payload"].get("biz_opaque_callback_data")
    if callback is not None:
        obj["biz_opaque_callback_data"] = callback
    if failure is not None:
        obj["errors"] = [status_error(*failure)]
    else:
        obj["pricing"] = record["pricing"]
    return obj


def schedule(state: SimState, emitter: WebhookEmitter, record: dict[str, Any], failure: tuple[int, str] | None = None) -> None:
    """Queue this message's status webhooks behind the recipient's earlier ones."""
    settings = state.settings
    if failure is not None:
        sequence = ["failed"]
    else:
        sequence = ["sent", "delivered"] + (["read"] if settings.auto_read else [])
        if settings.reorder_rate and state.rng.random() < settings.reorder_rate:
            in_order = list(sequence)
            while sequence == in_order:  # e.g. delivered after read, as real webhooks sometimes arrive
                state.rng.shuffle(sequence)
    key = "status:" + record["to"]
    for name in sequence:

        def build(name: str = name) -> dict[str, Any]:
            obj = status_object(record, name, state.clock.stamp(), failure if name == "failed" else None)
            return envelope(state.config, statuses_value(state.config, [obj]))

        def done(ok: bool, name: str = name) -> None:
            record["statuses"].append({"status": name, "time": state.clock.now(), "delivered": ok})

        emitter.enqueue(key, build, kind="status", delay=settings.status_delay, on_done=done)
