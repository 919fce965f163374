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
