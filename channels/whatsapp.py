"""The WhatsApp Cloud API channel for Rasa (credentials.yml: `channels.whatsapp.WhatsAppInput`).

Webhook at /webhooks/whatsapp/webhook. A POST is checked (size, before the body is read; then
the signature over the raw bytes, before any parsing), its messages are committed to the durable
inbox, and Meta gets its 200 at once. A worker then hands each message to the assistant exactly
once, a citizen's messages in order, marking them read with a typing indicator while the turn
runs. The health route GET /webhooks/whatsapp/ is internal (channels/internal.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import held
from nagarik.shared.log_privacy import mask
from whatsapp import limits
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.internal import is_internal
from whatsapp.cloud.media import receive_evidence
from whatsapp.cloud.receiver import read_body, reply
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import HELD, RELEASED, Claim, Store
from whatsapp.cloud.webhook import handshake, inbox_health
from whatsapp.cloud.webhook import receive as accept_webhook
from whatsapp.inbound import InboundMessage
from whatsapp.messages import UnsendableMessageError
from whatsapp.outbound import apology, render, script_language

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # also picks up work left by other processes and retries that fell due
MAX_ATTEMPTS = 5
EVIDENCE_FORMS = ("grievance_form",)  # forms a photo, video or PDF answers (actions/grievances.py)
# Rasa turns are CPU-bound on the event loop that also answers Meta. Few turns at a time keep
# the webhook's 200 quick under load; more citizens wait in the durable inbox instead.


class WhatsAppOutput(OutputChannel):
    """Renders each Rasa response as WhatsApp messages and sends them, inside the 24-hour window
    as free-form messages, outside it only as an approved template (or not at all)."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def __init__(self, graph: GraphClient, store: Store, settings: WhatsAppSettings, inbound: InboundMessage | None) -> None:
        self.graph = graph
        self.store = store
        self.settings = settings
        self.inbound = inbound
        self._reopened = False
        self._sends = 0  # numbers this turn's messages, for their callback data

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        try:
            bodies = render(message)
        except UnsendableMessageError as exc:
            logger.error("a response could not be rendered for WhatsApp: %s", exc)
            return
        for body in bodies:
            await self._send(recipient_id, body)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"attachment": attachment})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})

    async def _send(self, recipient: str, body: dict[str, Any]) -> None:
        inbound_id = self.inbound.id if self.inbound else None
        by_user_id = bool(self.inbound and self.inbound.sender_is_user_id)
        window = await asyncio.to_thread(self.store.window_open, recipient, limits.CUSTOMER_SERVICE_WINDOW_SECONDS)
        if not window and body.get("type") != "template":
            if not self.settings.reopen_template:
                logger.warning("not sent to %s: outside the 24-hour window and no template configured", mask(recipient))
                await asyncio.to_thread(self.store.record_send, recipient=recipient, body=body, state="refused")
                return
            await asyncio.to_thread(self.store.record_send, recipient=recipient, body=body, state="refused")
            if self._reopened:
                return
            self._reopened = True
            body = reopen_template(self.settings.reopen_template, _text_of(body))
        # Meta echoes the callback data in the message's status webhooks: after a send that got no
        # answer, the channel looks for them before sending again, so nobody gets a reply twice.
        self._sends += 1
        callback = f"reply:{inbound_id or uuid.uuid4().hex}:{self._sends}"
        body = {**body, "biz_opaque_callback_data": callback}
        result = await self.graph.send(
            recipient,
            body,
            by_user_id=by_user_id,
            sent_already=lambda: asyncio.to_thread(self.store.sent_with_callback, callback),
        )
        await asyncio.to_thread(
            self.store.record_send,
            recipient=recipient,
            body=body,
            state="accepted" if result.wamid else "failed",
            wamid=result.wamid,
            inbound_wamid=inbound_id,
            error_code=result.error_code,
        )


def reopen_template(name: str, text: str) -> dict[str, Any]:
    """An approved template asking the citizen to reply, in the language of the held message."""
    return {"type": "template", "template": {"name": name, "language": {"code": script_language(text)}}}


