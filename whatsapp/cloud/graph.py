"""The one outbound HTTP client to the Graph API: sends, mark-as-read, media upload, lookup and download.

Errors are handled by class (whatsapp.errors): throttling, 5xx and requests that never reached
Meta are retried with backoff and jitter; window, template and undeliverable errors are not; an
expired token or a blocked account stops all sending and is logged loudly. A send that went out
but got no answer (a timeout) may have reached Meta: it is sent again only after a look for
Meta's status webhook of it (by its callback data) came back empty, or left to the caller.
A citizen's media is fetched with the same token, so only from the media hosts of the settings.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.errors import Action, backoff_seconds, classify
from whatsapp.messages import addressed

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# After a send without an answer, how long at least to wait for Meta's status webhook of it
# before looking: statuses come within a second or two when Meta has the message.
UNKNOWN_CHECK_SECONDS = 2.0
# Errors raised before the request could reach Meta: sending again cannot send it twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
SentAlready = Callable[[], Awaitable[str | None]]  # the wamid Meta reported for this send, if any

# Why a citizen's media is refused, each the `media_type` the assistant then gets (domain/responses/media.yml).
REFUSED = "rejected_media"  # not a file we keep, or somewhere the token must not go
TOO_LARGE = "media_too_large"
GONE = "media_expired"  # the link expired or Meta no longer has the file: the citizen sends it again
MEDIA_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")  # Meta's are digits; never a path or a URL
GONE_STATUSES = (400, 403, 404, 410)  # a lookup of an unknown id is 400 (code 100); an expired link 404/410
MAX_REDIRECTS = 5


class RejectedMediaError(ValueError):
    """Media that trying again cannot fetch or keep; `reason` (REFUSED, TOO_LARGE, GONE) is what the citizen is told."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class GraphResult:
    """What the Graph API said of a send or an upload: the id it gave (a wamid, or a media id),
    or how to handle its error."""

    id: str | None
    action: Action | None  # None when Meta accepted the message or stored the file
    http_status: int | None = None
    error_code: int | None = None
    error_message: str = ""

    @property
    def wamid(self) -> str | None:
        return self.id

    @property
    def media_id(self) -> str | None:
        return self.id


