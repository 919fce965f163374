"""What to do about an error from the Graph API: retry, give up on this message, or stop sending.

Meta advises deciding by the error code, not the HTTP status (shared/reference §2).
"""

from __future__ import annotations

import enum


class Action(enum.Enum):
    RETRY = "retry"  # throttled or transient: back off with jitter and try again
    DROP = "drop"  # this message can never go (window closed, bad template, undeliverable): record it
    STOP = "stop"  # the account cannot send at all (token expired, blocked): stop and alert
    # The request went out but no answer came (a timeout, a broken connection): Meta may or may
    # not have the message. Sending it again may send it twice: first look for a status webhook
    # carrying the message's callback data (Meta echoes it), then resend.
    UNKNOWN = "unknown"


RETRY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131053, 131056, 131057})
STOP_CODES = frozenset({190, 368, 131031})


def classify(http_status: int | None, code: int | None) -> Action:
    """None for http_status means the request never got an answer (timeout, connection error)."""
    if code in STOP_CODES or http_status == 401:
        return Action.STOP
    if code in RETRY_CODES:
        return Action.RETRY
    if code is not None and 132000 <= code < 133000:
        return Action.DROP  # template errors: fix the template, never hot-retry
    if http_status is None or http_status >= 500 or http_status == 429:
        return Action.RETRY
    return Action.DROP


def is_final(action: Action | None) -> bool:
    """Whether this outcome of a send stands for good: accepted, or an error no retry can mend."""
    return action not in (Action.RETRY, Action.UNKNOWN)


def backoff_seconds(attempt: int, code: int | None, jitter: float) -> float:
    """Wait before retry `attempt` (1, 2, ...). The pair limit (131056) wants 4^n seconds;
    everything else doubles from half a second. `jitter` in [0, 1) spreads retries out."""
    base = 4.0 ** (attempt - 1) if code == 131056 else 0.5 * 2 ** (attempt - 1)
    return min(base, 60.0) * (0.75 + 0.5 * jitter)
