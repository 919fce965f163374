"""The Graph client's retries: a send that never reached Meta goes again; one that went out without
an answer goes again only after a look for its status came back empty, or goes back to the caller."""

from __future__ import annotations

from pathlib import Path

import httpx

from whatsapp.cloud import graph as whatsapp_graph
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.errors import Action

SETTINGS = WhatsAppSettings(
    access_token="token",
    app_secret="secret",
    verify_token="verify",
    phone_number_id="100",
    api_url="http://graph.test/v21.0",
    store_url="sqlite://",
    evidence_dir=Path("/tmp"),
    reopen_template=None,
    http_timeout=1.0,
    max_concurrent_turns=1,
)


def client(*answers: Exception | str, monkeypatch) -> tuple[GraphClient, list[dict]]:
    """A client whose sends meet `answers` in turn: an exception, or the wamid Meta accepts."""
    monkeypatch.setattr(whatsapp_graph, "UNKNOWN_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(whatsapp_graph, "backoff_seconds", lambda *args: 0.0)
    posts: list[dict] = []
    pending = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        posts.append(request.read())
        answer = pending.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(200, json={"messages": [{"id": answer}]})

    return GraphClient(SETTINGS, transport=httpx.MockTransport(handle)), posts


async def test_a_send_meta_had_is_not_sent_again_after_a_timeout(monkeypatch):
    graph, posts = client(httpx.ReadTimeout("no answer"), monkeypatch=monkeypatch)

    async def status_came() -> str | None:
        return "wamid.taken"

    result = await graph.send("919800000001", {"type": "text", "text": {"body": "hi"}}, sent_already=status_came)
    assert result.wamid == "wamid.taken" and len(posts) == 1


async def test_a_send_without_an_answer_goes_again_when_no_status_came(monkeypatch):
    graph, posts = client(httpx.ReadTimeout("no answer"), "wamid.second", monkeypatch=monkeypatch)

    async def nothing() -> str | None:
        return None

    result = await graph.send("919800000001", {"type": "text", "text": {"body": "hi"}}, sent_already=nothing)
    assert result.wamid == "wamid.second" and len(posts) == 2


async def test_without_a_look_for_statuses_the_unknown_goes_back_to_the_caller(monkeypatch):
    graph, posts = client(httpx.ReadTimeout("no answer"), monkeypatch=monkeypatch)
    result = await graph.send("919800000001", {"type": "text", "text": {"body": "hi"}})
    assert result.action is Action.UNKNOWN and result.wamid is None and len(posts) == 1


async def test_a_send_that_never_reached_meta_is_retried_at_once(monkeypatch):
    graph, posts = client(httpx.ConnectError("refused"), "wamid.ok", monkeypatch=monkeypatch)
    result = await graph.send("919800000001", {"type": "text", "text": {"body": "hi"}})
    assert result.wamid == "wamid.ok" and len(posts) == 2
