"""The console's broadcast, poll, campaign and reminder pages through FastAPI's TestClient:
composing (texts, audience, media, schedule), the audience-size fragment, the emergency alert's
roles and confirmation, live progress, cancelling, poll results, access and escaping."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts, campaigns, media_upload, polls
from nagarik.outbound.broadcasts import Audience
from nagarik.shared.clock import frozen
from nagarik.web import api, console
from tests.unit.broadcast_helpers import BASAVANAGUDI, JAYANAGAR, citizen
from tests.unit.staff_helpers import PASSWORD, START, add_official

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.7\n" + b"\0" * 64


@pytest.fixture
def started() -> list[int]:
    """The broadcasts handed to the queue (the app's starter, as the API's)."""
    return []


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch, started: list[int]) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")  # TestClient speaks plain http
    app = FastAPI()
    console.install(app)
    app.state.start_broadcast = api.starting_with(lambda broadcast_id, priority: started.append(broadcast_id))
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def uploaded(monkeypatch: pytest.MonkeyPatch) -> list[media_upload.Checked]:
    """What would have gone to WhatsApp's media store: each file gets the id 7000 + n."""
    files: list[media_upload.Checked] = []

    async def upload(checked: media_upload.Checked) -> str:
        files.append(checked)
        return str(7000 + len(files))

    monkeypatch.setattr(media_upload, "upload", upload)
    return files


def login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    response = client.post("/console/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert match
    return match.group(1)


def audience_rows() -> None:
    citizen("919800000001", ward=JAYANAGAR, language="kn")
    citizen("919800000002", ward=JAYANAGAR, language="hi", topics=("power_cuts",))
    citizen("919800000003", ward=BASAVANAGUDI, language="en")
    citizen("919800000004", ward=BASAVANAGUDI, language="kn", stop=True)


def all_broadcasts() -> list[models.Broadcast]:
    with db.session_scope() as session:
        rows = list(session.execute(select(models.Broadcast).order_by(models.Broadcast.id)).scalars())
        session.expunge_all()
        return rows


def audit_actions() -> list[tuple[str, str, str]]:
    with db.session_scope() as session:
        entries = session.execute(select(models.AuditEntry).order_by(models.AuditEntry.id)).scalars()
        return [(entry.who, entry.action, entry.object) for entry in entries if not entry.action.startswith("login")]


def announcement(**fields: object) -> dict[str, object]:
    return {"text_en": "Water off on Friday", "text_kn": "ಶುಕ್ರವಾರ ನೀರು ಇಲ್ಲ", "when": "now", **fields}


def stored_broadcast(kind: str = "announcement", texts: dict[str, str] | None = None) -> int:
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind=kind, texts=texts or {"en": "Water off Friday"},
                                      audience=Audience(wards=(JAYANAGAR,)), created_by="asha")  # fmt: skip
        broadcasts.materialize(session, broadcast)
        return broadcast.id


# --- composing -------------------------------------------------------------------------------


def test_composing_creates_the_broadcast_with_its_audience_and_texts_and_starts_it(
    client: TestClient, started: list[int]
) -> None:
    audience_rows()
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    form = client.get("/console/broadcasts/new")
    assert form.status_code == 200 and 'name="text_hi"' in form.text and 'type="file"' in form.text
    assert 'value="emergency"' not in form.text  # not this role's to send
    response = client.post("/console/broadcasts/new", data=announcement(
        csrf_token=token, wards=[JAYANAGAR], topics=["water_supply"], languages=["kn", "en"]))  # fmt: skip
    assert response.status_code == 303
    (broadcast,) = all_broadcasts()
    assert response.headers["location"] == f"/console/broadcasts/{broadcast.id}"
    assert broadcast.kind == "announcement" and broadcast.created_by == "bina" and broadcast.media is None
    assert broadcast.texts == {"en": "Water off on Friday", "kn": "ಶುಕ್ರವಾರ ನೀರು ಇಲ್ಲ"}
    assert broadcast.audience == {"wards": [JAYANAGAR], "topics": ["water_supply"], "languages": ["kn", "en"], "phones": []}
    assert broadcast.send_at == START and started == [broadcast.id]
    assert audit_actions() == [("bina", "broadcast.send", str(broadcast.id))]
    with db.session_scope() as session:
        detail = session.execute(
            select(models.AuditEntry.detail).where(models.AuditEntry.action == "broadcast.send")
        ).scalar_one()
    assert detail.startswith("announcement, 1 citizens")


