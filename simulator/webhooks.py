"""The webhook emitter: Meta's envelope, ASCII-escaped JSON, X-Hub-Signature-256 over the exact
bytes, retries with exponential backoff, per-citizen order, and optional duplicates."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .config import SimConfig
from .state import SimState

WRONG_SECRET = "not-the-app-secret"
# Posts in flight at once (--webhook-concurrency). Meta's delivery is concurrent but bounded; 16
# keeps a 2-core receiver busy without handing it hundreds of connections, which once wedged the
# simulator itself for minutes behind the 3,600 status webhooks of a 601-citizen demo.
DEFAULT_CONCURRENCY = 16
logger = logging.getLogger(__name__)


# --- building and signing --------------------------------------------------------------------------


def metadata(config: SimConfig) -> dict[str, str]:
    return {"display_phone_number": config.display_phone_number, "phone_number_id": config.phone_number_id}


def envelope(config: SimConfig, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": config.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def messages_value(config: SimConfig, contacts: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata(config)}
    if contacts:
        value["contacts"] = contacts
    value["messages"] = messages
    return value


def statuses_value(config: SimConfig, statuses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "metadata": metadata(config), "statuses": statuses}


def serialize(payload: Any, *, escape_slashes: bool = False) -> bytes:
    """Meta posts compact JSON with every non-ASCII character escaped (lowercase \\uXXXX), and signs
    those bytes; a receiver that re-serialises before hashing will not match."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    if escape_slashes:  # "/" only occurs inside strings, where "\/" is a valid escape
        text = text.replace("/", "\\/")
    return text.encode("ascii")


