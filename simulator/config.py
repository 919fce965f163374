"""Start-up configuration, and the settings tests may change at run time through /_sim/config."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

WINDOW_ERROR_MODES = ("sync", "status")
DUPLICATE_MODES = ("mixed", "identical", "reserialized")


@dataclass
class Settings:
    """Behaviour that can change while the simulator runs (POST /_sim/config)."""

    webhook_url: str | None = "http://127.0.0.1:5005/webhooks/whatsapp/webhook"
    throughput: float = 80.0  # messages per second for the number
    throughput_burst: float | None = None  # bucket size; defaults to one second's worth
    pair_period: float = 6.0  # one message per this many seconds to the same recipient...
    pair_burst: int = 45  # ...with bursts up to this many (borrowing future quota)
    media_url_ttl: float = 300.0
    media_url_host: str | None = None  # a lookup's url on this scheme://host:port instead of ours (not Meta's)
    media_download_status: int | None = None  # every media download answers this HTTP status (500: Meta failing)
    status_delay: float = 0.05  # seconds before each of sent / delivered / read
    auto_read: bool = True  # the citizen reads every delivered message
    undeliverable: list[str] = field(default_factory=list)  # recipients whose messages end `failed`
    undeliverable_code: int = 131026
    window_error: str = "sync"  # "sync": 131047 in the send answer; "status": 200, then a failed status
    duplicate_rate: float = 0.0  # chance that a delivered webhook is posted again
    duplicate_mode: str = "mixed"  # identical bytes, re-serialised with another key order, or either
    reorder_rate: float = 0.0  # chance that a message's statuses arrive out of order
    retry_attempts: int = 5  # webhook attempts before giving up
    retry_base: float = 0.2  # first retry delay; doubles each time
    webhook_timeout: float = 5.0
    timeout_hold: float = 30.0  # how long a "timeout" fault holds the request
    escape_slashes: bool = False  # write "/" as "\/" in webhook bodies, as some Meta payloads do

    def copy(self) -> Settings:
        return dataclasses.replace(self, undeliverable=list(self.undeliverable))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply changes after checking every one; raises ValueError and changes nothing on a bad value."""
        staged = self.copy()
        for key, value in changes.items():
            if key == "reorder":  # convenience: on/off
                staged.reorder_rate = 1.0 if value else 0.0
            elif key == "pair_limit":
                staged.pair_period, staged.pair_burst = parse_pair_limit(str(value))
            elif key in _FIELDS:
                setattr(staged, key, _coerce(key, value))
            else:
                raise ValueError(f"unknown setting {key!r}")
        staged.check()
        for item in dataclasses.fields(self):
            setattr(self, item.name, getattr(staged, item.name))

    def check(self) -> None:
        if self.throughput <= 0 or self.pair_period <= 0 or self.pair_burst < 1:
            raise ValueError("throughput and pair_period must be positive, pair_burst at least 1")
        if self.throughput_burst is not None and self.throughput_burst < 1:
            raise ValueError("throughput_burst must be at least 1")
        for name in ("duplicate_rate", "reorder_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.window_error not in WINDOW_ERROR_MODES:
            raise ValueError(f"window_error must be one of {WINDOW_ERROR_MODES}")
        if self.duplicate_mode not in DUPLICATE_MODES:
            raise ValueError(f"duplicate_mode must be one of {DUPLICATE_MODES}")
        if self.retry_attempts < 1 or self.retry_base < 0 or self.webhook_timeout <= 0:
            raise ValueError("retry_attempts must be at least 1, retry_base and webhook_timeout positive")
        if self.media_download_status is not None and not 400 <= self.media_download_status <= 599:
            raise ValueError("media_download_status must be an HTTP error status from 400 to 599")
        if self.media_url_host is not None and not self.media_url_host.startswith(("http://", "https://")):
            raise ValueError("media_url_host must be scheme://host[:port]")
        if self.media_url_ttl < 0 or self.status_delay < 0 or self.timeout_hold < 0:
            raise ValueError("media_url_ttl, status_delay and timeout_hold cannot be negative")


_FIELDS = {item.name: item for item in dataclasses.fields(Settings)}


def _coerce(key: str, value: Any) -> Any:
    kind = str(_FIELDS[key].type)
    if value is None and "None" in kind:
        return None
    if kind.startswith("list"):
        if not isinstance(value, list):
            raise ValueError(f"{key} must be a list")
        return [str(item).lstrip("+") for item in value]
    if kind.startswith("bool"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    try:
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number") from None
    return str(value)


def parse_pair_limit(text: str) -> tuple[float, int]:
    """`PERIOD[:BURST]`, e.g. "6:45" = one message per 6 s to a recipient, bursts up to 45."""
    period, _, burst = text.partition(":")
    try:
        return float(period), int(burst or 45)
    except ValueError:
        raise ValueError(f"pair limit {text!r} is not PERIOD[:BURST], e.g. 6:45") from None


@dataclass
class SimConfig:
    """Everything fixed at start-up; `settings` is the initial value of the run-time settings."""

    host: str = "127.0.0.1"
    port: int = 5100
    api_version: str = "v21.0"
    phone_number_id: str = "100200300400500"
    display_phone_number: str = "918050001234"
    verified_name: str = "City Corporation"
    waba_id: str = "102030405060708"
    access_token: str = "sim-access-token"
    app_secret: str = "sim-app-secret"
    verify_token: str = "sim-verify-token"
    templates_path: str = "config/templates.yml"
    seed: int | None = None  # random seed for duplicates and reordering
    access_log: bool = False
    webhook_concurrency: int = 16  # webhook posts in flight at once (simulator.webhooks)
    settings: Settings = field(default_factory=Settings)
