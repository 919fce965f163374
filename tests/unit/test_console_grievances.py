"""The console's grievance pages through FastAPI's TestClient: the queue (columns, filters,
sorting, bulk work, CSV), a grievance's page with its evidence, and every action: its row, its
history with who, its audit row, the citizen's message; IDOR, viewers and CSRF refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import grievances
from nagarik.db import models
from nagarik.outbound import media_upload, notifications
from nagarik.outbound.messages import message_body
from nagarik.shared.clock import frozen
from nagarik.web import console
from tests.unit.staff_helpers import PASSWORD, START, add_official

PHOTO = "0123456789abcdef0123456789abcdef.jpg"
PHOTO_BYTES = b"\xff\xd8\xff\xe0 a photo of the garbage"
HEALTH, HEALTH_TOO, WATER = "GRV-2030-000001", "GRV-2030-000002", "GRV-2030-000003"


@dataclass
class Console:
    client: TestClient
    started: list[int]  # the notifications the pages started, by broadcast id


@pytest.fixture
def web(database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Console]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")  # TestClient speaks plain http
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    (tmp_path / PHOTO).write_bytes(PHOTO_BYTES)
    started: list[int] = []
    app = FastAPI()
    app.state.start_broadcast = lambda broadcast: started.append(broadcast.id)  # as nagarik.web.api installs it
    console.install(app)
    add_official("ravi", "department_officer", ["health"])
    add_official("uma", "department_officer", ["health"])
    add_official("wasim", "department_officer", ["water"])
    add_official("vee", "viewer")
    add_official("bob", "broadcaster")
    with db.session_scope() as session:
        add(session, HEALTH, evidence_ref=f"file:{PHOTO}", latitude=12.925, longitude=77.5938, language="hi")
        add(session, HEALTH_TOO, phone="919811112222", ward="btm_layout", due_on=START.date().replace(day=20))
        add(session, WATER, "water_supply", "water", phone="919833334444")
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield Console(client, started)


def add(session, tracking_id: str, category: str = "sanitation", department: str = "health", *,
        phone: str = "919876543210", ward: str = "jayanagar", due_on: dt.date | None = None,
        description: str = "Garbage not collected", status: str = "assigned", **more) -> None:  # fmt: skip
    grievance = models.Grievance(
        tracking_id=tracking_id, phone=phone, category_key=category, department_key=department, description=description,
        location_text="9th main", location_key="9th main", ward_key=ward, status=status, created_at=START,
        due_on=due_on or START.date(), **{"language": "en", **more},
    )  # fmt: skip
    grievance.events.append(models.GrievanceEvent(status="registered", note="", changed_by="citizen", created_at=START))
    if status != "registered":  # the office has taken it on (the lifecycle allows work from there)
        grievance.events.append(models.GrievanceEvent(status=status, note="", changed_by="asha", created_at=START))
    session.add(grievance)


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post("/console/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text


def csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert match
    return match.group(1)


def row(tracking_id: str) -> models.Grievance:
    with db.session_scope() as session:
        found = grievances.grievance_by_tracking_id(session, tracking_id)
        assert found is not None
        found.notes, found.assignee  # loaded before the session closes  # noqa: B018
        return found


def audited(action: str) -> list[tuple[str, str, str]]:
    with db.session_scope() as session:
        query = select(models.AuditEntry).where(models.AuditEntry.action == action).order_by(models.AuditEntry.id)
        return [(entry.who, entry.object, entry.detail) for entry in session.execute(query).scalars()]


def notices() -> list[models.Broadcast]:
    with db.session_scope() as session:
        templates = ("grievance_update", notifications.RESOLVED_TEMPLATE)
        query = select(models.Broadcast).where(models.Broadcast.template.in_(templates)).order_by(models.Broadcast.id)
        return list(session.execute(query).scalars())


def official_id(username: str) -> int:
    with db.session_scope() as session:
        return session.execute(select(models.Official.id).where(models.Official.username == username)).scalar_one()


ACTIONS = {  # each action's path and a form that would do it
    "acknowledge": {},
    "assign": {"assignee": "uma"},  # replaced by uma's id in the tests
    "status": {"status": "in_progress", "remark": "Truck sent"},
    "resolve": {"note": "Cleared"},
    "reject": {"reason": "Private land"},
    "transfer": {"department": "engineering", "reason": "A drain, not garbage"},
    "notes": {"text": "Called the contractor"},
}


def form_for(action: str) -> dict[str, str]:
    form = dict(ACTIONS[action])
    if action == "assign":
        form["assignee"] = str(official_id("uma"))
    return form


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_shows_the_departments_grievances_with_their_sla_and_assignee(web: Console) -> None:
    login(web.client, "ravi")
    page = web.client.get("/console/grievances")
    assert page.status_code == 200
    assert HEALTH in page.text and HEALTH_TOO in page.text and WATER not in page.text
    assert "91987•••3210" in page.text and "919876543210" not in page.text
    assert "Due within 2 working days" in page.text and "On time" in page.text  # due today; due on the 20th
    assert 'name="ids" value="GRV-2030-000001"' in page.text and "Jayanagar" in page.text
    assert audited("grievances.list") == [("ravi", "", "")]


def test_the_queues_filters_and_sorting(web: Console) -> None:
    login(web.client, "ravi")
    get = web.client.get

    def shown(**query: str) -> list[str]:
        return re.findall(r'href="/console/grievances/(GRV-[0-9-]+)"', get("/console/grievances", params=query).text)

    assert shown(sla="due_soon") == [HEALTH] and shown(sla="on_time") == [HEALTH_TOO] and shown(sla="overdue") == []
    assert shown(ward="btm_layout") == [HEALTH_TOO] and shown(category="water_supply") == []
    assert shown(status="resolved") == [] and shown(status="assigned") == [HEALTH, HEALTH_TOO]
    assert shown(sort="due", order="desc") == [HEALTH_TOO, HEALTH]
    assert shown(sort="nonsense", order="sideways") == [HEALTH, HEALTH_TOO]  # the default: the deadline first
    assert shown(department="water") == []  # another department's, even asked for by name
    assert web.client.post(f"/console/grievances/{HEALTH_TOO}/assign", data={"csrf_token": csrf(web.client),
                           "assignee": str(official_id("uma"))}).status_code == 303  # fmt: skip
    assert shown(assignee=str(official_id("uma"))) == [HEALTH_TOO] and shown(assignee="none") == [HEALTH]
    assert shown(sort="assignee", order="desc")[0] == HEALTH_TOO
    assert "sla=due_soon" in audited("grievances.list")[0][2]


def test_the_csv_has_the_filtered_rows_masked_defused_and_is_audited(web: Console) -> None:
    with db.session_scope() as session:
        add(session, "GRV-2030-000004", description="=cmd|' /C calc'!A0", phone="919855556666")
    login(web.client, "ravi")
    response = web.client.get("/console/grievances.csv", params={"ward": "jayanagar"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["tracking_id"] for r in rows] == [HEALTH, "GRV-2030-000004"]  # not btm_layout's, not water's
    assert rows[1]["description"] == "'=cmd|' /C calc'!A0" and rows[1]["phone"] == "91985•••6666"
    assert "919855556666" not in response.text
    assert audited("grievances.export") == [("ravi", "", "ward=jayanagar rows=2")]
    login(web.client, "bob")  # a broadcaster reads no grievances
    assert web.client.get("/console/grievances.csv").status_code == 404


# --- a grievance's page ---------------------------------------------------------------------------


def test_the_page_shows_the_words_place_pin_and_evidence(web: Console) -> None:
    login(web.client, "ravi")
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    assert "Garbage not collected" in page and "9th main" in page and "919876543210" in page
    assert "https://www.openstreetmap.org/?mlat=12.925000&amp;mlon=77.593800" in page
    assert f'src="/console/grievances/{HEALTH}/evidence"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None and " style=" not in page
    photo = web.client.get(f"/console/grievances/{HEALTH}/evidence")
    assert photo.status_code == 200 and photo.content == PHOTO_BYTES and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert audited("grievance.evidence") == [("ravi", HEALTH, "")]
    assert web.client.get(f"/console/grievances/{HEALTH_TOO}/evidence").status_code == 404  # it has none
    login(web.client, "vee")  # a viewer may read the grievance, so its photo too
    assert web.client.get(f"/console/grievances/{HEALTH}/evidence").status_code == 200


def test_citizen_and_official_text_is_escaped(web: Console) -> None:
    with db.session_scope() as session:
        add(session, "GRV-2030-000004", description="<script>alert(1)</script>", evidence_ref="<img src=x onerror=alert(1)>")
    login(web.client, "ravi")
    token = csrf(web.client)
    web.client.post("/console/grievances/GRV-2030-000004/notes", data={"csrf_token": token, "text": "<b>bold</b>"})
    web.client.post("/console/grievances/GRV-2030-000004/status",
                    data={"csrf_token": token, "status": "in_progress", "remark": "<script>x()</script>"})  # fmt: skip
    page = web.client.get("/console/grievances/GRV-2030-000004").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>x()</script>" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page


def test_a_hindi_officer_works_in_hindi(web: Console) -> None:
    add_official("meera", "department_officer", ["health"], language="hi")
    login(web.client, "meera")
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    assert "पावती दें" in page and "आंतरिक टिप्पणियाँ" in page and "जयनगर" in page
    assert "2 कार्य दिवसों में देय" in web.client.get("/console/grievances").text


# --- the actions ----------------------------------------------------------------------------------


def test_acknowledge_assign_and_note_change_the_row_and_history_not_the_citizens(web: Console) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    post = web.client.post
    assert post(f"/console/grievances/{HEALTH}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert post(f"/console/grievances/{HEALTH}/assign", data={"csrf_token": token, **form_for("assign")}).status_code == 303
    answer = post(f"/console/grievances/{HEALTH}/notes", data={"csrf_token": token, "text": "Called the contractor"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/grievances/{HEALTH}"
    grievance = row(HEALTH)
    assert grievance.acknowledged_at == START and grievance.assignee is not None and grievance.assignee.username == "uma"
    assert [(n.kind, n.author, n.text, n.detail) for n in grievance.notes] == [
        ("acknowledged", "ravi", "", ""), ("assigned", "ravi", "", "uma"), ("note", "ravi", "Called the contractor", ""),
    ]  # fmt: skip
    assert [e.status for e in grievance.events] == ["registered", "assigned"] and notices() == [] and web.started == []
    assert audited("grievance.acknowledge") == [("ravi", HEALTH, "")]
    assert audited("grievance.assign") == [("ravi", HEALTH, str(official_id("uma")))]
    assert audited("grievance.note") == [("ravi", HEALTH, "")]
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    assert "Called the contractor" in page and "Assigned to uma" in page


def test_a_status_change_tells_the_citizen_in_their_language_as_the_api_does(web: Console) -> None:
    login(web.client, "ravi")
    answer = web.client.post(
        f"/console/grievances/{HEALTH}/status",
        data={"csrf_token": csrf(web.client), "status": "in_progress", "remark": "Truck sent"},
    )
    assert answer.status_code == 303
    grievance = row(HEALTH)
    assert grievance.status == "in_progress"
    assert [(e.status, e.changed_by, e.note) for e in grievance.events][-1] == ("in_progress", "ravi", "Truck sent")
    [notice] = notices()
    assert web.started == [notice.id] and notice.created_by == "ravi" and notice.audience["phones"] == ["919876543210"]
    body = message_body(notice, "hi", in_window=True, wards={})["text"]["body"]  # the filer's language: Hindi
    assert HEALTH in body and notifications.grievance_status_labels()["in_progress"]["hi"] in body
    assert audited("grievance.status") == [("ravi", HEALTH, "in_progress")]


def test_resolve_and_reject_need_their_note_and_tell_the_citizen(web: Console) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    refused = web.client.post(f"/console/grievances/{HEALTH}/resolve", data={"csrf_token": token, "note": "  "})
    assert refused.status_code == 400 and "Write the note or the reason first." in refused.text
    assert row(HEALTH).status == "assigned" and notices() == []
    assert (
        web.client.post(f"/console/grievances/{HEALTH}/resolve", data={"csrf_token": token, "note": "Cleared"}).status_code == 303
    )
    assert (
        web.client.post(
            f"/console/grievances/{HEALTH_TOO}/reject", data={"csrf_token": token, "reason": "Private land"}
        ).status_code
        == 303
    )
    assert [(e.status, e.note, e.changed_by) for e in row(HEALTH).events][-1] == ("resolved", "Cleared", "ravi")
    assert [(e.status, e.note, e.changed_by) for e in row(HEALTH_TOO).events][-1] == ("rejected", "Private land", "ravi")
    assert [n.audience["phones"] for n in notices()] == [["919876543210"], ["919811112222"]]
    assert web.started == [n.id for n in notices()]
    assert [a[1] for a in audited("grievance.resolve") + audited("grievance.reject")] == [HEALTH, HEALTH_TOO]
    # the resolution reaches the citizen (Hindi) with its note and Good / Average / Poor to rate it
    body = message_body(notices()[0], "hi", in_window=True, wards={})
    assert "Cleared" in body["interactive"]["body"]["text"]
    buttons = [(b["reply"]["id"], b["reply"]["title"]) for b in body["interactive"]["action"]["buttons"]]
    assert buttons == [
        (f'/rate_grievance{{"tracking_id":"{HEALTH}","rating":"{rating}"}}', title)
        for rating, title in (("good", "अच्छा"), ("average", "ठीक-ठाक"), ("poor", "खराब"))
    ]
    outside = message_body(notices()[0], "hi", in_window=False, wards={})
    assert outside["template"]["name"] == "grievance_resolved"
    assert [c["parameters"][0]["payload"] for c in outside["template"]["components"][1:]] == [b[0] for b in buttons]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def uploaded(monkeypatch: pytest.MonkeyPatch) -> list[media_upload.Checked]:
    """What would have gone to WhatsApp's media store: each file gets the id 7000 + n."""
    files: list[media_upload.Checked] = []

    async def upload(checked: media_upload.Checked) -> str:
        files.append(checked)
        return str(7000 + len(files))

    monkeypatch.setattr(media_upload, "upload", upload)
    return files


