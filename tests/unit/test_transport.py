"""The broadcast workers' HTTP transports (the keep-alive one and aiohttp's pool), each against a
small asyncio server on a free port: the same behaviours, and failures as the same httpx errors
the Graph client classifies. Nothing waits on the clock: the server answers when told, or never."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.unit.http_server import Server
from tests.unit.test_whatsapp_graph import SETTINGS as GRAPH_SETTINGS
from whatsapp.cloud import graph as whatsapp_graph
from whatsapp.cloud.aiohttp_transport import AiohttpTransport
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.transport import KeepAliveTransport, outbound_transport
from whatsapp.errors import Action

TRANSPORTS = {"keepalive": KeepAliveTransport, "aiohttp": AiohttpTransport}


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused, and nobody else can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(params=sorted(TRANSPORTS))
def client(request: pytest.FixtureRequest) -> Callable[..., httpx.AsyncClient]:
    """An httpx client over each of the transports in turn."""

    def make(port: int, timeout: float = 5.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/v21.0",
            headers={"Authorization": "Bearer token"},
            transport=TRANSPORTS[request.param](),
            timeout=timeout,
        )

    return make


async def test_the_answer_is_parsed_as_httpx_would(server: Server, client: Callable[..., httpx.AsyncClient]) -> None:
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


async def test_requests_reuse_one_connection(server: Server, client: Callable[..., httpx.AsyncClient]) -> None:
    async with client(server.port) as http:
        answers = [(await http.post("/123/messages", json={"n": n})).json() for n in range(5)]
    assert [a["connection"] for a in answers] == [1] * 5
    assert [a["echo"] for a in answers] == [f'{{"n":{n}}}' for n in range(5)]
    assert answers[2]["path"] == "/v21.0/123/messages"


async def test_concurrent_requests_get_connections_of_their_own(server: Server, client: Callable[..., httpx.AsyncClient]) -> None:
    server.gate = 4  # no answer until all four are waiting: each needs a connection
    async with client(server.port) as http:
        answers = await asyncio.gather(*(http.get(f"/{n}") for n in range(4)))
    assert sorted(a.json()["connection"] for a in answers) == [1, 2, 3, 4]
    assert [a.json()["path"] for a in answers] == ["/v21.0/0", "/v21.0/1", "/v21.0/2", "/v21.0/3"]


async def test_a_server_that_closes_gets_a_new_connection_each_time(
    server: Server, client: Callable[..., httpx.AsyncClient]
) -> None:
    server.mode = "close"
    async with client(server.port) as http:
        answers = [(await http.get("/x")).json()["connection"] for _ in range(3)]
    assert answers == [1, 2, 3]


async def test_a_compressed_answer_is_left_for_httpx_to_decode(server: Server, client: Callable[..., httpx.AsyncClient]) -> None:
    server.mode = "gzip"
    async with client(server.port) as http:
        response = await http.get("/x")
    assert response.headers["content-encoding"] == "gzip" and response.json()["path"] == "/v21.0/x"


async def test_no_answer_in_time_is_a_read_timeout(server: Server, client: Callable[..., httpx.AsyncClient]) -> None:
    server.mode = "silent"
    async with client(server.port, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow")


async def test_a_refused_connection_is_a_connect_error(refusing_port: int, client: Callable[..., httpx.AsyncClient]) -> None:
    async with client(refusing_port) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/x")


@pytest.mark.parametrize("mode", ["hangup", "garbage"])
async def test_a_closed_or_broken_answer_is_a_protocol_error(
    server: Server, mode: str, client: Callable[..., httpx.AsyncClient]
) -> None:
    server.mode = mode
    async with client(server.port) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/123/messages", json={})


def graph(port: int, http_client: str) -> GraphClient:
    settings = dataclasses.replace(
        GRAPH_SETTINGS, api_url=f"http://127.0.0.1:{port}/v21.0", http_timeout=0.2, http_client=http_client
    )
    return GraphClient(
        settings, timeout=settings.http_timeout, max_attempts=2, transport=outbound_transport(settings.http_client)
    )


@pytest.mark.parametrize("http_client", sorted(TRANSPORTS))
async def test_the_graph_client_classifies_what_happened_alike_over_each_transport(
    server: Server, refusing_port: int, monkeypatch: pytest.MonkeyPatch, http_client: str
) -> None:
    monkeypatch.setattr(whatsapp_graph, "backoff_seconds", lambda *args: 0.0)
    body = {"type": "text", "text": {"body": "hi"}}
    sender = graph(server.port, http_client)
    assert (await sender.send("919800000001", body)).wamid == "wamid.1"
    server.mode = "silent"
    assert (await sender.send("919800000001", body)).action is Action.UNKNOWN  # went out, no answer: may have reached Meta
    await sender.close()
    refused = graph(refusing_port, http_client)
    assert (await refused.send("919800000001", body)).action is Action.RETRY  # never reached Meta: may go again
    await refused.close()


async def test_the_workers_transport_is_chosen_by_name() -> None:
    assert isinstance(outbound_transport("keepalive"), KeepAliveTransport)
    assert isinstance(outbound_transport("aiohttp"), AiohttpTransport)
    assert isinstance(outbound_transport("httpx"), httpx.AsyncHTTPTransport)
    with pytest.raises(ValueError, match="one of keepalive, aiohttp, httpx"):
        outbound_transport("requests")