def test_a_scheduled_broadcast_keeps_its_local_time_and_is_not_started(client: TestClient, started: list[int]) -> None:
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    response = client.post(
        "/console/broadcasts/new", data=announcement(csrf_token=token, when="later", send_at="2030-01-08T09:30")
    )
    assert response.status_code == 303
    (broadcast,) = all_broadcasts()
    assert broadcast.send_at == dt.datetime(2030, 1, 8, 4, 0) and broadcast.status == "scheduled"  # 09:30 IST
    assert started == [] and audit_actions()[-1][1] == "broadcast.schedule"
    past = client.post("/console/broadcasts/new", data=announcement(csrf_token=token, when="later", send_at="2030-01-07T09:00"))
    assert past.status_code == 400 and "send_at: that time has passed" in past.text and len(all_broadcasts()) == 1


def test_a_refused_composition_shows_the_form_again_with_the_reason(client: TestClient) -> None:
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    response = client.post("/console/broadcasts/new", data={"csrf_token": token, "text_hi": "केवल हिन्दी", "wards": [JAYANAGAR]})
    assert response.status_code == 400 and "needs at least an English text" in response.text
    assert "केवल हिन्दी" in response.text and f'value="{JAYANAGAR}" checked' in response.text  # as the official left it
    assert all_broadcasts() == []


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"wards": [JAYANAGAR]},
        {"wards": [JAYANAGAR, BASAVANAGUDI], "topics": ["water_supply"]},
        {"languages": ["kn"]},
        {"kind": "emergency", "wards": [JAYANAGAR], "topics": ["water_supply"]},  # an alert ignores topics
        {"kind": "poll", "topics": ["power_cuts"]},
    ],
)
def test_the_audience_fragment_counts_what_the_service_counts(client: TestClient, query: dict[str, object]) -> None:
    audience_rows()
    add_official("bina", "broadcaster")
    login(client, "bina")
    fragment = client.get("/console/broadcasts/audience", params=query)
    assert fragment.status_code == 200 and fragment.text.startswith('<output id="audience-size"')
    kind = str(query.get("kind", "announcement"))
    chosen = Audience.from_request({key: query.get(key) for key in ("wards", "topics", "languages")})
    with db.session_scope() as session:
        expected = broadcasts.audience_size(session, kind, chosen)
    assert re.search(r"<strong>(\d+)</strong>", fragment.text).group(1) == str(expected)


def test_the_compose_form_asks_for_the_size_whenever_a_box_changes(client: TestClient) -> None:
    audience_rows()
    add_official("bina", "broadcaster")
    login(client, "bina")
    page = client.get("/console/broadcasts/new").text
    assert 'hx-get="/console/broadcasts/audience"' in page and 'hx-trigger="change"' in page
    assert "<strong>3</strong>" in page  # everyone who opted in and has not said STOP


# --- emergency alerts ------------------------------------------------------------------------


def test_a_broadcaster_cannot_send_an_emergency_alert(client: TestClient) -> None:
    audience_rows()
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    alert = announcement(csrf_token=token, kind="emergency", wards=[JAYANAGAR], confirmed="yes")
    assert client.post("/console/broadcasts/new", data=alert).status_code == 404
    assert all_broadcasts() == []


def test_a_supervisor_must_confirm_an_emergency_alert(client: TestClient, started: list[int]) -> None:
    audience_rows()
    add_official("sita", "supervisor")
    token = login(client, "sita")
    assert 'value="emergency"' in client.get("/console/broadcasts/new").text
    alert = announcement(csrf_token=token, kind="emergency", wards=[JAYANAGAR], text_en="Flood warning <b>now</b>")
    confirm = client.post("/console/broadcasts/new", data=alert)
    assert confirm.status_code == 200 and 'name="confirmed"' in confirm.text and "Confirm the emergency alert" in confirm.text
    assert "2 citizens" in confirm.text and "&lt;b&gt;now&lt;/b&gt;" in confirm.text
    assert all_broadcasts() == [] and started == []
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm.text))
    assert hidden["kind"] == "emergency" and hidden["wards"] == JAYANAGAR
    response = client.post("/console/broadcasts/new", data={**alert, "confirmed": "yes"})
    assert response.status_code == 303
    (broadcast,) = all_broadcasts()
    assert broadcast.kind == "emergency" and broadcast.priority == broadcasts.PRIORITY["emergency"]
    assert broadcast.texts["en"] == "Flood warning <b>now</b>" and started == [broadcast.id]
    assert audit_actions() == [("sita", "broadcast.send", str(broadcast.id))]