def test_a_resolution_carries_the_officers_photo_above_the_rating_buttons(web: Console, uploaded: list) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    photo = {"photo": ("after.png", PNG, "image/png")}
    form = {"csrf_token": token, "note": "Cleared"}
    resolved = web.client.post(f"/console/grievances/{HEALTH}/resolve", data=form, files=photo)
    assert resolved.status_code == 303, resolved.text
    assert [(file.kind, file.mime_type) for file in uploaded] == [("image", "image/png")]
    [notice] = notices()
    assert notice.media == {"type": "image", "id": "7001"}
    body = message_body(notice, "hi", in_window=True, wards={})
    assert body["interactive"]["header"] == {"type": "image", "image": {"id": "7001"}}
    assert "Cleared" in body["interactive"]["body"]["text"]
    assert audited("grievance.resolve") == [("ravi", HEALTH, "with photo")]


def test_a_resolution_photo_of_the_wrong_kind_or_size_resolves_nothing(web: Console, uploaded: list) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    for name, data in (("notes.pdf", b"%PDF-1.7\n" + b"\0" * 64), ("huge.png", PNG + b"\0" * (5 * media_upload.MB))):
        refused = web.client.post(
            f"/console/grievances/{HEALTH}/resolve", data={"csrf_token": token, "note": "Cleared"}, files={"photo": (name, data)}
        )
        assert refused.status_code == 400 and "must be a JPEG or PNG" in refused.text
    assert uploaded == [] and row(HEALTH).status == "assigned" and notices() == []


