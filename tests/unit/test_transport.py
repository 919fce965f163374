"""The broadcast workers' keep-alive HTTP transport, against a small asyncio server on a free port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from whatsapp.cloud.transport import KeepAliveTransport


class Server:
    """Answers every request with JSON naming its connection; `hold` seconds before answering,
    and `close` to answer with Connection: close."""

    def __init__(self) -> None:
        self.connections = 0
        self.hold = 0.0
        self.close = False
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
                )
                body = await reader.readexactly(length)
                await asyncio.sleep(self.hold)
                answer = json.dumps({"connection": number, "echo": body.decode(), "path": head.split(b" ")[1].decode()}).encode()
                extra = b"Connection: close\r\n" if self.close else b""
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra)
                writer.write(b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
                await writer.drain()
                if self.close:
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
    listener.close()


def client(server: Server, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}/v21.0", transport=KeepAliveTransport(), timeout=timeout)


async def test_requests_reuse_one_connection(server: Server) -> None:
    async with client(server) as http:
        answers = [(await http.post("/123/messages", json={"n": n})).json() for n in range(5)]
    assert [a["connection"] for a in answers] == [1] * 5
    assert answers[2] == {"connection": 1, "echo": '{"n":2}', "path": "/v21.0/123/messages"}


async def test_concurrent_requests_get_connections_of_their_own(server: Server) -> None:
    server.hold = 0.05
    async with client(server) as http:
        answers = await asyncio.gather(*(http.get(f"/{n}") for n in range(4)))
    assert sorted(a.json()["connection"] for a in answers) == [1, 2, 3, 4]
    assert [a.json()["path"] for a in answers] == ["/v21.0/0", "/v21.0/1", "/v21.0/2", "/v21.0/3"]


async def test_a_server_that_closes_gets_a_new_connection_each_time(server: Server) -> None:
    server.close = True
    async with client(server) as http:
        answers = [(await http.get("/x")).json()["connection"] for _ in range(3)]
    assert answers == [1, 2, 3]


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s: setattr(s, "hold", 2.0), httpx.ReadTimeout),  # no answer within the read timeout
        (lambda s: setattr(s, "port", 1), httpx.ConnectError),  # nobody listening
    ],
)
async def test_failures_are_httpx_errors_the_graph_client_classifies(
    server: Server, setup: Callable[[Server], None], error: type[Exception]
) -> None:
    setup(server)
    async with client(server, timeout=0.2) as http:
        with pytest.raises(error):
            await http.get("/slow")