def _text_of(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return body["text"]["body"]
    return str(((body.get("interactive") or {}).get("body") or {}).get("text", ""))


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(WhatsAppSettings.load(credentials))

    def __init__(self, settings: WhatsAppSettings) -> None:
        self.settings = settings
        self.store = Store(settings.store_url)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.graph: GraphClient | None = None
        self._app: Any = None  # the Rasa server's Sanic app: its agent reads trackers (media only)
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._turns: asyncio.Semaphore | None = None
        # Webhooks are stored by threads of their own: Meta's 200 never waits behind a turn's
        # database work, however many status webhooks a broadcast brings.
        self._inbox_writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="whatsapp-inbox")
        # On PostgreSQL the receiver's inbox writes wake this process at once (LISTEN/NOTIFY).
        self._stop_listening = threading.Event()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.listener("before_server_start")
        async def cap_request_size(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            # Sanic buffers a body of up to REQUEST_MAX_SIZE (100 MB by default) before any handler
            # runs. The app is Rasa's, shared with its other routes: none of them takes more than a
            # webhook may carry, so the whole app refuses larger bodies (413) as they arrive.
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, limits.MAX_WEBHOOK_BYTES)

        # A function of its own: Sanic 21.12 never calls a bound method or a partial as a listener.
        @webhook.listener("after_server_start")
        async def remember_app(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self._app = app  # its agent reads the citizen's tracker before media is fetched

        @webhook.listener("after_server_start")
        async def start_worker(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.graph = GraphClient(self.settings, timeout=self.settings.http_timeout)
            self._wake = asyncio.Event()
            self._turns = asyncio.Semaphore(self.settings.max_concurrent_turns)
            self._worker = loop.create_task(self._run(on_new_message))
            if self.store.notifies:
                wake = self._wake
                args = (lambda: loop.call_soon_threadsafe(wake.set), self._stop_listening)
                threading.Thread(target=self.store.listen, args=args, name="whatsapp-inbox-listener", daemon=True).start()

        @webhook.listener("before_server_stop")
        async def stop_worker(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self._stop_listening.set()
            if self._worker:
                self._worker.cancel()
            if self.graph:
                await self.graph.close()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Inbox counts by state; with ?wamid=, that one message's state (for tests and operators).
            Internal: to anyone else it is a route that does not exist."""
            if not is_internal(request.ip, request.headers.keys()):
                raise NotFound(f"Requested URL {request.path} not found")
            wamid = request.args.get("wamid")
            health = await asyncio.to_thread(inbox_health, self.store, wamid)
            if not wamid:
                # The last message the channel gave up on (and apologised for), and whether Meta stopped it.
                health["last_failure"] = await asyncio.to_thread(self.store.last_failure)
                health["sending_stopped"] = bool(self.graph and self.graph.stopped)
            return response.json(health)

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return reply(handshake({key: request.args.get(key) for key in request.args}, self.settings.verify_token))

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await read_body(request, limits.MAX_WEBHOOK_BYTES)
            signed = request.headers.get("X-Hub-Signature-256")
            loop = asyncio.get_running_loop()
            # Stored by threads of their own, durable before the 200 (whatsapp/cloud/webhook.py).
            answer = await loop.run_in_executor(self._inbox_writers, accept_webhook, body, signed, self.settings, self.store)
            if answer.accepted and self._wake:
                self._wake.set()
            return reply(answer)

        return webhook

    # --- the worker ------------------------------------------------------------------------

    async def _run(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        active: dict[str, asyncio.Task[None]] = {}
        assert self._wake is not None
        while True:
            try:
                for sender in await asyncio.to_thread(self.store.senders_waiting):
                    task = active.get(sender)
                    if task is None or task.done():
                        active[sender] = asyncio.create_task(self._drain(sender, on_new_message))
                for sender in [s for s, t in active.items() if t.done()]:
                    del active[sender]
            except Exception:  # the store is down: keep the worker alive and try again
                logger.exception("WhatsApp worker could not read the inbox")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            self._wake.clear()

    async def _drain(self, sender: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One citizen's waiting messages, strictly one after another."""
        assert self._turns is not None
        while True:
            async with self._turns:
                claimed = await asyncio.to_thread(self.store.claim_next, sender, self.owner)
                if claimed is None:
                    return
                await self._handle(claimed, on_new_message)

    async def _handle(self, claimed: Claim, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        assert self.graph is not None
        row_id, message = claimed.row_id, claimed.message
        # Handled before (a failure, or a process that died holding it): if it replied then and
        # died before marking it done, do not answer twice. A first claim cannot have a reply.
        if claimed.attempt > 1 and await asyncio.to_thread(self.store.was_answered, message.id):
            await asyncio.to_thread(self.store.finish, row_id)
            return
        try:
            hold = await asyncio.to_thread(self.store.hold_state, message.sender)
            if hold == HELD:  # an officer answers: media is not fetched, the console shows what came
                text = message.to_rasa_text()
            else:
                text = await self._assistant_text(message)
            if text is None:
                await asyncio.to_thread(self.store.finish, row_id, "ignored")
                return
            await self.graph.mark_read(message.id)
            output = WhatsAppOutput(self.graph, self.store, self.settings, message)
            # The text rides along so that a new session can greet a first-time citizen (the privacy
            # notice) in the language of their first message: Rasa starts a session before parsing it.
            metadata = {
                "wamid": message.id,
                "whatsapp_type": message.raw_type,
                "profile_name": message.profile_name,
                "text": text,
            }
            user_message = UserMessage(
                text, output, message.sender, input_channel=self.name(), message_id=message.id, metadata=metadata
            )
            if hold == HELD:
                await held.log_for_officer(self._app.ctx.agent, user_message)
            else:
                if hold == RELEASED:
                    await held.resume(self._app.ctx.agent, message.sender)
                    await asyncio.to_thread(self.store.forget_hold, message.sender)
                await on_new_message(user_message)
            await asyncio.to_thread(self.store.finish, row_id)
        except Exception as exc:
            attempts = await asyncio.to_thread(self.store.attempts, row_id)
            if attempts >= MAX_ATTEMPTS:
                logger.exception("message %s from %s failed %d times; giving up", message.id, mask(message.sender), attempts)
                # Apologise before recording the failure, so a message marked failed has had its apology.
                await self._apologise(message)
                await asyncio.to_thread(self.store.finish, row_id, "failed", repr(exc))
            else:
                logger.warning("message %s from %s failed (%r); retrying", message.id, mask(message.sender), exc)
                delay = self.settings.retry_seconds * 2 ** (attempts - 1)
                await asyncio.to_thread(self.store.retry_later, row_id, delay, repr(exc))

    async def _apologise(self, message: InboundMessage) -> None:
        """Tell the citizen, once, that their message was not handled (never raises)."""
        assert self.graph is not None
        try:
            output = WhatsAppOutput(self.graph, self.store, self.settings, message)
            await output._send(message.sender, apology(message.text or message.caption or ""))
        except Exception:
            logger.exception("could not apologise to %s for message %s", mask(message.sender), message.id)

    async def _assistant_text(self, message: InboundMessage) -> str | None:
        """The text Rasa receives. Media is fetched first (its download URL expires in minutes), and
        only when the conversation waits for evidence: otherwise the citizen is told, and nothing
        is downloaded (whatsapp.cloud.media)."""
        assert self.graph is not None
        if message.kind != "media":
            return message.to_rasa_text()
        expected = await self._expects_evidence(message.sender)
        return (await receive_evidence(self.graph, self.store, self.settings, message, expected=expected)).to_rasa_text()

    async def _expects_evidence(self, sender: str) -> bool:
        """Whether the citizen is filing a complaint (its form is active) in a session that has not
        expired. Read-only: the tracker as the coming turn will load it, from Rasa's tracker store."""
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            return False
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker is None or tracker.active_loop_name not in EVIDENCE_FORMS:
            return False
        # Past the expiry the turn starts a new session, and the form is gone (as in Rasa's processor).
        session = agent.domain.session_config
        last = tracker.get_last_event_for(UserUttered)
        idle = time.time() - last.timestamp if last else 0.0
        return not (session.are_sessions_enabled() and idle > session.session_expiration_time * 60)
