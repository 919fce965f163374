"""The officials' console in Debian's Chromium against the whole stack (simulator, Rasa, action
server, outbound workers and a console server of its own): a live handoff answered from the
browser, a grievance's status change reaching the citizen in their language, and a broadcast
composed, sent and watched to the end on its progress page. The pages' own polling (htmx) is what
brings new things onto them: the tests wait for the text on the page, never for a time. A failed
test's pages are saved under var/test/screenshots/ (tests/browser/support.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from conftest import sent_to, text_of, wait_until
from playwright.sync_api import Browser, Page, expect

from harness.ports import free_port
from harness.servers import console as console_server
from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.citizens import grievances
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.staff import accounts
from nagarik.web.console.words import words
from tests.browser.support import chromium, page_opener
from tests.support import devanagari, serving

PASSWORD = "a long test password for the browser flows"
OFFICER, BROADCASTER = "cb-health-officer", "cb-broadcaster"
POLLED_MS = 30_000  # what a page polls for (every 3 s) shows within this, even on a slow machine
SAID = words("en")  # the officials' pages in English (the accounts' language)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def officials(stack) -> None:
    with db.session_scope(stack.env["DATABASE_URL"]) as session:
        accounts.create(session, OFFICER, "department_officer", PASSWORD, ["health"])
        accounts.create(session, BROADCASTER, "broadcaster", PASSWORD)


@pytest.fixture
def web(stack, office, officials) -> Iterator[str]:
    """The console's address, on the stack's databases and the office's queue, with workers running."""
    office.start_worker(threads=2)
    port = free_port()
    env = {**stack.env, "NAGARIK_QUEUE_URL": f"sqlite:///{stack.directory / 'queue.db'}"}
    for _ in serving(console_server(port, env, stack.directory / "console-browser.log")):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def new_page(browser: Browser, web: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    yield from page_opener(browser, web, request)


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


def texts_to(phone: str) -> list[str]:
    return [text_of(message) for message in sent_to(phone)]


def test_an_officer_answers_a_handoff_from_the_browser(new_page, citizen):
    phone = "919811888001"
    person = citizen(phone)
    reference = re.search(r"HO-\d{4}-\d{6}", person.say("/human_handoff"))
    assert reference, "the assistant gave no handoff reference"
    reference = reference.group(0)

    page = new_page()
    sign_in(page, OFFICER)
    page.goto("/console/handoffs")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/console/handoffs/{reference}")
    page.locator("form[action$='/take'] button").click()
    reply = page.locator("form.reply")
    expect(reply).to_be_visible()  # the page again, now with the owner's forms

    answer = "Your birth certificate is ready at counter 4."
    reply.locator("textarea[name=text]").fill(answer)
    reply.locator("button[type=submit]").click()
    wait_until(lambda: answer in texts_to(phone), "the officer's reply to reach the citizen")
    expect(page.locator("#thread")).to_contain_text(answer)

    person.seen = max(message["seq"] for message in sent_to(phone))
    follow_up = "Thank you. Can my father collect it instead?"
    assert person.say(follow_up) == ""  # the officer's turn, not the assistant's
    expect(page.locator("#thread")).to_contain_text(follow_up, timeout=POLLED_MS)  # no reload: the page polls

    given_back = page.locator("form[action$='/return']")
    given_back.locator("select[name=outcome]").select_option("answered")
    given_back.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(SAID["handoff_outcome_answered"])
    expect(page.locator("form.reply")).to_have_count(0)
    wait_until(lambda: any(reference in text and "assistant" in text for text in texts_to(phone)), "the citizen to be told")


def test_a_status_change_in_the_browser_reaches_the_citizen_in_their_language(new_page, citizen, stack):
    phone = "919811888002"
    person = citizen(phone)
    with db.session_scope(stack.env["DATABASE_URL"]) as session:
        session.get(models.Citizen, phone).language = "hi"
        filing = grievances.file_grievance(
            session, current_catalog(session), phone=phone, category="sanitation", language="hi",
            description="कचरा तीन दिन से नहीं उठाया गया", location="Jayanagar 9th main",
        )  # fmt: skip
        tracking_id = filing.grievance.tracking_id
        grievances.change_status(session, tracking_id, "assigned", by=OFFICER)  # the lifecycle's way to in progress
    person.say("नमस्ते")  # the citizen wrote today: the notification goes as text, not the template

    page = new_page()
    sign_in(page, OFFICER)
    page.goto(f"/console/grievances/{tracking_id}")
    expect(page.locator("main")).to_contain_text("कचरा तीन दिन से नहीं उठाया गया")
    change = page.locator("form[action$='/status']")
    change.locator("select[name=status]").select_option("in_progress")
    remark = "A sanitation team visits 9th main tomorrow morning."
    change.locator("textarea[name=remark]").fill(remark)
    change.locator("button[type=submit]").click()
    expect(page.locator("table.grv-facts")).to_contain_text(SAID["grv_status_in_progress"])
    expect(page.locator("main")).to_contain_text(remark)  # in the history, marked public

    told = wait_until(lambda: [text for text in texts_to(phone) if tracking_id in text], "the citizen to be told of the change")
    assert devanagari(told[-1]), told[-1]


def test_a_broadcaster_composes_sends_and_watches_every_copy_go_out(new_page, office):
    ward, topic = "wilson_garden", "water_supply"  # no other end-to-end test writes to this ward
    audience = {"919811888101": "en", "919811888102": "hi", "919811888103": "kn"}
    for phone, language in audience.items():
        office.citizen(phone, (topic,), ward, language)
    office.citizen("919811888104", ("events",), ward)  # the same ward, another topic: left out at the end

    def size(wards: tuple[str, ...] = (), topics: tuple[str, ...] = ()) -> str:
        with db.session_scope() as session:
            return str(broadcasts.audience_size(session, "announcement", broadcasts.Audience(wards, topics)))

    page = new_page()
    sign_in(page, BROADCASTER)
    page.goto("/console/broadcasts/new")
    page.fill("textarea[name=text_en]", "Water supply off in Wilson Garden on Friday, 10 am to 4 pm")
    page.fill("textarea[name=text_hi]", "विल्सन गार्डन में शुक्रवार सुबह 10 से शाम 4 बजे तक पानी बंद रहेगा")
    page.fill("textarea[name=text_kn]", "ವಿಲ್ಸನ್ ಗಾರ್ಡನ್‌ನಲ್ಲಿ ಶುಕ್ರವಾರ ಬೆಳಿಗ್ಗೆ 10 ರಿಂದ ಸಂಜೆ 4 ರವರೆಗೆ ನೀರು ಇರುವುದಿಲ್ಲ")
    counted = page.locator("#audience-size strong")
    expect(counted).to_have_text(size())
    page.check(f"input[name=wards][value={ward}]")
    expect(counted).to_have_text(size((ward,)))
    assert size((ward,)) == "4"
    page.check(f"input[name=topics][value={topic}]")
    expect(counted).to_have_text("3")

    page.locator("form.compose button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/console/broadcasts/\d+$"))
    progress = page.locator("#progress")
    expect(progress.locator("td[data-state='queued']")).to_be_visible()

    def cell(state: str) -> int:
        return int(progress.locator(f"td[data-state='{state}']").inner_text())

    # What the page shows as it polls (every 3 s, until the minute's sweep marks the broadcast done).
    wait_until(lambda: cell("sent") + cell("delivered") + cell("read") == 3, "every copy shown sent on the progress page")
    assert [cell(state) for state in ("queued", "sending", "retrying", "held", "failed", "skipped")] == [0] * 6
    assert {phone: len(sent_to(phone)) for phone in audience} == dict.fromkeys(audience, 1)  # each once
    assert sent_to("919811888104") == []
