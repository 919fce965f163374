"""A compact record of every accepted send and every refusal, never trimmed (the logs keep only the
newest 20,000 entries): time and recipient of each send, a count per error code; and of every
webhook post, its time, how long the receiver took to answer and whether it answered 200. About
100 bytes a send, so a broadcast of 100,000 can be counted afterwards (duplicates, losses,
busiest second, the receiver's acknowledgement times under the status webhooks it brought)."""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any


class Ledger:
    def __init__(self) -> None:
        self.times = array("d")
        self.recipients: list[str] = []
        self.errors: Counter[int] = Counter()
        self.webhook_times = array("d")
        self.webhook_latency_ms = array("d")
        self.webhook_failures = 0  # posts answered with anything but 200, or not at all

    def accepted(self, now: float, recipient: str) -> None:
        self.times.append(now)
        self.recipients.append(recipient)

    def refused(self, code: int) -> None:
        self.errors[code] += 1

    def webhook(self, now: float, latency_ms: float, ok: bool) -> None:
        self.webhook_times.append(now)
        self.webhook_latency_ms.append(latency_ms)
        self.webhook_failures += not ok

    def as_dict(self, after: int = 0) -> dict[str, Any]:
        """Sends after the first `after` ones (for paging through a long run), and all error counts."""
        return {
            "count": len(self.times),
            "times": self.times[after:].tolist(),
            "to": self.recipients[after:],
            "errors": {str(code): count for code, count in sorted(self.errors.items())},
            "webhooks": {
                "times": self.webhook_times.tolist(),
                "latency_ms": self.webhook_latency_ms.tolist(),
                "failures": self.webhook_failures,
            },
        }
