"""Who sees what, in Chromium: each role's nav, department scoping, CSRF refusal, session expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from nagarik import db, settings
from nagarik.db import models
from nagarik.staff import accounts
from tests.browser.support import Console, Login
from tests.unit.staff_helpers import add_grievance

EVERY_LINK = {"/console/", "/console/grievances", "/console/handoffs", "/console/conversations",
              "/console/broadcasts", "/console/dashboard", "/console/sessions", "/console/audit"}  # fmt: skip
# What each role's nav offers (nagarik/staff/policy.py), written out so a change to the policy shows here.
NAV = {
    "admin": EVERY_LINK,
    "supervisor": EVERY_LINK - {"/console/audit"},
    "department_officer": {"/console/", "/console/grievances", "/console/handoffs", "/console/sessions"},
    "broadcaster": {"/console/", "/console/broadcasts", "/console/sessions"},
    "trainer": {"/console/", "/console/conversations", "/console/sessions"},
    "viewer": EVERY_LINK - {"/console/audit"},
}
# Pages that exist today; a role whose nav leaves one out gets 404 there (the page does not admit it exists).
PAGES = ("/console/grievances", "/console/handoffs", "/console/audit", "/console/sessions")


def nav_links(page: Page) -> set[str]:
    return set(page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))"))


def test_every_role_is_in_the_policy_table() -> None:
    assert set(NAV) == set(accounts.ROLES)


@pytest.mark.parametrize("role", sorted(NAV))
def test_each_role_sees_the_nav_it_is_allowed_and_no_more(page: Page, console: Console, login: Login, role: str) -> None:
    login(page, role)
    assert nav_links(page) == NAV[role]
    assert page.locator("header").get_by_text(console.username(role)).is_visible()
    for path in PAGES:
        response = page.goto(console.base_url + path)
        assert response is not None
        assert response.status == (200 if path in NAV[role] else 404), f"{role} at {path}"


def test_an_officer_cannot_open_another_departments_grievance(page: Page, console: Console, login: Login) -> None:
    add_grievance("GRV-2030-100001", "sanitation", "health", "Garbage heaped at the 4th Block park")
    add_grievance("GRV-2030-100002", "water_supply", "water", "No water since Monday")
    login(page, "department_officer")  # health
    page.goto(console.url("/grievances"))
    listed = page.locator("main").inner_text()
    assert "GRV-2030-100001" in listed and "GRV-2030-100002" not in listed
    response = page.goto(console.url("/grievances/GRV-2030-100002"))
    assert response is not None and response.status == 404
    assert "No water since Monday" not in page.content()
    response = page.goto(console.url("/grievances/GRV-2030-100001"))
    assert response is not None and response.status == 200
    assert "Garbage heaped at the 4th Block park" in page.locator("main").inner_text()


def test_a_form_posted_with_a_wrong_csrf_token_is_refused(page: Page, console: Console, login: Login) -> None:
    login(page, "viewer")
    logout = page.locator("form[action='/console/logout']")
    logout.locator("input[name=csrf_token]").evaluate("field => { field.value = 'not-this-sessions-token' }")
    with page.expect_response(lambda response: response.url.endswith("/console/logout")) as posted:
        logout.locator("button").click()
    assert posted.value.status == 403
    assert "CSRF token missing or wrong" in page.locator("body").inner_text()
    page.goto(console.url("/"))  # the refused logout did nothing: still signed in
    assert page.url == console.url("/") and "/console/grievances" in nav_links(page)


def test_the_right_token_logs_out(page: Page, console: Console, login: Login) -> None:
    login(page, "trainer")
    page.locator("form[action='/console/logout'] button").click()
    page.wait_for_url(console.url("/login"))
    page.goto(console.url("/"))
    assert page.url == console.url("/login")


def test_an_idle_session_ends_and_the_next_page_is_the_login_page(page: Page, console: Console, login: Login) -> None:
    login(page, "supervisor")
    idle = dt.timedelta(minutes=settings.console_idle_minutes() + 1)
    with db.session_scope() as session:  # as if the supervisor had left the console idle past the timeout
        official = accounts.find(session, console.username("supervisor"))
        query = select(models.OfficialSession).where(
            models.OfficialSession.official_id == official.id, models.OfficialSession.ended_at.is_(None)
        )
        for row in session.execute(query).scalars():
            row.last_seen_at -= idle
            row.created_at -= idle
    page.reload()
    assert page.url == console.url("/login")
    assert page.locator("input[name=password]").is_visible()
    assert not page.locator("header nav").count()


def test_the_session_cookie_is_httponly_strict_and_plain_over_plain_http(page: Page, login: Login) -> None:
    """The harness serves the console over plain http with NAGARIK_CONSOLE_SECURE_COOKIES=0: a
    cookie the browser keeps and sends back, still out of scripts' reach and never sent cross-site."""
    login(page, "broadcaster")
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "nagarik_session" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert not cookie["secure"] and cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""
