"""aiohttp's pooled client as an httpx transport: the maintained alternative to KeepAliveTransport.

The broadcast workers' GraphClient stays an httpx.AsyncClient (its error classification reads
httpx's exceptions); only the wire goes through an aiohttp ClientSession with a TCPConnector of a
few keep-alive connections. Failures are mapped onto the same httpx exceptions KeepAliveTransport
raises. The body is read whole and left as sent (no decompression, no redirects, no cookies):
httpx does all of that above the transport.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import yarl

DEFAULT_TIMEOUT = 10.0
KEEPALIVE_SECONDS = 15.0  # an idle connection is closed after this (aiohttp's default)


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = 8) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    def _client(self) -> aiohttp.ClientSession:
        """Made on the first request: a session belongs to the event loop that runs it."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout()
            )
        return self._session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        """httpx's connect and read timeouts; like KeepAliveTransport, no limit on the wait for a free connection."""
        timeouts = request.extensions.get("timeout") or {}
        key = (timeouts.get("connect", DEFAULT_TIMEOUT), timeouts.get("read", DEFAULT_TIMEOUT))
        if key not in self._timeouts:
            self._timeouts[key] = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=key[0], sock_read=key[1])
        return self._timeouts[key]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            async with self._client().request(
                request.method,
                yarl.URL(str(request.url), encoded=True),  # httpx has already encoded it
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=self._timeout(request),
            ) as response:
                content = await response.read()
                status, headers = response.status, response.raw_headers
        except aiohttp.ConnectionTimeoutError:
            raise httpx.ConnectTimeout(f"could not connect to {request.url.netloc.decode()} in time", request=request) from None
        except asyncio.TimeoutError:  # aiohttp's SocketTimeoutError among them
            raise httpx.ReadTimeout("no answer in time", request=request) from None
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except aiohttp.ClientOSError as exc:
            raise httpx.ReadError(str(exc), request=request) from None
        except aiohttp.ClientError as exc:  # closed before answering, a malformed or cut-off answer
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from None
        return httpx.Response(status, headers=list(headers), content=content, request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
