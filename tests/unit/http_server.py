"""A small asyncio HTTP server on a free port for the HTTP transports' tests (import `server`,
the fixture). Nothing waits on the clock: it answers when told, or never."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import pytest


class Server:
    """Answers every request with JSON naming its connection. `mode`: "close" answers with
    Connection: close; "silent" never answers; "hangup" closes without answering; "garbage" answers
    with something that is not HTTP; "gzip" sends its JSON compressed. `gate` holds every answer
    until that many requests are waiting."""

    def __init__(self) -> None:
        self.connections = 0
        self.mode = ""
        self.gate = 0
        self.waiting = 0
        self.opened = asyncio.Event()  # set once `gate` requests are waiting
        self.never = asyncio.Event()  # set only at teardown
        self.writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get(b"content-length", 0)))
                if self.gate:
                    self.waiting += 1
                    if self.waiting == self.gate:
                        self.opened.set()
                    await self.opened.wait()
                if self.mode == "silent":
                    await self.never.wait()
                if self.mode == "hangup":
                    break
                if self.mode == "garbage":
                    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
                    await writer.drain()
                    break
                answer = json.dumps(
                    {
                        "connection": number,
                        "method": lines[0].split(b" ")[0].decode(),
                        "path": lines[0].split(b" ")[1].decode(),
                        "echo": body.decode(),
                        "authorization": headers.get(b"authorization", b"").decode(),
                        "messages": [{"id": f"wamid.{number}"}],
                    }
                ).encode()
                extra = b"Connection: close\r\n" if self.mode == "close" else b""
                if self.mode == "gzip":
                    answer, extra = gzip.compress(answer), b"Content-Encoding: gzip\r\n"
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Answer: yes\r\n" + extra)
                writer.write(b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
                await writer.drain()
                if self.mode == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    yield state
    state.never.set()
    state.opened.set()
    for writer in state.writers:
        writer.close()
    listener.close()
    await listener.wait_closed()
