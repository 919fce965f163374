"""Building trackers and reading results in action tests."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from nagarik import db
from nagarik.citizens import subscriptions

DEMO_SENDER = "919876543210"  # owns BC-2026-001234, PT-2026-004512 and MC-2020-000589 (tests/fixtures/seed)
OTHER_SENDER = "917000000001"  # owns nothing


def make_tracker(
    *,
    text: str = "",
    intent: str | None = None,
    entities: list[tuple[str, str]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = DEMO_SENDER,
    active_loop: str | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker as the action server receives it after the citizen's latest message (after the
    events of `history`, oldest first)."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95} if intent else {},
        "entities": [{"entity": name, "value": value} for name, value in entities or []],
    }
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message=latest,
        events=[*(history or []), {"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def responses(dispatcher: Any) -> list[str]:
    return [message.get("response") for message in dispatcher.messages]


def run_action(action: Any, domain: dict[str, Any], **tracker_args: Any) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    """Run an action on a real tracker: the dispatcher and the events (awaited if it is async)."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, make_tracker(**tracker_args), domain)
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher, events


def noticed(phone: str = DEMO_SENDER) -> None:
    """The citizen has seen the privacy notice already (so first contact does not interfere)."""
    with db.session_scope() as session:
        subscriptions.notice_shown(session, phone)
