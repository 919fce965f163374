"""A compact record of every accepted send and every refusal, never trimmed (the logs keep only the
newest 20,000 entries): time and recipient of each send, a count per error code. About 100 bytes a
send, so a broadcast of 100,000 can be counted afterwards (duplicates, losses, busiest second)."""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any


class Ledger:
    def __init__(self) -> None:
        self.times = array("d")
        self.recipients: list[str] = []
        self.errors: Counter[int] = Counter()

    def accepted(self, now: float, recipient: str) -> None:
        self.times.append(now)
        self.recipients.append(recipient)

    def refused(self, code: int) -> None:
        self.errors[code] += 1

    def as_dict(self, after: int = 0) -> dict[str, Any]:
        """Sends after the first `after` ones (for paging through a long run), and all error counts."""
        return {
            "count": len(self.times),
            "times": self.times[after:].tolist(),
            "to": self.recipients[after:],
            "errors": {str(code): count for code, count in sorted(self.errors.items())},
        }
