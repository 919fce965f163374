"""The console's pages through FastAPI's TestClient: login, sessions, CSRF, scoping, masking,
escaping, the audit row, headers and the official's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from nagarik import db
from nagarik.db import models
from nagarik.shared.clock import frozen
from nagarik.web import console
from tests.unit.staff_helpers import PASSWORD, START, add_grievance, add_official


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")  # TestClient speaks plain http
    app = FastAPI()
    console.install(app)
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/console/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    return client.cookies["nagarik_session"]


def use_cookie(client: TestClient, token: str) -> None:
    client.cookies.clear()  # else the jar keeps the server's cookie beside this one
    client.cookies.set("nagarik_session", token)


def csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert match
    return match.group(1)


def test_login_sets_an_httponly_cookie_and_wrong_or_unknown_get_the_same_answer(client: TestClient) -> None:
    add_official("asha", "supervisor")
    wrong = client.post("/console/login", data={"username": "asha", "password": "not the password"})
    unknown = client.post("/console/login", data={"username": "nobody", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401 and wrong.text == unknown.text
    response = client.post("/console/login", data={"username": "asha", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("samesite", "SameSite")
    assert client.get("/console/").status_code == 200


def test_secure_cookies_use_the_host_prefix(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    add_official("asha", "supervisor")
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "1")
    cookie = client.post("/console/login", data={"username": "asha", "password": PASSWORD}).headers["set-cookie"]
    assert cookie.startswith("__Host-nagarik_session=") and "Secure" in cookie and "Path=/" in cookie


def test_login_is_throttled_after_five_failures_even_with_the_right_password(client: TestClient) -> None:
    add_official("asha", "supervisor")
    for _ in range(5):
        assert client.post("/console/login", data={"username": "asha", "password": "nope nope nope"}).status_code == 401
    assert client.post("/console/login", data={"username": "asha", "password": PASSWORD}).status_code == 401
    with frozen(START + dt.timedelta(minutes=16)):
        assert client.post("/console/login", data={"username": "asha", "password": PASSWORD}).status_code == 303


def test_logout_revokes_the_old_cookie(client: TestClient) -> None:
    add_official("asha", "supervisor")
    token = login(client, "asha")
    assert client.post("/console/logout", data={"csrf_token": csrf(client)}).status_code == 303
    use_cookie(client, token)
    assert client.get("/console/").status_code == 303  # to the login page


def test_idle_and_absolute_expiry(client: TestClient) -> None:
    add_official("asha", "supervisor")
    login(client, "asha")
    with frozen(START + dt.timedelta(minutes=31)):
        assert client.get("/console/").status_code == 303
    login(client, "asha")
    for minutes in range(20, 12 * 60, 20):
        with frozen(START + dt.timedelta(minutes=minutes)):
            assert client.get("/console/").status_code == 200
    with frozen(START + dt.timedelta(hours=12)):
        assert client.get("/console/").status_code == 303


def test_state_changes_need_the_sessions_csrf_token(client: TestClient) -> None:
    add_official("asha", "supervisor")
    login(client, "asha")
    assert client.post("/console/logout").status_code == 403
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/console/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get("/console/").status_code == 200  # still signed in
    assert client.post("/console/logout", headers={"X-CSRF-Token": csrf(client)}).status_code == 303


def test_an_admin_ends_another_officials_session(client: TestClient) -> None:
    add_official("root", "admin")
    add_official("ravi", "department_officer", ["health"])
    ravi_token = login(client, "ravi")
    login(client, "root")
    with db.session_scope() as session:
        ravi_id = session.execute(select(models.Official.id).where(models.Official.username == "ravi")).scalar_one()
        query = select(models.OfficialSession.id).where(models.OfficialSession.official_id == ravi_id)
        ravi_session = session.execute(query).scalar_one()
    assert "ravi" in client.get("/console/sessions").text
    assert client.post(f"/console/sessions/{ravi_session}/end", data={"csrf_token": csrf(client)}).status_code == 303
    use_cookie(client, ravi_token)
    assert client.get("/console/").status_code == 303


def test_an_officer_cannot_end_someone_elses_session(client: TestClient) -> None:
    add_official("root", "admin")
    add_official("ravi", "department_officer", ["health"])
    login(client, "root")
    with db.session_scope() as session:
        root_session = session.execute(select(models.OfficialSession.id)).scalar_one()
    login(client, "ravi")
    assert client.post(f"/console/sessions/{root_session}/end", data={"csrf_token": csrf(client)}).status_code == 404


def test_a_department_officer_sees_only_their_departments_grievances(client: TestClient) -> None:
    add_official("ravi", "department_officer", ["health"])
    add_grievance("GRV-2030-000001", "sanitation", "health")
    add_grievance("GRV-2030-000002", "roads", "engineering", phone="919811112222")
    login(client, "ravi")
    listing = client.get("/console/grievances")
    assert "GRV-2030-000001" in listing.text and "GRV-2030-000002" not in listing.text
    assert "91987•••3210" in listing.text and "919876543210" not in listing.text
    assert client.get("/console/grievances/GRV-2030-000002").status_code == 404
    assert client.get("/console/grievances/GRV-2030-999999").status_code == 404
    assert "1" in client.get("/console/").text


def test_the_detail_page_shows_the_whole_phone_and_is_audited(client: TestClient) -> None:
    add_official("ravi", "department_officer", ["health"])
    add_grievance("GRV-2030-000001", "sanitation", "health")
    login(client, "ravi")
    page = client.get("/console/grievances/GRV-2030-000001")
    assert page.status_code == 200 and "919876543210" in page.text
    assert page.headers["cache-control"] == "no-store"
    with db.session_scope() as session:
        views = session.execute(select(models.AuditEntry).where(models.AuditEntry.action == "grievance.view")).scalars().all()
        assert [(view.who, view.object, view.ip) for view in views] == [("ravi", "GRV-2030-000001", "testclient")]


def test_citizen_text_is_escaped(client: TestClient) -> None:
    add_official("asha", "supervisor")
    add_grievance("GRV-2030-000001", "sanitation", "health", description="<script>alert(1)</script> <img src=x onerror=alert(1)>")
    login(client, "asha")
    page = client.get("/console/grievances/GRV-2030-000001").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_security_headers_and_no_inline_script(client: TestClient) -> None:
    response = client.get("/console/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None and " style=" not in response.text
    assert "htmx" in client.get("/console/static/htmx.min.js").text


def test_the_audit_log_is_for_admins_only(client: TestClient) -> None:
    add_official("root", "admin")
    add_official("vee", "viewer")
    login(client, "vee")
    assert client.get("/console/audit").status_code == 404
    login(client, "root")
    page = client.get("/console/audit")
    assert page.status_code == 200 and "login" in page.text and "vee" in page.text


def test_a_viewer_reads_grievances_masked_only(client: TestClient) -> None:
    add_official("vee", "viewer")
    add_grievance("GRV-2030-000001", "sanitation", "health")
    login(client, "vee")
    page = client.get("/console/grievances/GRV-2030-000001")
    assert page.status_code == 200 and "919876543210" not in page.text and "91987•••3210" in page.text


def test_the_console_speaks_the_officials_language_and_it_can_be_switched(client: TestClient) -> None:
    add_official("meera", "supervisor", language="hi")
    login(client, "meera")
    assert "शिकायतें" in client.get("/console/").text
    assert client.post("/console/language", data={"csrf_token": csrf(client), "language": "kn"}).status_code == 303
    page = client.get("/console/").text
    assert "ದೂರುಗಳು" in page and "शिकायतें" not in page


def test_every_language_has_the_console_words_english_has() -> None:
    from nagarik.web.console import words as console_words

    english = set(console_words._own("en"))
    for language in ("hi", "kn"):
        assert set(console_words._own(language)) == english, language


def test_a_console_word_defined_in_two_files_is_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nagarik.web.console import words as console_words

    (tmp_path / "en.yml").write_text("home: Home\n", encoding="utf-8")
    (tmp_path / "handoffs.en.yml").write_text("home: Again\n", encoding="utf-8")
    monkeypatch.setattr(console_words, "DIRECTORY", tmp_path)
    console_words._own.cache_clear()
    try:
        with pytest.raises(ValueError, match="home"):
            console_words._own("en")
    finally:
        console_words._own.cache_clear()


def test_a_login_posted_from_another_site_is_refused(client: TestClient) -> None:
    """Login CSRF: a page elsewhere must not sign an official in to an account of its choosing."""
    add_official("asha", "supervisor")
    form = {"username": "asha", "password": PASSWORD}
    elsewhere = client.post("/console/login", data=form, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and "nagarik_session" not in elsewhere.headers.get("set-cookie", "")
    sandboxed = client.post("/console/login", data=form, headers={"Origin": "null"})
    assert sandboxed.status_code == 403
    here = client.post("/console/login", data=form, headers={"Origin": "http://testserver"})
    assert here.status_code == 303
