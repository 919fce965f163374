"""The console in a real browser: Debian's Chromium (deploy/install-chromium) driven by Playwright,
against the officials' web server started by the harness (harness/servers.py `console`) on a free
port, on a fresh migrated SQLite database of its own.

Fixtures for flows to come: `console` (base URL, the accounts), `login(page, role)`, `page` (in a
fresh browser context) and `new_page(**context_options)` for more or other ones (every page a
failed test opened is saved to var/test/screenshots/), and `dialogs` (every alert or confirm that
`page` opened). Rows are made by the tests (tests/unit/staff_helpers.py), never the demo seed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page

from harness.ports import free_port
from harness.servers import PYTHON, ROOT, StartError, simulator_settings
from harness.servers import console as console_server
from tests.browser.support import ACCOUNTS, Console, Login, chromium, page_opener
from tests.unit.staff_helpers import PASSWORD, add_official

SAMPLES = ROOT / "tests" / "fixtures" / "seed"  # the tests' own sample rows, never the demo's


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console")
    database_url = f"sqlite:///{directory / 'nagarik.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
        "NAGARIK_SAMPLE_DIR": str(SAMPLES),
        # The simulator's WhatsApp settings (pages that send, or read the 24-hour window, need some);
        # a flow that sends starts harness.servers.simulator on this port.
        **simulator_settings(free_port()),
    }
    env.pop("NAGARIK_API_TOKENS", None)  # the harness makes a scope-less one: these tests use no API
    init = subprocess.run([PYTHON, "-m", "nagarik", "init"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert init.returncode == 0, f"python -m nagarik init failed:\n{init.stderr}"
    with pytest.MonkeyPatch.context() as patch:  # this process writes the tests' rows to the same database
        patch.setenv("DATABASE_URL", database_url)
        patch.setenv("NAGARIK_SAMPLE_DIR", str(SAMPLES))
        for account in ACCOUNTS.values():  # through nagarik.staff.accounts, never the demo seed
            add_official(account.username, account.role, list(account.departments))
        port = free_port()
        server = console_server(port, env, directory / "console.log")
        try:
            server.start()  # returns once the login page answers (it polls; no fixed sleep)
        except StartError as exc:
            pytest.fail(str(exc))
        try:
            yield Console(f"http://127.0.0.1:{port}", database_url, server.log)
        finally:
            server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser: Browser, console: Console, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """`new_page(**context_options)`: a page in a fresh browser context (bypass_csp=True, a viewport, ...).
    When the test fails, every page it opened is saved to var/test/screenshots/."""
    yield from page_opener(browser, console.base_url, request)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every dialog (alert, confirm, prompt) the page opens, dismissed at once."""
    seen: list[str] = []

    def note(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note)
    return seen


@pytest.fixture
def login(console: Console) -> Login:
    """`login(page, who)`: signs in as that account (a role, or another key of ACCOUNTS) and waits for the home page."""

    def sign_in(page: Page, who: str) -> None:
        page.goto(console.url("/login"))
        page.fill("input[name=username]", console.username(who))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(console.url("/"))

    return sign_in
