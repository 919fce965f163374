"""The console's pages as Chromium renders them: a citizen's markup shows as text, and a phone-sized
screen does not scroll sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.support import Console, Login
from tests.unit.staff_helpers import add_grievance

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> <svg onload=alert(3)>"


@pytest.mark.parametrize("csp", ["on", "off"])
def test_a_citizens_markup_shows_as_text_and_runs_nothing(
    new_page: Callable[..., Page], console: Console, login: Login, csp: str
) -> None:
    """With the Content-Security-Policy, and without it (bypassed), so escaping alone is shown to hold."""
    tracking_id = f"GRV-2030-2000{'01' if csp == 'on' else '02'}"
    add_grievance(tracking_id, "sanitation", "health", HOSTILE)
    page = new_page(bypass_csp=csp == "off")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "supervisor")
    page.goto(console.url(f"/grievances/{tracking_id}"))
    assert HOSTILE in page.locator("main").inner_text()  # the very characters, as text
    assert page.locator("main img, main svg, main script").count() == 0
    page.goto(console.url("/grievances"))
    assert tracking_id in page.locator("main").inner_text()
    assert dialogs == []


def test_the_grievances_list_fits_a_phone_screen(page: Page, console: Console, login: Login, dialogs: list[str]) -> None:
    for number in range(1, 6):
        add_grievance(f"GRV-2030-3000{number:02d}", "sanitation", "health", "Garbage not collected near the temple")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "supervisor")
    page.goto(console.url("/grievances"))
    assert page.locator("main table tbody tr").count() >= 5
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the grievances list is {width} px wide at 390 px: it scrolls sideways"
