"""A lean HTTP/1.1 keep-alive transport for httpx, for the broadcast workers' many small POSTs.

httpx's default pool (httpcore on anyio) spends about a millisecond of CPU per request on this
machine, mostly walking its connections, and much more with 20 requests in flight; at 800 sends a
second that was the workers' largest cost. This transport keeps a few persistent connections per
host on asyncio streams and parses answers with httptools (C). It maps failures onto httpx's
exceptions, so callers (whatsapp.cloud.graph) classify them exactly as before. Plain HTTP and
TLS; no HTTP/2, no proxies, no streaming bodies (Graph answers are small JSON).

outbound_transport() picks the workers' transport by name (WHATSAPP_HTTP_CLIENT): this one, aiohttp's
pool (whatsapp.cloud.aiohttp_transport), or httpx's own with a small pool, for bench/broadcast.py to
compare their CPU per message.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import httptools
import httpx

from whatsapp.cloud.settings import HTTP_CLIENTS

DEFAULT_TIMEOUT = 10.0
MAX_CONNECTIONS = 8  # per worker thread, for each of the three


@dataclass
class _Answer:
    """httptools' callbacks fill this in as bytes arrive."""

    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    complete: bool = False
    keep_alive: bool = False
    parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()  # only known while the parser is on this message

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def usable(self) -> bool:
        """False once the server closed it (an idle keep-alive connection may be closed at any time)."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, data: bytes, read_timeout: float | None) -> tuple[int, _Answer, bool]:
        self.writer.write(data)
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        while not answer.complete:
            chunk = await asyncio.wait_for(self.reader.read(65536), read_timeout)
            if not chunk:
                raise httpx.RemoteProtocolError("the server closed the connection before answering")
            parser.feed_data(chunk)
        return parser.get_status_code(), answer, answer.keep_alive


class KeepAliveTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = MAX_CONNECTIONS) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._ssl: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        head = [f"{request.method} {url.raw_path.decode('ascii')} HTTP/1.1\r\n".encode("ascii")]
        head += [name + b": " + value + b"\r\n" for name, value in request.headers.raw]
        data = b"".join(head) + b"\r\n" + await request.aread()
        async with self._slots:
            connection = self._take(origin) or await self._connect(origin, timeouts.get("connect", DEFAULT_TIMEOUT))
            try:
                status, answer, keep = await connection.exchange(data, timeouts.get("read", DEFAULT_TIMEOUT))
            except asyncio.TimeoutError:
                connection.close()
                raise httpx.ReadTimeout("no answer in time", request=request) from None
            except httptools.HttpParserError as exc:
                connection.close()
                raise httpx.RemoteProtocolError(str(exc), request=request) from None
            except OSError as exc:
                connection.close()
                raise httpx.ReadError(str(exc), request=request) from None
            except BaseException:  # our own RemoteProtocolError, or cancelled mid-answer: never reuse it
                connection.close()
                raise
            if keep:
                self._idle.setdefault(origin, []).append(connection)
            else:
                connection.close()
        return httpx.Response(status, headers=answer.headers, content=b"".join(answer.body), request=request)

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin, [])
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            self._ssl = self._ssl or ssl.create_default_context()
            context = self._ssl
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), timeout)
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"could not connect to {host}:{port} in time") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from None
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


def outbound_transport(name: str) -> httpx.AsyncBaseTransport:
    """The broadcast workers' transport: "keepalive" (this module's), "aiohttp" or "httpx" (its own pool)."""
    if name == "keepalive":
        return KeepAliveTransport(MAX_CONNECTIONS)
    if name == "aiohttp":
        from whatsapp.cloud.aiohttp_transport import AiohttpTransport  # aiohttp is imported only when chosen

        return AiohttpTransport(MAX_CONNECTIONS)
    if name == "httpx":
        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        return httpx.AsyncHTTPTransport(limits=limits, http1=True, http2=False, retries=0)
    raise ValueError(f"unknown HTTP client {name!r}: one of {', '.join(HTTP_CLIENTS)}")