def test_an_alert_without_wards_is_refused_before_the_confirmation(client: TestClient) -> None:
    add_official("sita", "supervisor")
    token = login(client, "sita")
    response = client.post("/console/broadcasts/new", data=announcement(csrf_token=token, kind="emergency"))
    assert response.status_code == 400 and "an emergency alert names the affected wards" in response.text
    assert 'name="confirmed"' not in response.text and all_broadcasts() == []


# --- media -----------------------------------------------------------------------------------


def test_an_uploaded_image_goes_to_the_media_store_and_with_the_broadcast(client: TestClient, uploaded: list) -> None:
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    response = client.post("/console/broadcasts/new", data=announcement(csrf_token=token),
                           files={"media": ("notice.jpg", PNG, "application/octet-stream")})  # fmt: skip
    assert response.status_code == 303
    (broadcast,) = all_broadcasts()
    assert [(file.kind, file.mime_type) for file in uploaded] == [("image", "image/png")]  # its bytes say PNG
    assert broadcast.media == {"type": "image", "id": "7001"}
    response = client.post("/console/broadcasts/new", data=announcement(csrf_token=token),
                           files={"media": ("rules.pdf", PDF, "application/pdf")})  # fmt: skip
    assert all_broadcasts()[-1].media == {"type": "document", "id": "7002", "filename": "rules.pdf"}


def test_an_upload_too_big_or_of_the_wrong_type_is_refused(client: TestClient, uploaded: list) -> None:
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    too_big = PNG + b"\0" * (5 * media_upload.MB)
    big = client.post(
        "/console/broadcasts/new", data=announcement(csrf_token=token), files={"media": ("big.png", too_big, "image/png")}
    )
    assert big.status_code == 413 and "The file is too big: at most 5 MB" in big.text
    script = b"<script>alert(1)</script>"
    wrong = client.post(
        "/console/broadcasts/new", data=announcement(csrf_token=token), files={"media": ("a.png", script, "image/png")}
    )
    assert wrong.status_code == 415 and "not a JPEG or PNG image" in wrong.text
    assert uploaded == [] and all_broadcasts() == []


def test_a_file_the_media_store_refuses_is_said_so_and_nothing_is_sent(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(checked: media_upload.Checked) -> str:
        raise media_upload.UploadError("HTTP 400, error 131053: Media upload error")

    monkeypatch.setattr(media_upload, "upload", refuse)
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    response = client.post(
        "/console/broadcasts/new", data=announcement(csrf_token=token), files={"media": ("a.png", PNG, "image/png")}
    )
    assert response.status_code == 502 and "could not be stored with WhatsApp" in response.text
    assert all_broadcasts() == []


def test_an_alerts_file_is_uploaded_once_and_carried_through_the_confirmation(client: TestClient, uploaded: list) -> None:
    audience_rows()
    add_official("sita", "supervisor")
    token = login(client, "sita")
    alert = announcement(csrf_token=token, kind="emergency", wards=[JAYANAGAR])
    confirm = client.post("/console/broadcasts/new", data=alert, files={"media": ("map.pdf", PDF, "application/pdf")})
    assert confirm.status_code == 200 and len(uploaded) == 1
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm.text))
    carried = {key: hidden[key] for key in ("media_type", "media_id", "media_filename")}
    assert client.post("/console/broadcasts/new", data={**alert, **carried, "confirmed": "yes"}).status_code == 303
    assert all_broadcasts()[0].media == {"type": "document", "id": "7001", "filename": "map.pdf"} and len(uploaded) == 1


def test_a_file_is_sent_by_its_media_id_inside_the_window() -> None:
    from nagarik.outbound.messages import message_body

    broadcast = models.Broadcast(kind="announcement", texts={"en": "See the map"}, template="announcement",
                                 media={"type": "document", "id": "7001", "filename": "map.pdf"})  # fmt: skip
    body = message_body(broadcast, "en", in_window=True, wards={})
    assert body == {"type": "document", "document": {"id": "7001", "caption": "See the map", "filename": "map.pdf"}}


