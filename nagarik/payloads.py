"""Rasa payloads: what a button or list row sends back, "/intent{"entity":"value"}".

Rasa reads such a message as that intent with those entities, without the NLU. Standard library
only: the actions, the outbound engine and the channel's environment all build them.
"""

from __future__ import annotations

import json


def intent_payload(intent: str, **entities: object) -> str:
    """`/intent` alone, or `/intent{...}` with the entities as compact JSON (values as strings)."""
    if not entities:
        return f"/{intent}"
    values = {name: str(value) for name, value in entities.items()}
    return f"/{intent}" + json.dumps(values, ensure_ascii=False, separators=(",", ":"))
