"""Everything the simulated number remembers, in memory: sends, errors, windows, media, faults, logs."""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
from dataclasses import asdict, dataclass
from typing import Any

from .clock import Clock
from .config import SimConfig
from .ledger import Ledger
from .limits import PairLimiter, TokenBucket
from .media import MediaStore
from .templates import TemplateRegistry
from .validation import Accepted

WINDOW_SECONDS = 24 * 60 * 60
LOG_LIMIT = 20_000  # oldest log entries are dropped beyond this, so a long demo does not grow without end
# Python's full garbage collections walk every log entry: with 20,000 sends kept they paused every
# answer for 100-160 ms (and a paused simulator then takes the waiting sends in one burst). The logs
# are long-lived and free of cycles, so every FREEZE_EVERY sends they leave the collector's scans.
FREEZE_EVERY = 2_000
FAULT_KINDS = ("http_500", "timeout", "slow", "error_code")
_LIMIT_SETTINGS = {"throughput", "throughput_burst", "pair_period", "pair_burst", "pair_limit"}


@dataclass
class Fault:
    kind: str
    remaining: int
    code: int | None = None
    delay_ms: int | None = None
    status: int | None = None  # HTTP status for http_500 / error_code
    deliver: bool = False  # timeout only: accept the message although the client gives up waiting

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SimState:
    def __init__(self, config: SimConfig, templates: TemplateRegistry) -> None:
        self.config = config
        self.templates = templates
        self.clock = Clock()
        self.rng = random.Random(config.seed)
        self.reset()

    def reset(self, keep_settings: bool = False) -> None:
        """Forget everything; the run-time settings return to their start-up values unless kept."""
        if not keep_settings:
            self.settings = self.config.settings.copy()
        self.clock.offset = 0.0
        self.rng.seed(self.config.seed)
        self.sent: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.reads: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.inbound: list[dict[str, Any]] = []
        self.windows: dict[str, float] = {}  # citizen (wa_id or BSUID) -> time of the last inbound message
        self.known_messages: dict[str, str] = {}  # inbound wamid -> sender, for mark-as-read
        self.media = MediaStore()
        self.faults: list[Fault] = []
        self.ledger = Ledger()
        self._counters = {name: itertools.count(1) for name in ("sent", "errors", "reads", "deliveries", "inbound")}
        self.sent_signal = asyncio.Event()  # set, and replaced, by every send: long polls of /_sim/sent wait on it
        self.waiting_polls = 0
        self.apply_limits()

    # --- settings and limits ---

    def apply_limits(self) -> None:
        settings = self.settings
        burst = settings.throughput_burst or max(1.0, settings.throughput)
        self.throughput = TokenBucket(settings.throughput, burst, self.clock.now())
        self.pairs = PairLimiter(settings.pair_period, settings.pair_burst)

    def update_settings(self, changes: dict[str, Any]) -> None:
        self.settings.update(changes)
        if _LIMIT_SETTINGS & set(changes):
            self.apply_limits()

    # --- the 24-hour customer-service window ---

    def open_window(self, citizen: str) -> None:
        self.windows[citizen] = self.clock.now()

    def close_window(self, citizen: str) -> None:
        self.windows.pop(citizen, None)

    def in_window(self, citizen: str) -> bool:
        opened = self.windows.get(citizen)
        return opened is not None and self.clock.now() - opened < WINDOW_SECONDS

    # --- faults ---

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take_fault(self) -> Fault | None:
        """The fault for this send, if any; faults apply in the order they were added."""
        while self.faults:
            fault = self.faults[0]
            if fault.remaining <= 0:
                self.faults.pop(0)
                continue
            fault.remaining -= 1
            if fault.remaining == 0:
                self.faults.pop(0)
            return fault
        return None

    # --- logs ---

    def _append(self, name: str, log: list[dict[str, Any]], entry: dict[str, Any]) -> dict[str, Any]:
        entry = {"seq": next(self._counters[name]), "time": self.clock.now(), **entry}
        log.append(entry)
        if len(log) > LOG_LIMIT:
            del log[: len(log) - LOG_LIMIT]
        if name == "sent" and entry["seq"] % FREEZE_EVERY == 0:
            gc.collect(1)  # young garbage first, so no cycle is frozen in
            gc.freeze()
        return entry

    def record_send(self, accepted: Accepted, payload: dict[str, Any], wamid: str, pricing: dict[str, Any]) -> dict[str, Any]:
        template = accepted.template
        record = self._append(
            "sent",
            self.sent,
            {
                "to": accepted.key,
                "wa_id": accepted.to,
                "user_id": accepted.user_id,
                "wamid": wamid,
                "type": accepted.type,
                "payload": payload,
                "rendered": accepted.rendered,
                "choices": accepted.choices,
                "template": None
                if template is None
                else {"name": template.name, "language": template.language, "category": template.category},
                "pricing": pricing,
                "statuses": [],
            },
        )
        self.ledger.accepted(record["time"], accepted.key)
        self.sent_signal.set()
        self.sent_signal = asyncio.Event()
        return record

    def record_error(self, entry: dict[str, Any]) -> None:
        code = (entry.get("error") or {}).get("error", {}).get("code")
        self.ledger.refused(code if isinstance(code, int) else 0)
        self._append("errors", self.errors, entry)

    def record_read(self, entry: dict[str, Any]) -> None:
        self._append("reads", self.reads, entry)

    def record_delivery(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self._append("deliveries", self.deliveries, entry)

    def record_inbound(self, entry: dict[str, Any]) -> None:
        self._append("inbound", self.inbound, entry)

    def last_sent_to(self, citizen: str, predicate: Any = None) -> dict[str, Any] | None:
        for record in reversed(self.sent):
            if citizen in (record["to"], record["wa_id"], record["user_id"]) and (predicate is None or predicate(record)):
                return record
        return None

    def last_inbound_from(self, citizen: str) -> dict[str, Any] | None:
        for entry in reversed(self.inbound):
            if entry["from"] == citizen:
                return entry
        return None
