"""Rasa payloads: what a button or list row sends back, "/intent{"entity":"value"}".

Rasa reads such a message as that intent with those entities, without the NLU. A button's or a
row's id on the wire is such a payload, and the channel turns media and pins into one; the
actions and the outbound engine build them too, all here.
"""

from __future__ import annotations

import json


def intent_payload(intent: str, **entities: object) -> str:
    """`/intent` alone, or `/intent{...}` with the entities as compact JSON (values as strings;
    an entity whose value is None is left out)."""
    values = {name: str(value) for name, value in entities.items() if value is not None}
    if not values:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def readable(payload: str) -> str:
    """Words a citizen can read for a payload, for a button whose title is missing: the entity
    values of `/intent{...}` ("trade licence" for `/inform{"service":"trade_licence"}`), else the
    intent's name, else the payload as it is."""
    if not payload.startswith("/"):
        return payload
    intent, brace, rest = payload[1:].partition("{")
    words = intent
    if brace:
        try:
            entities = json.loads(brace + rest)
        except (ValueError, RecursionError):  # not JSON, or nested past what json reads
            entities = None
        if isinstance(entities, dict) and entities:
            words = " ".join(str(value) for value in entities.values())
    return " ".join(words.replace("_", " ").split())