def reordered(value: Any) -> Any:
    """The same JSON with every object's keys in reverse order: equal when parsed, different bytes."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_headers(body: bytes, secret: str, mode: str = "valid") -> dict[str, str]:
    """Headers for a body signed `valid`, with the `wrong` secret, `malformed`, or `missing`."""
    if mode == "missing":
        return {}
    if mode == "malformed":
        return {"X-Hub-Signature-256": "sha256=not-hex"}
    key = secret if mode == "valid" else WRONG_SECRET
    sha1 = "sha1=" + hmac.new(key.encode("utf-8"), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature-256": sign(body, key), "X-Hub-Signature": sha1}


def _summary(payload: Any) -> tuple[list[str], list[str]]:
    """The wamids and status names a payload carries, for the delivery log."""
    wamids, statuses = [], []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []):
            value = change.get("value", {})
            wamids += [m.get("id", "") for m in value.get("messages", [])]
            for status in value.get("statuses", []):
                wamids.append(status.get("id", ""))
                statuses.append(status.get("status", ""))
    return wamids, statuses


# --- delivery --------------------------------------------------------------------------------------


@dataclass
class _Delivery:
    build: Callable[[], dict[str, Any]]
    kind: str
    delay: float
    on_done: Callable[[bool], None] | None


class WebhookEmitter:
    """Posts webhooks to the configured URL, as Meta does at volume: at most `concurrency` posts in
    flight (an HTTP pool of that size), whatever the backlog. Deliveries sharing a key (a citizen)
    go strictly one after another, each waiting for the previous one to succeed or give up; keys
    take turns. A slow receiver makes the backlog wait here, in order, as small records: it is
    never flooded with more connections, and the simulator keeps answering meanwhile.
    """

    def __init__(self, state: SimState, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.state = state
        self.config = state.config
        self.concurrency = concurrency
        self.client: httpx.AsyncClient | None = None
        self._queues: dict[str, deque[_Delivery]] = {}  # key -> its deliveries not yet started
        self._busy: set[str] = set()  # keys with a delivery in flight or waiting out its delay
        # Keys whose next delivery may start now; a citizen's message goes before any status in the
        # backlog (a broadcast's statuses never hold up what citizens write), FIFO within each.
        self._ready: asyncio.PriorityQueue[tuple[int, int, str]] | None = None
        self._order = itertools.count()
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._in_flight = 0

    async def start(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        self.client = httpx.AsyncClient(headers={"User-Agent": "facebookexternalua"}, limits=limits)
        self._ready = asyncio.PriorityQueue()
        self._workers = [asyncio.get_running_loop().create_task(self._work()) for _ in range(self.concurrency)]

    async def stop(self) -> None:
        self.reset()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()

    def reset(self) -> None:
        """Forget every delivery not yet started (one in flight finishes on its own)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._queues.clear()
        self._busy.clear()
        if self._ready is not None:
            while not self._ready.empty():
                self._ready.get_nowait()

    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values()) + self._in_flight

    def enqueue(
        self,
        key: str,
        build: Callable[[], dict[str, Any]],
        *,
        kind: str,
        delay: float = 0.0,
        on_done: Callable[[bool], None] | None = None,
    ) -> None:
        """Queue a webhook behind earlier ones with the same key; `build` runs when its turn comes,
        so timestamps are those of the moment it is sent. `delay` is waited after the previous one."""
        self._queues.setdefault(key, deque()).append(_Delivery(build, kind, delay, on_done))
        if key not in self._busy:
            self._next(key)

    def _next(self, key: str) -> None:
        """Make the key's next delivery ready, after its delay; or let the key go idle."""
        queue = self._queues.get(key)
        if not queue:
            self._queues.pop(key, None)
            self._busy.discard(key)
            return
        self._busy.add(key)
        assert self._ready is not None, "the emitter is not started"
        entry = (0 if queue[0].kind == "message" else 1, next(self._order), key)
        if queue[0].delay <= 0:
            self._ready.put_nowait(entry)
            return

        def due() -> None:
            self._timers.discard(timer)
            if self._ready is not None:
                self._ready.put_nowait(entry)

        timer = asyncio.get_running_loop().call_later(queue[0].delay, due)
        self._timers.add(timer)

    async def _work(self) -> None:
        assert self._ready is not None
        while True:
            _, _, key = await self._ready.get()
            queue = self._queues.get(key)
            if not queue:  # reset meanwhile
                self._busy.discard(key)
                continue
            item = queue.popleft()
            self._in_flight += 1
            try:
                ok = await self.deliver(item.build(), kind=item.kind, key=key)
            except Exception:  # a bad payload builder must not stop the worker
                logger.exception("webhook for %s could not be built or sent", key)
                ok = False
            finally:
                self._in_flight -= 1
            if item.on_done is not None:
                item.on_done(ok)
            self._next(key)

    async def deliver(self, payload: dict[str, Any], *, kind: str, key: str) -> bool:
        settings = self.state.settings
        body = serialize(payload, escape_slashes=settings.escape_slashes)
        for attempt in range(1, settings.retry_attempts + 1):
            status = await self._attempt(body, payload, kind=kind, key=key, attempt=attempt)
            if status == 200:  # Meta counts anything but 200 as a failed delivery
                await self._maybe_duplicate(body, payload, kind=kind, key=key)
                return True
            if not settings.webhook_url:
                return False
            if attempt < settings.retry_attempts:
                await asyncio.sleep(settings.retry_base * 2 ** (attempt - 1))
        return False

    async def _maybe_duplicate(self, body: bytes, payload: dict[str, Any], *, kind: str, key: str) -> None:
        settings, rng = self.state.settings, self.state.rng
        if not settings.duplicate_rate or rng.random() >= settings.duplicate_rate:
            return
        mode = settings.duplicate_mode
        if mode == "mixed":
            mode = rng.choice(("identical", "reserialized"))
        copy = body if mode == "identical" else serialize(reordered(payload), escape_slashes=settings.escape_slashes)
        await asyncio.sleep(settings.retry_base)  # as if Meta had missed our 200 and tried again
        await self._attempt(copy, payload, kind=kind, key=key, attempt=1, duplicate=mode)

    async def _attempt(
        self, body: bytes, payload: Any, *, kind: str, key: str, attempt: int, duplicate: str | None = None
    ) -> int | None:
        status, text, latency, error = await self.post(body, sign_mode="valid")
        if self.state.settings.webhook_url:
            self.state.ledger.webhook(self.state.clock.now(), latency * 1000, status == 200)
        wamids, statuses = _summary(payload)
        self.state.record_delivery(
            {
                "kind": kind,
                "key": key,
                "attempt": attempt,
                "duplicate": duplicate,
                "status": status,
                "error": error,
                "latency_ms": round(latency * 1000, 1),
                "wamids": wamids,
                "statuses": statuses,
                "response": text[:500],
                "body": body.decode("ascii"),
            }
        )
        return status

    async def post(self, body: bytes, *, sign_mode: str = "valid") -> tuple[int | None, str, float, str | None]:
        """One POST of exactly these bytes: (HTTP status or None, response text, seconds, error)."""
        url = self.state.settings.webhook_url
        if not url:
            return None, "", 0.0, "no webhook_url configured"
        assert self.client is not None, "the emitter is not started"
        headers = {"Content-Type": "application/json", **signature_headers(body, self.config.app_secret, sign_mode)}
        started = time.perf_counter()
        try:
            response = await self.client.post(url, content=body, headers=headers, timeout=self.state.settings.webhook_timeout)
        except httpx.TimeoutException:
            return None, "", time.perf_counter() - started, "timeout"
        except httpx.HTTPError as exc:
            return None, "", time.perf_counter() - started, f"{type(exc).__name__}: {exc}"
        return response.status_code, response.text, time.perf_counter() - started, None

    async def verify(self, token: str | None = None, mode: str = "subscribe") -> dict[str, Any]:
        """Meta's GET handshake against the webhook URL: the answer must be exactly the challenge."""
        url = self.state.settings.webhook_url
        if not url:
            return {"ok": False, "error": "no webhook_url configured"}
        assert self.client is not None
        challenge = str(secrets.randbelow(10**9))
        params = {
            "hub.mode": mode,
            "hub.verify_token": token if token is not None else self.config.verify_token,
            "hub.challenge": challenge,
        }
        try:
            response = await self.client.get(url, params=params, timeout=self.state.settings.webhook_timeout)
        except httpx.HTTPError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        return {
            "ok": response.status_code == 200 and response.text == challenge,
            "status": response.status_code,
            "body": response.text[:500],
            "challenge": challenge,
        }
