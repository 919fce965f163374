"""aiohttp's pool as the broadcast workers' transport, against a small asyncio server on a free port:
the same behaviours as KeepAliveTransport's tests (test_http11.py), and its failures as the same
httpx errors. Nothing waits on the clock: the server answers when told, or never."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from whatsapp.cloud import graph as whatsapp_graph
from whatsapp.cloud.aiohttp_transport import AiohttpTransport
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.transport import KeepAliveTransport, outbound_transport
from whatsapp.errors import Action


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


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused, and nobody else can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def client(port: int, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}/v21.0",
        headers={"Authorization": "Bearer token"},
        transport=AiohttpTransport(),
        timeout=timeout,
    )


async def test_the_answer_is_parsed_as_httpx_would(server: Server) -> None:
    async with client(server.port) as http:
        response = await http.post("/123/messages", json={"n": 1})
    assert response.status_code == 201 and response.headers["x-answer"] == "yes"
    assert response.json() == {
        "connection": 1,
        "method": "POST",
        "path": "/v21.0/123/messages",
        "echo": '{"n":1}',
        "authorization": "Bearer token",
        "messages": [{"id": "wamid.1"}],
    }


async def test_requests_reuse_one_connection(server: Server) -> None:
    async with client(server.port) as http:
        answers = [(await http.post("/123/messages", json={"n": n})).json() for n in range(5)]
    assert [a["connection"] for a in answers] == [1] * 5
    assert [a["echo"] for a in answers] == [f'{{"n":{n}}}' for n in range(5)]


async def test_concurrent_requests_get_connections_of_their_own(server: Server) -> None:
    server.gate = 4  # no answer until all four are waiting: each needs a connection
    async with client(server.port) as http:
        answers = await asyncio.gather(*(http.get(f"/{n}") for n in range(4)))
    assert sorted(a.json()["connection"] for a in answers) == [1, 2, 3, 4]
    assert [a.json()["path"] for a in answers] == ["/v21.0/0", "/v21.0/1", "/v21.0/2", "/v21.0/3"]


async def test_a_server_that_closes_gets_a_new_connection_each_time(server: Server) -> None:
    server.mode = "close"
    async with client(server.port) as http:
        answers = [(await http.get("/x")).json()["connection"] for _ in range(3)]
    assert answers == [1, 2, 3]


async def test_a_compressed_answer_is_left_for_httpx_to_decode(server: Server) -> None:
    server.mode = "gzip"
    async with client(server.port) as http:
        response = await http.get("/x")
    assert response.headers["content-encoding"] == "gzip" and response.json()["path"] == "/v21.0/x"


async def test_no_answer_in_time_is_a_read_timeout(server: Server) -> None:
    server.mode = "silent"
    async with client(server.port, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow")


async def test_a_refused_connection_is_a_connect_error(refusing_port: int) -> None:
    async with client(refusing_port) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/x")


@pytest.mark.parametrize("mode", ["hangup", "garbage"])
async def test_a_closed_or_broken_answer_is_a_protocol_error(server: Server, mode: str) -> None:
    server.mode = mode
    async with client(server.port) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/123/messages", json={})


SETTINGS = WhatsAppSettings(
    access_token="token",
    app_secret="secret",
    verify_token="verify",
    phone_number_id="100",
    api_url="http://127.0.0.1:1/v21.0",
    store_url="sqlite://",
    evidence_dir=Path("/tmp"),
    reopen_template=None,
    http_timeout=0.2,
    max_concurrent_turns=1,
    http_client="aiohttp",
)


def graph(port: int) -> GraphClient:
    settings = dataclasses.replace(SETTINGS, api_url=f"http://127.0.0.1:{port}/v21.0")
    return GraphClient(
        settings, timeout=settings.http_timeout, max_attempts=2, transport=outbound_transport(settings.http_client)
    )


async def test_the_graph_client_classifies_what_happened_as_with_the_keep_alive_transport(
    server: Server, refusing_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whatsapp_graph, "backoff_seconds", lambda *args: 0.0)
    body = {"type": "text", "text": {"body": "hi"}}
    sender = graph(server.port)
    assert (await sender.send("919800000001", body)).wamid == "wamid.1"
    server.mode = "silent"
    assert (await sender.send("919800000001", body)).action is Action.UNKNOWN  # went out, no answer: may have reached Meta
    await sender.close()
    refused = graph(refusing_port)
    assert (await refused.send("919800000001", body)).action is Action.RETRY  # never reached Meta: may go again
    await refused.close()


async def test_the_workers_transport_is_chosen_by_name() -> None:
    assert isinstance(outbound_transport("keepalive"), KeepAliveTransport)
    assert isinstance(outbound_transport("aiohttp"), AiohttpTransport)
    assert isinstance(outbound_transport("httpx"), httpx.AsyncHTTPTransport)
    with pytest.raises(ValueError, match="one of keepalive, aiohttp, httpx"):
        outbound_transport("requests")
