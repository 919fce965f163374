"""Helpers shared by the unit, REST and end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from whatsapp.outbound import script_language


def kannada(text: str) -> bool:
    return script_language(text) == "kn"


def devanagari(text: str) -> bool:
    return script_language(text) == "hi"


def add_subscriber(phone: str, topics: tuple[str, ...], ward: str, language: str = "en", stop: bool = False) -> None:
    """A citizen who chose updates (and maybe said STOP since), as the chat would record it."""
    with db.session_scope() as session:
        subscriptions.notice_shown(session, phone)  # consent comes after the notice
        for topic in topics:
            subscriptions.subscribe(session, phone, topic)
        subscriptions.set_ward(session, phone, ward)
        session.get(models.Citizen, phone).language = language
        if stop:
            subscriptions.stop_all(session, phone)


T = TypeVar("T")
WAIT_SECONDS = 120.0  # a generous bound on "eventually": a hung process fails the test, never a slow machine


def wait_until(condition: Callable[[], T], what: str, seconds: float = WAIT_SECONDS) -> T:
    """Poll `condition` until it is truthy and return its value; fail naming `what` after `seconds`.
    Tests wait for a state, never for a time."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.05)


def answers(url: str, **kwargs: Any) -> bool:
    """Whether a server answers at `url` (any HTTP status) yet."""
    import httpx

    try:
        httpx.get(url, timeout=2, **kwargs)
    except httpx.HTTPError:
        return False
    return True


class Servers(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=Servers)


def serving(servers: S) -> Iterator[S]:
    """A fixture's body for servers the harness starts (harness.stack, harness.deployment): a
    start that fails stops what did start and fails the test with the reason; stopped after."""
    from harness.servers import StartError

    try:
        servers.start()
    except StartError as exc:
        servers.stop()
        pytest.fail(str(exc))
    try:
        yield servers
    finally:
        servers.stop()
