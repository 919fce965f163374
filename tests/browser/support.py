"""What the browser tests share besides fixtures: the accounts, the running console, the login type,
and Debian's Chromium with screenshots of a failed test's pages (tests/e2e/test_console_browser.py
uses these too)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium: the real binary, else the wrapper script. Playwright's own download is never used.
CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "test" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    departments: tuple[str, ...] = ()


# One account per role (the test password, tests/unit/staff_helpers.PASSWORD), keyed by role, plus
# a second department's officer for the scoping tests. `login(page, KEY)` signs in as one.
ACCOUNTS: dict[str, Account] = {
    "admin": Account("b-admin", "admin"),
    "supervisor": Account("b-supervisor", "supervisor"),
    "department_officer": Account("b-health-officer", "department_officer", ("health",)),
    "broadcaster": Account("b-broadcaster", "broadcaster"),
    "trainer": Account("b-trainer", "trainer"),
    "viewer": Account("b-viewer", "viewer"),
    "water_officer": Account("b-water-officer", "department_officer", ("water",)),
}


@dataclass(frozen=True)
class Console:
    """The officials' web server the tests started: where it is and the database it uses."""

    base_url: str  # http://127.0.0.1:PORT
    database_url: str
    log: Path

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}/console{path}"

    def username(self, who: str) -> str:
        return ACCOUNTS[who].username


Login = Callable[[Page, str], None]


# --- Chromium, and screenshots when a test fails ------------------------------------------------


def chromium_path() -> str:
    for path in CHROMIUM:
        if os.access(path, os.X_OK):
            return path
    pytest.fail("Debian's chromium is missing: run `make chromium` (deploy/install-chromium, as root)")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (a session fixture's body)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield launched
        finally:
            launched.close()


def screenshot_path(nodeid: str, number: int) -> Path:
    """var/test/screenshots/<test name>[-N].png: the test's name without its file, made safe for a file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:150]
    return SCREENSHOTS / f"{name}{f'-{number}' if number else ''}.png"


def page_opener(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """A fixture's body: `open_page(**context_options)` gives a page in a fresh browser context
    (bypass_csp=True, a viewport, ...); when the test fails, every page it opened is saved to
    var/test/screenshots/. Contexts are closed after."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(**{"base_url": base_url, "viewport": VIEWPORT, **options})
        contexts.append(context)
        opened = context.new_page()
        opened.set_default_timeout(10_000)
        return opened

    failures_before = request.session.testsfailed
    yield open_page
    # The test's own report is counted before its fixtures are torn down: no hook needed.
    if request.session.testsfailed > failures_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shown = [opened for context in contexts for opened in context.pages]
        for number, opened in enumerate(shown):
            opened.screenshot(path=screenshot_path(request.node.nodeid, number), full_page=True)
    for context in contexts:
        context.close()