def test_no_photo_reaches_the_media_store_without_the_token_or_the_right(web: Console, uploaded: list) -> None:
    login(web.client, "wasim")  # water, not health: the grievance does not exist for him
    token = csrf(web.client)
    photo = {"photo": ("after.png", PNG)}
    other = web.client.post(f"/console/grievances/{HEALTH}/resolve", data={"csrf_token": token, "note": "x"}, files=photo)
    assert other.status_code == 404
    login(web.client, "ravi")
    forged = web.client.post(f"/console/grievances/{HEALTH}/resolve", data={"csrf_token": "forged", "note": "x"}, files=photo)
    assert forged.status_code in (400, 403)
    assert uploaded == [] and row(HEALTH).status == "assigned"


def test_a_photo_the_media_store_refuses_leaves_the_grievance_open(web: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(checked: media_upload.Checked) -> str:
        raise media_upload.UploadError("HTTP 400, error 131053: Media upload error")

    monkeypatch.setattr(media_upload, "upload", refuse)
    login(web.client, "ravi")
    refused = web.client.post(
        f"/console/grievances/{HEALTH}/resolve",
        data={"csrf_token": csrf(web.client), "note": "Cleared"}, files={"photo": ("after.png", PNG)},
    )  # fmt: skip
    assert refused.status_code == 400 and "could not be stored with WhatsApp" in refused.text
    assert row(HEALTH).status == "assigned" and notices() == []


def test_an_illegal_change_is_a_clear_message_and_the_page_offers_only_what_is_allowed(web: Console) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    offered = re.findall(r'<option value="(\w+)"', page.split('name="status"')[1].split("</select>")[0])
    assert offered == ["in_progress", "resolved", "rejected"]
    assert "Transfers left" in page and "Not rated" in page
    refused = web.client.post(f"/console/grievances/{HEALTH}/status", data={"csrf_token": token, "status": "closed"})
    assert refused.status_code == 400 and "not allowed from the grievance" in refused.text
    assert row(HEALTH).status == "assigned" and notices() == []


def test_acknowledging_a_registered_grievance_moves_it_on(web: Console) -> None:
    with db.session_scope() as session:
        add(session, "GRV-2030-000009", status="registered")
    login(web.client, "ravi")
    token = csrf(web.client)
    assert web.client.post("/console/grievances/GRV-2030-000009/acknowledge", data={"csrf_token": token}).status_code == 303
    assert [e.status for e in row("GRV-2030-000009").events] == ["registered", "acknowledged"]
    assign = {"csrf_token": token, "assignee": str(official_id("ravi"))}
    assert web.client.post("/console/grievances/GRV-2030-000009/assign", data=assign).status_code == 303
    assert [e.status for e in row("GRV-2030-000009").events] == ["registered", "acknowledged", "assigned"]
    assert notices() == []  # the work, not a status the citizen is messaged about


def test_the_fourth_transfer_is_a_supervisors(web: Console) -> None:
    add_official("asha", "supervisor")
    with db.session_scope() as session:
        grievance = session.execute(select(models.Grievance).where(models.Grievance.tracking_id == HEALTH)).scalar_one()
        grievance.transfer_count = 3
    login(web.client, "ravi")
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    assert "only a supervisor may transfer it" in page and f"/console/grievances/{HEALTH}/transfer" not in page
    transfer = f"/console/grievances/{HEALTH}/transfer"
    refused = web.client.post(transfer, data={"csrf_token": csrf(web.client), **form_for("transfer")})
    assert refused.status_code == 400 and "only a supervisor may transfer it again" in refused.text
    assert row(HEALTH).department_key == "health"
    login(web.client, "asha")
    moved = web.client.post(transfer, data={"csrf_token": csrf(web.client), **form_for("transfer")})
    assert moved.status_code == 303
    assert (row(HEALTH).department_key, row(HEALTH).transfer_count, row(HEALTH).due_on) == ("engineering", 4, START.date())


def test_supervisors_see_the_appeals_oldest_first_and_decide_them(web: Console) -> None:
    add_official("asha", "supervisor")
    with db.session_scope() as session:
        for tracking_id, days in ((HEALTH, 2), (WATER, 5)):
            grievance = session.execute(select(models.Grievance).where(models.Grievance.tracking_id == tracking_id)).scalar_one()
            grievance.status, grievance.rating, grievance.appeal_reason = "appealed", "poor", f"Still bad {tracking_id}"
            grievance.appealed_at = START - dt.timedelta(days=days)
            grievance.appeal_due_on = (START + dt.timedelta(days=30 - days)).date()
    login(web.client, "ravi")
    assert web.client.get("/console/grievances/appeals").status_code == 404  # an officer is no appellate
    assert web.client.post(f"/console/grievances/{HEALTH}/appeal-decision",
                           data={"csrf_token": csrf(web.client), "decision": "Upheld"}).status_code == 400  # fmt: skip
    login(web.client, "asha")
    page = web.client.get("/console/grievances/appeals")
    assert page.status_code == 200 and page.text.index(WATER) < page.text.index(HEALTH)  # the oldest appeal first
    assert str((START + dt.timedelta(days=25)).date()) in page.text and f"Still bad {WATER}" in page.text
    token = csrf(web.client)
    empty = web.client.post(f"/console/grievances/{WATER}/appeal-decision", data={"csrf_token": token, "decision": " "})
    assert empty.status_code == 400 and row(WATER).status == "appealed"
    decided = web.client.post(f"/console/grievances/{WATER}/appeal-decision", data={"csrf_token": token, "decision": "Relaid"})
    assert decided.status_code == 303
    event = row(WATER).events[-1]
    assert row(WATER).status == "appeal_decided"
    assert (event.status, event.changed_by, event.note) == ("appeal_decided", "asha", "Relaid")
    assert [n.audience["phones"] for n in notices()] == [["919833334444"]]
    again = web.client.post(f"/console/grievances/{WATER}/appeal-decision", data={"csrf_token": token, "decision": "Again"})
    assert again.status_code == 409 and "not allowed from the grievance" in again.text
    assert WATER not in web.client.get("/console/grievances/appeals").text


def test_a_transfer_hands_it_to_the_other_department(web: Console) -> None:
    login(web.client, "ravi")
    answer = web.client.post(
        f"/console/grievances/{HEALTH}/transfer", data={"csrf_token": csrf(web.client), **form_for("transfer")}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/grievances"  # no longer ravi's to see
    grievance = row(HEALTH)
    assert grievance.department_key == "engineering" and grievance.notes[-1].detail == "health -> engineering"
    assert grievance.notes[-1].text == "A drain, not garbage" and grievance.notes[-1].author == "ravi"
    assert web.client.get(f"/console/grievances/{HEALTH}").status_code == 404
    assert audited("grievance.transfer") == [("ravi", HEALTH, "engineering")] and notices() == []


def test_an_assignee_of_another_department_is_refused(web: Console) -> None:
    login(web.client, "ravi")
    answer = web.client.post(
        f"/console/grievances/{HEALTH}/assign", data={"csrf_token": csrf(web.client), "assignee": str(official_id("wasim"))}
    )
    assert answer.status_code == 400 and "That official may not work this grievance." in answer.text
    assert row(HEALTH).assignee_id is None and audited("grievance.assign") == []


# --- who may not ----------------------------------------------------------------------------------


def unchanged(tracking_id: str) -> None:
    grievance = row(tracking_id)
    assert (grievance.status, grievance.department_key, grievance.assignee_id, grievance.acknowledged_at) == (
        "assigned", "health", None, None)  # fmt: skip
    assert grievance.notes == [] and [e.status for e in grievance.events] == ["registered", "assigned"]


def test_another_departments_officer_gets_404_for_the_page_the_evidence_and_every_action(web: Console) -> None:
    login(web.client, "wasim")
    assert web.client.get(f"/console/grievances/{HEALTH}").status_code == 404
    assert web.client.get(f"/console/grievances/{HEALTH}/evidence").status_code == 404
    token = csrf(web.client)
    for action in ACTIONS:
        answer = web.client.post(f"/console/grievances/{HEALTH}/{action}", data={"csrf_token": token, **form_for(action)})
        assert answer.status_code == 404, action
    unchanged(HEALTH)
    assert notices() == [] and web.started == [] and audited("grievance.view") == []


def test_a_viewer_and_a_broadcaster_get_404_for_every_action(web: Console) -> None:
    for username in ("vee", "bob"):
        login(web.client, username)
        token = csrf(web.client)
        for action in ACTIONS:
            answer = web.client.post(f"/console/grievances/{HEALTH}/{action}", data={"csrf_token": token, **form_for(action)})
            assert answer.status_code == 404, (username, action)
        bulk = web.client.post("/console/grievances/bulk", data={"csrf_token": token, "ids": [HEALTH], "do": "status",
                                                                 "bulk_status": "closed"})  # fmt: skip
        assert bulk.status_code == 404
    assert 'name="ids"' not in web.client.get("/console/grievances").text  # bob: 404; vee below
    login(web.client, "vee")
    assert 'name="ids"' not in web.client.get("/console/grievances").text
    assert "/acknowledge" not in web.client.get(f"/console/grievances/{HEALTH}").text
    unchanged(HEALTH)


def test_an_action_without_the_csrf_token_is_refused(web: Console) -> None:
    login(web.client, "ravi")
    for action in ACTIONS:
        assert web.client.post(f"/console/grievances/{HEALTH}/{action}", data=form_for(action)).status_code == 403, action
        forged = web.client.post(f"/console/grievances/{HEALTH}/{action}", data={"csrf_token": "forged", **form_for(action)})
        assert forged.status_code == 403, action
    assert (
        web.client.post("/console/grievances/bulk", data={"ids": [HEALTH], "do": "status", "bulk_status": "closed"}).status_code
        == 403
    )
    unchanged(HEALTH)


# --- in bulk --------------------------------------------------------------------------------------


def test_bulk_work_touches_only_the_officials_grievances_and_says_how_many_were_refused(web: Console) -> None:
    login(web.client, "ravi")
    token = csrf(web.client)
    chosen = [HEALTH, HEALTH_TOO, WATER, "GRV-2030-999999"]
    assigned = web.client.post("/console/grievances/bulk", data={
        "csrf_token": token, "ids": chosen, "do": "assign", "bulk_assignee": str(official_id("uma")), "ward": "jayanagar",
        "status": "assigned",  # the queue's filter, kept for the way back
    })  # fmt: skip
    assert assigned.status_code == 303
    kept = "/console/grievances?status=assigned&ward=jayanagar&changed=2&refused=2"
    assert assigned.headers["location"] == kept  # the filter kept
    assert row(HEALTH).assignee_id == row(HEALTH_TOO).assignee_id == official_id("uma") and row(WATER).assignee_id is None
    moved = web.client.post("/console/grievances/bulk", data={
        "csrf_token": token, "ids": chosen, "do": "status", "bulk_status": "in_progress", "bulk_remark": "Crew on the way",
    })  # fmt: skip
    assert moved.headers["location"] == "/console/grievances?changed=2&refused=2"
    assert (row(HEALTH).status, row(HEALTH_TOO).status, row(WATER).status) == ("in_progress", "in_progress", "assigned")
    assert row(HEALTH).events[-1].changed_by == "ravi" and [e.status for e in row(WATER).events] == ["registered", "assigned"]
    assert sorted(n.audience["phones"][0] for n in notices()) == ["919811112222", "919876543210"]
    assert web.started == [n.id for n in notices()]
    assert {a[1] for a in audited("grievance.status")} == {HEALTH, HEALTH_TOO}
    page = web.client.get(moved.headers["location"]).text
    assert "2 changed; 2 refused (not found, or not yours to work)." in page
    nothing = web.client.post("/console/grievances/bulk", data={"csrf_token": token, "do": "status", "bulk_status": "closed"})
    assert nothing.headers["location"] == "/console/grievances?error=grv_error_nothing_selected"
    assert "Select at least one grievance." in web.client.get(nothing.headers["location"]).text


def test_the_page_shows_the_escalation_level_the_sweep_reached(web: Console) -> None:
    login(web.client, "ravi")
    assert "Not escalated" in web.client.get(f"/console/grievances/{HEALTH}").text
    with db.session_scope() as session:
        found = grievances.grievance_by_tracking_id(session, HEALTH)
        found.escalation_level, found.escalated_at = 2, dt.datetime(2026, 12, 1, 6, 0)
    page = web.client.get(f"/console/grievances/{HEALTH}").text
    assert "level 2 since 01-12-2026 11:30" in page  # office time
