"""The simulator's wall clock: real time plus an offset tests can advance (24 h windows, URL expiry)."""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def stamp(self) -> str:
        """Meta's webhook timestamps: Unix seconds as a string."""
        return str(int(self.now()))