# --- access, CSRF, progress, cancelling ------------------------------------------------------


def test_state_changes_need_the_csrf_token(client: TestClient) -> None:
    add_official("sita", "supervisor")
    login(client, "sita")
    broadcast_id = stored_broadcast()
    assert client.post("/console/broadcasts/new", data=announcement()).status_code == 403
    assert client.post("/console/broadcasts/new", data=announcement(csrf_token="forged")).status_code == 403
    assert client.post(f"/console/broadcasts/{broadcast_id}/cancel").status_code == 403
    assert client.post("/console/polls/new", data={"question_en": "Open the park?"}).status_code == 403
    assert len(all_broadcasts()) == 1 and all_broadcasts()[0].status == "running"


def test_a_viewer_sees_progress_but_cannot_send_or_cancel(client: TestClient) -> None:
    citizen("919800000001")
    broadcast_id = stored_broadcast()
    add_official("vee", "viewer")
    token = login(client, "vee")
    assert client.get("/console/broadcasts").status_code == 200
    page = client.get(f"/console/broadcasts/{broadcast_id}")
    assert page.status_code == 200 and "Water off Friday" in page.text and "/cancel" not in page.text
    assert "/console/broadcasts/new" not in page.text
    assert client.get(f"/console/broadcasts/{broadcast_id}/progress").status_code == 200
    assert client.get("/console/broadcasts/new").status_code == 404
    assert client.get("/console/broadcasts/audience").status_code == 404
    assert client.post("/console/broadcasts/new", data=announcement(csrf_token=token)).status_code == 404
    assert client.post(f"/console/broadcasts/{broadcast_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert client.post("/console/polls/new", data={"csrf_token": token, "question_en": "Q?"}).status_code == 404
    assert len(all_broadcasts()) == 1 and all_broadcasts()[0].status == "running"


def test_roles_without_broadcasts_get_404(client: TestClient) -> None:
    broadcast_id = stored_broadcast()
    add_official("ravi", "department_officer", ["health"])
    login(client, "ravi")
    for path in (
        "/console/broadcasts",
        f"/console/broadcasts/{broadcast_id}",
        "/console/polls",
        "/console/campaigns",
        "/console/reminders",
    ):
        assert client.get(path).status_code == 404, path


def test_a_notification_is_not_shown_in_the_console(client: TestClient) -> None:
    with db.session_scope() as session:
        notification = broadcasts.create(session, kind="notification", texts={"en": "Your application moved"},
                                         audience=Audience(phones=("919800000001",)), created_by="revenue")  # fmt: skip
        notification_id = notification.id
    add_official("sita", "supervisor")
    login(client, "sita")
    assert client.get(f"/console/broadcasts/{notification_id}").status_code == 404
    assert "Your application moved" not in client.get("/console/broadcasts").text


def test_the_progress_counts_each_state_and_failures_by_reason_and_stops_polling_when_done(client: TestClient) -> None:
    for number in range(1, 7):
        citizen(f"91980000000{number}")
    broadcast_id = stored_broadcast()
    add_official("vee", "viewer")
    login(client, "vee")
    live = client.get(f"/console/broadcasts/{broadcast_id}/progress").text
    assert 'hx-trigger="every 3s"' in live and '<td data-state="queued">6</td>' in live
    row = models.BroadcastRecipient
    with db.session_scope() as session:
        ids = list(session.execute(select(row.id).where(row.broadcast_id == broadcast_id).order_by(row.id)).scalars())
        outcomes = [("sent", None, None), ("sent", "delivered", None), ("sent", "read", None), ("sent", "read", None),
                    ("failed", None, 131026), ("failed", None, 131047)]  # fmt: skip
        for recipient_id, (state, status, code) in zip(ids, outcomes, strict=True):
            session.execute(update(row).where(row.id == recipient_id).values(state=state, status=status, error_code=code))
        broadcasts.finish_if_done(session, session.get(models.Broadcast, broadcast_id))
    done = client.get(f"/console/broadcasts/{broadcast_id}/progress").text
    for state, count in (("queued", 0), ("sent", 1), ("delivered", 1), ("read", 2), ("failed", 2)):
        assert f'<td data-state="{state}">{count}</td>' in done, state
    assert "The number cannot receive the message" in done and "More than 24 hours since the citizen last wrote" in done
    assert "hx-trigger" not in done and "Done" in done


def test_cancelling_stops_the_unsent_copies_and_is_audited(client: TestClient) -> None:
    citizen("919800000001")
    citizen("919800000002")
    broadcast_id = stored_broadcast()
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    assert f"/console/broadcasts/{broadcast_id}/cancel" in client.get(f"/console/broadcasts/{broadcast_id}").text
    response = client.post(f"/console/broadcasts/{broadcast_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    with db.session_scope() as session:
        progress = broadcasts.progress(session, broadcast_id)
    assert progress.status == "cancelled" and progress.states == {"skipped": 2}
    assert audit_actions() == [("bina", "broadcast.cancel", str(broadcast_id))]
    assert "/cancel" not in client.get(f"/console/broadcasts/{broadcast_id}").text


def test_a_broadcaster_cannot_cancel_an_emergency_alert(client: TestClient) -> None:
    citizen("919800000001")
    alert_id = stored_broadcast("emergency")
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    assert "/cancel" not in client.get(f"/console/broadcasts/{alert_id}").text
    assert client.post(f"/console/broadcasts/{alert_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert all_broadcasts()[0].status == "running"


def test_an_officials_script_is_shown_as_text(client: TestClient) -> None:
    broadcast_id = stored_broadcast(texts={"en": "<script>alert(1)</script> <img src=x onerror=alert(1)>"})
    add_official("vee", "viewer")
    login(client, "vee")
    for path in ("/console/broadcasts", f"/console/broadcasts/{broadcast_id}"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- polls -----------------------------------------------------------------------------------


def answered_poll() -> int:
    """A poll sent to four citizens in two wards, three of whom answered (one with a comment)."""
    citizen("919800000001", ward=JAYANAGAR, language="kn")
    citizen("919800000002", ward=JAYANAGAR, language="hi")
    citizen("919800000003", ward=BASAVANAGUDI, language="en")
    citizen("919800000004", ward=BASAVANAGUDI, language="en")
    options = [{"key": "yes", "names": {"en": "Yes", "hi": "हाँ", "kn": "ಹೌದು"}}, {"key": "no", "names": {"en": "No"}}]
    with db.session_scope() as session:
        poll = polls.create(session, question={"en": "Open the park at 5 am?"}, options=options, audience=Audience(),
                            created_by="sita")  # fmt: skip
        broadcasts.materialize(session, session.get(models.Broadcast, poll.broadcast_id))
        for phone, choice in (("919800000001", "yes"), ("919800000002", "yes"), ("919800000003", "no")):
            assert polls.answer(session, poll.id, phone, choice).outcome == "recorded"
        assert polls.add_comment(session, poll.id, "919800000003", "<script>alert(1)</script> too early") == "saved"
        return poll.id


def test_the_poll_results_page_shows_the_counts_by_option_ward_and_language(client: TestClient) -> None:
    poll_id = answered_poll()
    add_official("vee", "viewer")
    login(client, "vee")
    page = client.get(f"/console/polls/{poll_id}")
    assert page.status_code == 200 and "Open the park at 5 am?" in page.text
    assert '<strong id="poll-total">3</strong>' in page.text
    assert '<td data-option="yes">2</td>' in page.text and '<td data-option="no">1</td>' in page.text
    assert f'<td data-ward="{JAYANAGAR}" data-option="yes">2</td>' in page.text
    assert f'<td data-ward="{BASAVANAGUDI}" data-option="no">1</td>' in page.text
    assert (
        '<td data-language="kn" data-option="yes">1</td>' in page.text
        and '<td data-language="en" data-option="no">1</td>' in page.text
    )
    assert "Jayanagar" in page.text and f'src="/console/polls/{poll_id}/chart.png"' in page.text
    chart = client.get(f"/console/polls/{poll_id}/chart.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png" and chart.content.startswith(b"\x89PNG")
    listing = client.get("/console/polls").text
    assert f'href="/console/polls/{poll_id}"' in listing and "<td>3</td>" in listing
    assert client.get("/console/polls/999").status_code == 404


def test_a_citizens_comment_is_shown_as_text(client: TestClient) -> None:
    poll_id = answered_poll()
    add_official("vee", "viewer")
    login(client, "vee")
    page = client.get(f"/console/polls/{poll_id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; too early" in page
    assert "919800000003" not in page  # comments without who wrote them


def test_creating_a_poll_from_the_console(client: TestClient, started: list[int]) -> None:
    audience_rows()
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    assert 'name="option_1_en"' in client.get("/console/polls/new").text
    form = {"csrf_token": token, "question_en": "Which day for the market?", "question_kn": "ಸಂತೆ ಯಾವ ದಿನ?",
            "option_1_en": "Sunday", "option_1_kn": "ಭಾನುವಾರ", "option_2_en": "Keep it Saturday", "allow_comments": "yes",
            "wards": [JAYANAGAR], "when": "now", "closes_at": "2030-01-10T18:00"}  # fmt: skip
    response = client.post("/console/polls/new", data=form)
    assert response.status_code == 303
    with db.session_scope() as session:
        poll = session.execute(select(models.Poll)).scalar_one()
        assert response.headers["location"] == f"/console/polls/{poll.id}"
        assert poll.question == {"en": "Which day for the market?", "kn": "ಸಂತೆ ಯಾವ ದಿನ?"}
        assert poll.options == [{"key": "sunday", "names": {"en": "Sunday", "kn": "ಭಾನುವಾರ"}},
                                {"key": "keep_it_saturday", "names": {"en": "Keep it Saturday"}}]  # fmt: skip
        assert (
            poll.audience["wards"] == [JAYANAGAR] and poll.allow_comments and poll.closes_at == dt.datetime(2030, 1, 10, 12, 30)
        )
        assert started == [poll.broadcast_id]
    assert audit_actions() == [("bina", "poll.send", str(poll.id))]
    one_option = {**form, "option_2_en": ""}
    refused = client.post("/console/polls/new", data=one_option)
    assert refused.status_code == 400 and "a poll has 2 to" in refused.text and "Which day for the market?" in refused.text
    assert len(all_broadcasts()) == 1


def test_closing_a_poll_is_audited(client: TestClient) -> None:
    poll_id = answered_poll()
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    assert client.post(f"/console/polls/{poll_id}/close", data={"csrf_token": token}).status_code == 303
    with db.session_scope() as session:
        assert polls.find(session, poll_id).status == "closed"
    assert audit_actions() == [("bina", "poll.close", str(poll_id))]


# --- campaigns and reminders -----------------------------------------------------------------


def test_campaigns_are_listed_with_their_steps_progress_and_can_be_cancelled(client: TestClient) -> None:
    citizen("919800000001")
    with db.session_scope() as session:
        campaign = campaigns.create(session, campaigns.load_definition("dengue_prevention"), Audience(wards=(JAYANAGAR,)),
                                    START.date(), "sita")  # fmt: skip
        campaign_id, steps = campaign.id, len(campaigns.steps_of(session, campaign.id))
    add_official("bina", "broadcaster")
    token = login(client, "bina")
    listing = client.get("/console/campaigns").text
    assert f'href="/console/campaigns/{campaign_id}"' in listing and f"0 / {steps}" in listing
    page = client.get(f"/console/campaigns/{campaign_id}")
    assert page.status_code == 200 and page.text.count("Scheduled") >= steps
    assert client.post(f"/console/campaigns/{campaign_id}/cancel", data={"csrf_token": token}).status_code == 303
    with db.session_scope() as session:
        assert {step.status for step in campaigns.steps_of(session, campaign_id)} == {"cancelled"}
    assert audit_actions() == [("bina", "campaign.cancel", str(campaign_id))]
    assert client.get("/console/campaigns/999").status_code == 404


def test_reminders_are_listed_by_rule_with_what_they_sent(client: TestClient) -> None:
    from nagarik.outbound import reminders

    rule = reminders.load().rules[0]
    with db.session_scope() as session:
        date = reminders.add_date(session, "919800000001", rule.kind, START.date() + dt.timedelta(days=rule.days_before), "TL-1")
        assert reminders.fire(session, rule, date, START) is not None
    add_official("vee", "viewer")
    login(client, "vee")
    page = client.get("/console/reminders")
    assert page.status_code == 200 and f'<td data-rule="{rule.key}">1</td>' in page.text
    assert "919800000001" not in page.text
