"""Talking to the running Rasa server through its REST channel, as a citizen would.

`make rest-test` starts the Rasa and action servers (python -m harness) on a fresh seeded
database before running these tests.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

RASA_URL = os.environ.get("NAGARIK_RASA_URL", "http://127.0.0.1:5005")
ROOT = Path(__file__).resolve().parents[2]
DEMO_SENDER = "919876543210"
_phones = itertools.count(1)


class Chat:
    """One citizen's conversation; every reply must fit a WhatsApp message."""

    def __init__(self, client: httpx.Client, sender: str) -> None:
        self.client = client
        self.sender = sender
        self.send("/restart")

    def send(self, text: str) -> list[dict[str, Any]]:
        response = self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        response.raise_for_status()
        replies = response.json()
        for reply in replies:
            assert len(reply.get("text", "")) <= 1024, reply
            buttons = reply.get("buttons") or []
            assert len(buttons) <= 10, reply
            limit = 20 if len(buttons) <= 3 else 24
            assert all(len(b["title"]) <= limit for b in buttons), buttons
        return replies

    def say(self, text: str) -> str:
        """Send and return all reply texts joined, for assertions on wording and script."""
        return "\n".join(reply.get("text", "") for reply in self.send(text))


@pytest.fixture(scope="session")
def client() -> httpx.Client:
    # Rasa's HTTP API (/status, /model/parse) answers only with the token `python -m harness` made.
    token = {"token": os.environ.get("RASA_AUTH_TOKEN", "")}
    with httpx.Client(base_url=RASA_URL, timeout=60, params=token) as http:
        try:
            http.get("/status").raise_for_status()
        except httpx.HTTPError as exc:
            pytest.fail(f"the Rasa server is not answering at {RASA_URL} (run through `make rest-test`): {exc}")
        yield http


@pytest.fixture
def chat(client: httpx.Client):
    """A chat from a phone number no other test uses."""

    def start(sender: str | None = None) -> Chat:
        return Chat(client, sender or f"9170000{os.getpid() % 1000:03d}{next(_phones):02d}")

    return start


@pytest.fixture(scope="session")
def catalog() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "seed" / "catalog.yml").read_text(encoding="utf-8"))
    data["by_key"] = {item["key"]: item for group in ("services", "grievance_categories") for item in data[group]}
    return data
