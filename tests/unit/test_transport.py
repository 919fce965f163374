"""The broadcast workers' keep-alive HTTP transport, against a small asyncio server on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.unit.http_server import Server
from whatsapp.cloud.transport import KeepAliveTransport


def client(server: Server, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}/v21.0", transport=KeepAliveTransport(), timeout=timeout)


async def test_requests_reuse_one_connection(server: Server) -> None:
    async with client(server) as http:
        answers = [(await http.post("/123/messages", json={"n": n})).json() for n in range(5)]
    assert [a["connection"] for a in answers] == [1] * 5
    assert (answers[2]["connection"], answers[2]["echo"], answers[2]["path"]) == (1, '{"n":2}', "/v21.0/123/messages")


async def test_concurrent_requests_get_connections_of_their_own(server: Server) -> None:
    server.gate = 4  # every answer waits until all four requests are in: none can share a connection
    async with client(server) as http:
        answers = await asyncio.gather(*(http.get(f"/{n}") for n in range(4)))
    assert sorted(a.json()["connection"] for a in answers) == [1, 2, 3, 4]
    assert [a.json()["path"] for a in answers] == ["/v21.0/0", "/v21.0/1", "/v21.0/2", "/v21.0/3"]


async def test_a_server_that_closes_gets_a_new_connection_each_time(server: Server) -> None:
    server.mode = "close"
    async with client(server) as http:
        answers = [(await http.get("/x")).json()["connection"] for _ in range(3)]
    assert answers == [1, 2, 3]


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s: setattr(s, "mode", "silent"), httpx.ReadTimeout),  # no answer within the read timeout
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
