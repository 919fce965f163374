"""Meta's door in a process of its own: `python -m whatsapp.cloud.receiver --port 5006`.

It checks each webhook's signature, writes it to the durable inbox and answers Meta; it runs no
Rasa turn, so its answer never waits behind the CPU-bound turns (Meta asks for a median under
250 ms and retries what is slow). The Rasa processes only consume the inbox (channels/whatsapp.py).
As RapidPro splits Courier (receive and queue) from Mailroom (run the flows).

Behind the proxy (deploy/nginx.conf.template) it listens on 127.0.0.1 and reads the client's
address from X-Real-IP. Settings: the channel's (whatsapp/cloud/settings.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

from sanic import Request, Sanic, response
from sanic.exceptions import NotFound, PayloadTooLarge
from sanic.response import HTTPResponse

from whatsapp import limits
from whatsapp.cloud import webhook
from whatsapp.cloud.internal import is_internal
from whatsapp.cloud.settings import MissingSettingError, WhatsAppSettings
from whatsapp.cloud.store import Store

PATH = "/webhooks/whatsapp/webhook"  # the same path as the Rasa channel's, so the proxy's route reads alike
logger = logging.getLogger(__name__)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None once it is known to pass `limit`: by its Content-Length before
    a byte of it is read, else as it streams in (the route streams: Sanic buffers nothing itself).
    Used by this receiver's route and the Rasa channel's."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    if request.stream is None:
        return request.body or b""
    # Sanic lifts its limit for a streaming route; set, it also bounds what Sanic drains after a 413.
    request.stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        return None
    return request.body or b""


def reply(answer: webhook.Answer) -> HTTPResponse:
    if isinstance(answer.body, str):
        return response.text(answer.body, status=answer.status)
    return response.json(answer.body, status=answer.status)


def create_app(settings: WhatsAppSettings, writers: int = 8) -> Sanic:
    app = Sanic("whatsapp_receiver")
    # Larger bodies are refused while they arrive, not after 100 MB (Sanic's default) is buffered.
    app.config.REQUEST_MAX_SIZE = limits.MAX_WEBHOOK_BYTES
    app.config.REAL_IP_HEADER = "x-real-ip"
    app.config.ACCESS_LOG = False
    store = Store(settings.store_url)
    # Inbox writes are blocking database work: threads of their own keep the loop answering.
    pool = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="whatsapp-inbox")

    @app.get(PATH)
    async def verify(request: Request) -> HTTPResponse:
        return reply(webhook.handshake({key: request.args.get(key) for key in request.args}, settings.verify_token))

    @app.post(PATH, stream=True)
    async def receive(request: Request) -> HTTPResponse:
        body = await read_body(request, limits.MAX_WEBHOOK_BYTES)
        signed = request.headers.get("X-Hub-Signature-256")
        answer = await asyncio.get_running_loop().run_in_executor(pool, webhook.receive, body, signed, settings, store)
        return reply(answer)

    @app.get("/webhooks/whatsapp/")
    async def health(request: Request) -> HTTPResponse:
        """Inbox counts by state; with ?wamid=, that message's state. Internal, as the channel's."""
        if not is_internal(request.ip, request.headers.keys()):
            raise NotFound(f"Requested URL {request.path} not found")
        return response.json(await asyncio.to_thread(webhook.inbox_health, store, request.args.get("wamid")))

    @app.listener("after_server_stop")
    async def close(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        pool.shutdown(wait=True)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m whatsapp.cloud.receiver", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--workers", type=int, default=1, help="processes answering Meta (each with its own threads)")
    args = parser.parse_args(argv)
    try:
        settings = WhatsAppSettings.load()
    except (MissingSettingError, ValueError) as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    create_app(settings).run(host=args.host, port=args.port, workers=args.workers, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