def _answer(response: httpx.Response, accepted_id: Any) -> GraphResult:
    """The result of a Graph response: the id Meta gave, or its error classified."""
    if response.status_code < 300 and accepted_id:
        return GraphResult(str(accepted_id), None, response.status_code)
    error = _json(response).get("error") or {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    return GraphResult(None, classify(response.status_code, code), response.status_code, code, str(error.get("message", "")))


class GraphClient:
    def __init__(
        self,
        settings: WhatsAppSettings,
        *,
        timeout: float = 10.0,
        max_attempts: int = MAX_ATTEMPTS,
        transport: httpx.AsyncBaseTransport | None = None,  # the broadcast workers' keep-alive one
    ) -> None:
        self.settings = settings
        self.max_attempts = max_attempts
        self.stopped: str | None = None  # why sending stopped (token expired, account blocked)
        self._client = httpx.AsyncClient(
            base_url=settings.api_url,
            headers={"Authorization": f"Bearer {settings.access_token}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            transport=transport,
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def send(
        self, recipient: str, body: dict[str, Any], *, by_user_id: bool | None = None, sent_already: SentAlready | None = None
    ) -> GraphResult:
        """Send one message to a phone number or a business-scoped user id (whatsapp.messages.addressed),
        retrying what may be retried. A send left without an answer is sent again only if
        `sent_already` (a look for its status webhook) finds nothing; without it, the UNKNOWN
        result goes back to the caller at once."""
        if self.stopped:
            return GraphResult(None, Action.STOP, error_message=self.stopped)
        payload = addressed(recipient, body, by_user_id=by_user_id)
        last: list[GraphResult] = []

        async def attempt() -> GraphResult:
            if last and last[-1].action is Action.UNKNOWN and sent_already and (wamid := await sent_already()):
                return GraphResult(wamid, None)  # Meta had it after all: its status came back
            last.append(await self._post_message(payload))
            return last[-1]

        return await self._with_retries(
            attempt, GraphResult(None, Action.RETRY), f"message to {recipient} not sent", resend_unknown=bool(sent_already)
        )

    async def _with_retries(
        self, attempt_once: Callable[[], Awaitable[GraphResult]], result: GraphResult, failure: str, *, resend_unknown: bool
    ) -> GraphResult:
        """Retry what may be retried (with back-off); an error that stops sending stops the client.
        An UNKNOWN outcome is retried only with `resend_unknown`, after a wait long enough for
        Meta's status of it to arrive (the attempt looks for it first)."""
        for attempt in range(1, self.max_attempts + 1):
            result = await attempt_once()
            if not (result.action is Action.RETRY or (result.action is Action.UNKNOWN and resend_unknown)):
                break
            if attempt < self.max_attempts:
                wait = backoff_seconds(attempt, result.error_code, random.random())
                await asyncio.sleep(max(wait, UNKNOWN_CHECK_SECONDS) if result.action is Action.UNKNOWN else wait)
        if result.action is Action.STOP:
            self.stopped = f"Graph error {result.error_code}: {result.error_message}"
            logger.critical("WhatsApp sending STOPPED: %s. Fix the token or account, then restart.", self.stopped)
        elif result.action is not None:
            logger.warning("%s (%s, code %s): %s", failure, result.action.value, result.error_code, result.error_message)
        return result

    async def _post_message(self, payload: dict[str, Any]) -> GraphResult:
        try:
            response = await self._client.post(f"/{self.settings.phone_number_id}/messages", json=payload)
        except NOT_SENT as exc:
            return GraphResult(None, Action.RETRY, None, None, type(exc).__name__)
        except httpx.HTTPError as exc:  # a timeout or a broken connection: Meta may or may not have it
            return GraphResult(None, Action.UNKNOWN, None, None, type(exc).__name__)
        messages = _json(response).get("messages") or [{}]
        return _answer(response, messages[0].get("id") if isinstance(messages[0], dict) else None)

    async def mark_read(self, wamid: str) -> None:
        """Blue ticks and a typing indicator while the turn is processed; best effort, no retry."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}}
        try:
            await self._client.post(f"/{self.settings.phone_number_id}/messages", json=body)
        except httpx.HTTPError as exc:
            logger.info("mark-as-read failed: %s", type(exc).__name__)

    async def upload_media(self, data: bytes, mime_type: str, filename: str) -> GraphResult:
        """Upload a file to send by id (POST /{phone-number-id}/media), retrying what may be retried.
        A retried upload may leave an unused copy with Meta; it expires on its own."""
        if self.stopped:
            return GraphResult(None, Action.STOP, error_message=self.stopped)
        return await self._with_retries(
            lambda: self._post_media(data, mime_type, filename),
            GraphResult(None, Action.RETRY),
            f"upload of {filename} not accepted",
            resend_unknown=True,  # a second upload only leaves an unused copy, which expires
        )

    async def _post_media(self, data: bytes, mime_type: str, filename: str) -> GraphResult:
        try:
            response = await self._client.post(
                f"/{self.settings.phone_number_id}/media",
                data={"messaging_product": "whatsapp", "type": mime_type},
                files={"file": (filename, data, mime_type)},
            )
        except httpx.HTTPError as exc:
            return GraphResult(None, classify(None, None), None, None, type(exc).__name__)
        return _answer(response, _json(response).get("id"))

    async def media_info(self, media_id: str) -> dict[str, Any]:
        """The lookup of a citizen's media: its short-lived `url`, `file_size` and `mime_type`."""
        if not MEDIA_ID.fullmatch(media_id):
            raise RejectedMediaError(REFUSED, "the media id is not one Meta gives")
        response = await self._client.get(f"/{media_id}")
        if response.status_code in GONE_STATUSES:
            raise RejectedMediaError(GONE, f"the media lookup answered {response.status_code}")
        response.raise_for_status()  # 5xx, throttling, a bad token: the inbox tries again later
        return _json(response)

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The media file at a lookup's `url` with the same bearer token, refused once it passes
        `max_bytes`. The token goes only to the media hosts of the settings: every redirect is
        checked as the first URL is, and a URL elsewhere is refused before anything is sent."""
        for _ in range(MAX_REDIRECTS + 1):
            target = self._media_url(url)
            async with self._client.stream("GET", target) as response:
                if response.is_redirect:
                    url = str(target.join(response.headers["location"]))
                    continue
                if response.status_code in GONE_STATUSES:
                    raise RejectedMediaError(GONE, f"the media URL answered {response.status_code}")
                response.raise_for_status()
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise RejectedMediaError(TOO_LARGE, f"the file has {declared} bytes, over {max_bytes}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise RejectedMediaError(TOO_LARGE, f"the file is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        raise RejectedMediaError(REFUSED, f"more than {MAX_REDIRECTS} redirects")

    def _media_url(self, url: str) -> httpx.URL:
        """The URL, if the bearer token may be sent there (logged and refused otherwise)."""
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            target = httpx.URL()
        scheme = target.scheme
        port = target.port or {"https": 443, "http": 80}.get(scheme)
        if f"{scheme}://{target.host}:{port}" not in self.settings.media_hosts:
            logger.warning("media URL refused: %s://%s is not a media host (WHATSAPP_MEDIA_HOSTS)", scheme, target.host)
            raise RejectedMediaError(REFUSED, f"{target.host or 'no host'} is not one of the media hosts")
        return target


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
