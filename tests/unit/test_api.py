"""The officials' JSON API, as a real server over HTTP: tokens and their scopes, audiences,
broadcasts, status changes (and who made them), and bad input that never reaches a worker."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from nagarik import db
from nagarik.citizens import grievances, subscriptions
from nagarik.db import models
from tests.support import answers, wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-ward-office"  # every scope: the other tests' client
OLD_FORMAT = "test-token-old-format"  # token:who, as before scopes: known, allowed nothing
COMMS = "test-token-comms"  # announcements only
CONTROL_ROOM = "test-token-control-room"  # emergency alerts only
REVENUE = "test-token-revenue"  # the revenue department's system: application stages only
TOKENS = ",".join(
    [
        f"{TOKEN}:ward-office:broadcast+alert+applications+grievances+grievance_appeals+dates+polls+campaigns+certificates",
        f"{OLD_FORMAT}:old-format",
        f"{COMMS}:comms:broadcast",
        f"{CONTROL_ROOM}:control-room:alert",
        f"{REVENUE}:revenue:applications",
    ]
)


@pytest.fixture
def api(database, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "NAGARIK_API_TOKENS": TOKENS,
        "NAGARIK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    log = open(tmp_path / "api.log", "wb")  # noqa: SIM115 (kept open for the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "nagarik.web", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or answers(f"{base}/api/audience"), "the API to start")
    except AssertionError:
        pytest.fail(f"the API did not start; see {tmp_path / 'api.log'}")
    if process.poll() is not None:
        pytest.fail(f"the API exited; see {tmp_path / 'api.log'}")
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        yield client
    process.terminate()
    process.wait(timeout=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_no_access(api):
    assert httpx.get(f"{api.base_url}/api/audience").status_code == 401
    assert httpx.get(f"{api.base_url}/api/audience", headers=bearer("guess")).status_code == 401
    refused = httpx.post(f"{api.base_url}/api/broadcasts", headers=bearer("guess"), json={"texts": {"en": "x"}})
    assert (refused.status_code, refused.json()) == (401, {"error": "a valid bearer token is required"})
    assert httpx.get(f"{api.base_url}/verify/NGK-2222-2222").status_code == 404  # public: no token, no 401


# Every route but /verify, with the scope it needs (bodies need not be valid: the scope comes first).
SCOPED = [
    ("get", "/api/audience", None, "broadcast"),
    ("get", "/api/audience?kind=emergency", None, "alert"),
    ("get", "/api/audience?kind=poll", None, "polls"),
    ("get", "/api/audience?kind=campaign", None, "campaigns"),
    ("post", "/api/broadcasts", {"texts": {"en": "Water off Friday"}}, "broadcast"),
    ("post", "/api/broadcasts", {"kind": None, "texts": {"en": "Water off Friday"}}, "broadcast"),  # null: an announcement
    ("post", "/api/broadcasts", {"kind": "emergency", "texts": {"en": "Flood"}, "wards": ["jayanagar"]}, "alert"),
    ("post", "/api/applications/BC-2026-001234/stage", {"stage": "approval"}, "applications"),
    ("post", "/api/grievances/GRV-2026-999999/status", {"status": "resolved"}, "grievances"),
    ("post", "/api/grievances/GRV-2026-999999/transitions", {"to": "assigned"}, "grievances"),
    ("get", "/api/grievances/GRV-2026-999999/transitions", None, "grievances"),
    ("post", "/api/grievances/GRV-2026-999999/appeal-decision", {"decision": "Upheld"}, "grievance_appeals"),
    ("get", "/api/certificates/NGK-2222-2222", None, "certificates"),
    ("post", "/api/polls", {}, "polls"),
    ("get", "/api/polls/1/results", None, "polls"),
    ("get", "/api/polls/1/chart.png", None, "polls"),
    ("post", "/api/polls/1/close", None, "polls"),
    ("post", "/api/citizens/919000000071/dates", {}, "dates"),
    ("get", "/api/citizens/919000000071/dates", None, "dates"),
    ("post", "/api/campaigns", {}, "campaigns"),
    ("get", "/api/campaigns/1", None, "campaigns"),
    ("post", "/api/campaigns/1/cancel", None, "campaigns"),
]


def test_a_token_without_the_routes_scope_gets_403_naming_it(api):
    for method, path, body, scope in SCOPED:
        for token in (OLD_FORMAT, COMMS if scope != "broadcast" else CONTROL_ROOM):
            answer = api.request(method, path, json=body, headers=bearer(token))
            assert answer.status_code == 403 and f"'{scope}' scope" in answer.json()["error"], (token, path, answer.text)
        allowed = api.request(method, path, json=body)  # the token with every scope gets past the door
        assert allowed.status_code not in (401, 403), (path, allowed.text)
    assert "(it has: none)" in api.get("/api/audience", headers=bearer(OLD_FORMAT)).json()["error"]
    with db.session_scope() as session:  # nothing the refused requests asked for happened
        assert session.get(models.Application, "BC-2026-001234").updated_by == "ward-office"  # only the allowed one
        assert {row.created_by for row in session.execute(select(models.Broadcast)).scalars()} == {"ward-office"}


def test_alerts_and_announcements_are_separate_scopes_down_to_cancelling(api):
    flood = {
        "kind": "emergency",
        "texts": {"en": "Flood: move to high ground"},
        "wards": ["jayanagar"],
        "send_at": "2030-01-01T09:00",
    }
    alert = api.post("/api/broadcasts", json=flood, headers=bearer(CONTROL_ROOM))
    assert alert.status_code == 201
    alert_id = alert.json()["id"]
    for path in (f"/api/broadcasts/{alert_id}", f"/api/broadcasts/{alert_id}/cancel"):  # comms may not stop an alert
        method = "post" if path.endswith("cancel") else "get"
        answer = api.request(method, path, headers=bearer(COMMS))
        assert answer.status_code == 403 and "'alert' scope" in answer.json()["error"]
    assert api.get(f"/api/broadcasts/{alert_id}", headers=bearer(CONTROL_ROOM)).json()["status"] == "scheduled"
    notice = {"texts": {"en": "Water off Friday"}, "send_at": "2030-01-01T09:00"}
    announcement = api.post("/api/broadcasts", json=notice, headers=bearer(COMMS)).json()["id"]
    assert api.post(f"/api/broadcasts/{announcement}/cancel", headers=bearer(CONTROL_ROOM)).status_code == 403
    assert api.post(f"/api/broadcasts/{announcement}/cancel", headers=bearer(COMMS)).json()["status"] == "cancelled"
    # A department's system follows the notification its stage change made, and nothing else.
    moved = api.post("/api/applications/BC-2026-001234/stage", json={"stage": "approval"}, headers=bearer(REVENUE))
    assert api.get(f"/api/broadcasts/{moved.json()['notification']}", headers=bearer(REVENUE)).status_code == 200
    assert api.get(f"/api/broadcasts/{announcement}", headers=bearer(REVENUE)).status_code == 403
    with db.session_scope() as session:
        assert session.get(models.Broadcast, alert_id).created_by == "control-room"
        assert session.get(models.Broadcast, announcement).created_by == "comms"


def test_status_changes_keep_who_made_them(api, catalog):
    with db.session_scope() as session:
        filing = grievances.file_grievance(
            session, catalog, phone="919845012345", category="streetlight", description="Light off for a week",
            location="5th cross jayanagar", language="en",
        )  # fmt: skip
        tracking_id = filing.grievance.tracking_id
    moved = api.post("/api/applications/BC-2026-001234/stage", json={"stage": "approval"}, headers=bearer(REVENUE))
    assert moved.status_code == 200
    changed = api.post(f"/api/grievances/{tracking_id}/status", json={"status": "assigned", "note": "Electrician sent"})
    assert changed.status_code == 200
    with db.session_scope() as session:
        assert session.get(models.Application, "BC-2026-001234").updated_by == "revenue"
        assert session.get(models.Broadcast, moved.json()["notification"]).created_by == "revenue"
        grievance = session.execute(select(models.Grievance).where(models.Grievance.tracking_id == tracking_id)).scalar_one()
        assert [(event.status, event.changed_by) for event in grievance.events] == [
            ("registered", "citizen"),
            ("assigned", "ward-office"),
        ]
        assert session.get(models.Broadcast, changed.json()["notification"]).created_by == "ward-office"


def test_the_lifecycle_refuses_an_illegal_move_with_409_and_appeals_need_their_scope(api, catalog):
    with db.session_scope() as session:
        filing = grievances.file_grievance(
            session, catalog, phone="919845012345", category="streetlight", description="Light off for a week",
            location="5th cross jayanagar", language="en",
        )  # fmt: skip
        tracking_id = filing.grievance.tracking_id
    path = f"/api/grievances/{tracking_id}"
    assert api.get(f"{path}/transitions").json()["allowed"] == ["acknowledged", "assigned", "rejected"]
    refused = api.post(f"{path}/transitions", json={"to": "resolved", "remark": "Fixed"})
    assert refused.status_code == 409
    assert refused.json() | {"error": ""} == {
        "error": "", "current": "registered", "target": "resolved", "allowed": ["acknowledged", "assigned", "rejected"],
    }  # fmt: skip
    assert "registered cannot become resolved" in refused.json()["error"]
    assert api.post(f"{path}/status", json={"status": "closed"}).status_code == 409  # the old route too
    assert api.post(f"{path}/transitions", json={"to": "teleported"}).status_code == 400
    photo = {"type": "image", "link": "https://ward-office.example/repairs/lamp.jpg"}
    for target in ("assigned", "in_progress", "resolved"):
        body = {"to": target, "remark": "Lamp replaced"} | ({"photo": photo} if target == "resolved" else {})
        moved = api.post(f"{path}/transitions", json=body)
        assert moved.status_code == 200, moved.text
    resolved = api.get(f"/api/broadcasts/{moved.json()['notification']}")  # the resolution is a grievances' notification
    assert resolved.status_code == 200
    assert api.post(f"{path}/appeal-decision", json={"decision": "Upheld"}).status_code == 409  # nothing appealed
    assert api.post(f"{path}/appeal-decision", json={"decision": "Upheld"}, headers=bearer(REVENUE)).status_code == 403
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert grievance.status == "resolved" and grievance.resolved_at is not None
        assert grievance.events[-1].note == "Lamp replaced"
        broadcast = session.get(models.Broadcast, moved.json()["notification"])
        assert broadcast.template == "grievance_resolved" and broadcast.template_params["en"] == [tracking_id, "Lamp replaced"]
        assert broadcast.media == photo  # the officer's photo heads the rating message
        grievance.status, grievance.rating = "appealed", "poor"
    decided = api.post(f"{path}/appeal-decision", json={"decision": "Upheld: the lamp works"})
    assert decided.status_code == 200 and decided.json()["status"] == "appeal_decided"
    with db.session_scope() as session:
        event = grievances.grievance_by_tracking_id(session, tracking_id).events[-1]
        assert (event.status, event.changed_by, event.note) == ("appeal_decided", "ward-office", "Upheld: the lamp works")


def test_audience_broadcast_progress_and_cancel(api):
    with db.session_scope() as session:
        for phone in ("919000000061", "919000000062"):
            subscriptions.subscribe(session, phone, "water_supply")
            subscriptions.set_ward(session, phone, "jayanagar")
    assert api.get("/api/audience", params={"wards": "jayanagar", "topics": "water_supply"}).json() == {"size": 2}
    created = api.post(
        "/api/broadcasts",
        json={
            "kind": "announcement",
            "texts": {"en": "Water off Friday"},
            "wards": ["jayanagar"],
            "topics": ["water_supply"],
            "send_at": "2030-01-01T09:00:00+05:30",
        },
    )
    assert created.status_code == 201 and created.json()["audience"] == 2 and created.json()["status"] == "scheduled"
    broadcast = created.json()["id"]
    with db.session_scope() as session:
        assert session.get(models.Broadcast, broadcast).created_by == "ward-office"
    assert api.get(f"/api/broadcasts/{broadcast}").json()["status"] == "scheduled"
    assert api.post(f"/api/broadcasts/{broadcast}/cancel").json()["status"] == "cancelled"
    assert api.get("/api/broadcasts/999999").status_code == 404
    assert api.post("/api/broadcasts", json={"kind": "emergency", "texts": {"en": "flood"}}).status_code == 400  # no wards


def test_status_changes_arrive_through_the_api(api):
    moved = api.post("/api/applications/BC-2026-001234/stage", json={"stage": "approval", "expected_on": "2026-12-05"})
    assert moved.status_code == 200 and moved.json()["notification"]
    with db.session_scope() as session:
        assert session.get(models.Application, "BC-2026-001234").stage_key == "approval"
    assert api.post("/api/applications/XX-2026-000000/stage", json={"stage": "approval"}).status_code == 404
    assert api.post("/api/applications/BC-2026-001234/stage", json={"stage": "teleported"}).status_code == 400
    assert api.post("/api/grievances/GRV-2026-999999/status", json={"status": "resolved"}).status_code == 404


def test_every_missing_row_is_a_404_and_bad_input_a_400_with_the_reason(api):
    missing = [
        ("get", "/api/polls/999999/results", "no such poll"),
        ("get", "/api/polls/999999/chart.png", "no such poll"),
        ("post", "/api/polls/999999/close", "no such poll"),
        ("get", "/api/campaigns/999999", "no such campaign"),
        ("post", "/api/campaigns/999999/cancel", "no such campaign"),
        ("post", "/api/broadcasts/999999/cancel", "no such broadcast"),
    ]
    for method, path, reason in missing:
        answer = getattr(api, method)(path)
        assert (answer.status_code, answer.json()) == (404, {"error": reason}), path
    bad = [
        ("/api/citizens/919000000071/dates", {"kind": "licence_expiry", "due_on": "tomorrow"}),
        ("/api/polls", {"question": {"en": "Q?"}, "options": [], "closes_at": "not a time"}),
        ("/api/campaigns", {"campaign": "no_such_campaign", "start_on": "2030-01-01"}),
        ("/api/broadcasts", {"kind": "announcement", "texts": {"en": "x"}, "send_at": "someday"}),
    ]
    for path, body in bad:
        answer = api.post(path, json=body)
        assert answer.status_code == 400 and answer.json()["error"], (path, answer.text)


STEP = {"day": 0, "hour": 9, "texts": {"en": "a", "hi": "b", "kn": "c"}}
FILE = {"type": "image", "link": "file:///etc/passwd"}
PNG = {"type": "image", "link": "https://example.org/a.png"}
# Bodies each POST route must refuse with a 400 naming the field (before: 500s, or rows a worker cannot send).
BAD = [
    ("/api/broadcasts", {"texts": {"en": "x"}, "media": "x"}, "media"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "media": {"type": "image"}}, "media.link"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "media": FILE}, "media.link"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "media": {**PNG, "type": "audio"}}, "media.type"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "media": {**PNG, "caption": "c"}}, "media"),
    ("/api/broadcasts", {"texts": {"en": 5}}, "texts.en"),
    ("/api/broadcasts", {"texts": {"en": "x", "hi": ["x"]}}, "texts.hi"),
    ("/api/broadcasts", {"texts": {"en": "x", "fr": "x"}}, "texts"),
    ("/api/broadcasts", {"texts": "Water off"}, "texts"),
    ("/api/broadcasts", {"texts": {"en": "x" * 901}}, "texts.en"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "wards": [1, 2]}, "wards"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "topics": {"water_supply": True}}, "topics"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "languages": ["fr"]}, "languages"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "send_at": 5}, "send_at"),
    ("/api/broadcasts", {"texts": {"en": "x"}, "send_at": "someday"}, "send_at"),
    ("/api/broadcasts", {"kind": "poll", "texts": {"en": "x"}}, "kind"),  # a poll without its question: the worker's crash
    ("/api/broadcasts", {"kind": ["emergency"], "texts": {"en": "x"}}, "kind"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": [], "closes_at": "not a time"}, "closes_at"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": [{"key": "a", "names": {"en": "A"}}] * 2, "closes_at": 5}, "closes_at"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": "yes,no"}, "options"),
    ("/api/polls", {"question": "Q?", "options": []}, "question"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": [], "allow_comments": "false"}, "allow_comments"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": [], "wards": "jayanagar", "send_at": []}, "send_at"),
    ("/api/polls", {"question": {"en": "Q?"}, "options": [], "languages": [None]}, "languages"),
    ("/api/campaigns", {"campaign": "no_such_campaign", "start_on": "2030-01-01"}, "campaign"),
    ("/api/campaigns", {"campaign": ["dengue_prevention"], "start_on": "2030-01-01"}, "campaign"),
    ("/api/campaigns", {"campaign": "dengue_prevention", "start_on": 20300101}, "start_on"),
    ("/api/campaigns", {"campaign": "dengue_prevention", "start_on": "2030-01-01", "wards": [{}]}, "wards"),
    ("/api/campaigns", {"definition": "x", "start_on": "2030-01-01"}, "campaign"),
    ("/api/campaigns", {"definition": {"name": "n", "steps": [{**STEP, "media": "x"}]}, "start_on": "2030-01-01"}, "media"),
    ("/api/campaigns", {"definition": {"name": "n", "steps": [{**STEP, "media": FILE}]}, "start_on": "2030-01-01"}, "link"),
    ("/api/citizens/919000000071/dates", {"kind": "licence_expiry", "due_on": "tomorrow"}, "due_on"),
    ("/api/citizens/919000000071/dates", {"kind": "licence_expiry", "due_on": 5}, "due_on"),
    ("/api/citizens/919000000071/dates", {"kind": {"a": 1}, "due_on": "2030-01-01"}, "kind"),
    ("/api/citizens/919000000071/dates", {"kind": "licence_expiry", "due_on": "2030-01-01", "reference": ["x"]}, "reference"),
    ("/api/applications/BC-2026-001234/stage", {"stage": "approval", "expected_on": 5}, "expected_on"),
    ("/api/applications/BC-2026-001234/stage", {"stage": ["approval"]}, "stage"),
    ("/api/grievances/GRV-2026-000001/status", {"status": "resolved", "note": {"x": 1}}, "note"),
    ("/api/grievances/GRV-2026-000001/status", {"status": "resolved", "photo": {"type": "image", "link": "http://x/a"}}, "photo"),
    ("/api/grievances/GRV-2026-000001/status", {"status": "resolved", "photo": {"type": "video", "link": "https://x"}}, "photo"),
    ("/api/grievances/GRV-2026-000001/status", {"status": "assigned", "photo": {"type": "image", "link": "https://x"}}, "photo"),
    ("/api/grievances/GRV-2026-000001/transitions", {"to": "resolved", "photo": "https://x/a.jpg"}, "photo"),
]


def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(api):
    for path, body, field in BAD:
        answer = api.post(path, json=body)
        assert answer.status_code == 400 and field in answer.json()["error"], (path, body, answer.text)
    for path in ("/api/broadcasts", "/api/polls", "/api/campaigns", "/api/citizens/919000000071/dates"):
        for body in ("[1, 2]", '"text"', "{not json", "null"):  # not a JSON object: a 400, never a 500
            answer = api.post(path, content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 400, (path, body, answer.text)
    assert api.get("/api/audience", params={"kind": "volcano"}).status_code == 400
    assert api.get("/api/audience", params={"languages": "fr"}).status_code == 400
    with db.session_scope() as session:
        for table in (models.Broadcast, models.Poll, models.Campaign, models.CitizenDate):
            assert session.scalar(select(func.count()).select_from(table)) == 0, table
        assert session.get(models.Application, "BC-2026-001234").stage_key != "approval"


def test_the_openapi_description_lists_every_route_and_needs_no_token(api):
    from fastapi.routing import APIRoute

    from nagarik.web import api as web_api

    described = httpx.get(f"{api.base_url}/api/openapi.json", timeout=30)
    assert described.status_code == 200
    paths = {path: ops for path, ops in described.json()["paths"].items() if path.startswith(("/api/", "/verify/"))}
    routes = [route for route in (*web_api.router.routes, *web_api.public.routes) if isinstance(route, APIRoute)]
    expected = {(method.lower(), route.path_format) for route in routes if route.include_in_schema for method in route.methods}
    assert expected == {(method, path) for path, operations in paths.items() for method in operations}
    assert len(expected) == 20  # every route of the table in nagarik/web/api.py's docstring
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert operation.get("security") == (None if path.startswith("/verify/") else [{"HTTPBearer": []}]), path
    schemas = described.json()["components"]["schemas"]
    for path, model in [("/api/broadcasts", "NewBroadcast"), ("/api/polls", "NewPoll"), ("/api/campaigns", "NewCampaign")]:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"} and model in schemas
    assert "Media" in schemas and "CampaignStep" in schemas  # what the bodies refer to
    assert api.get("/api/no-such-thing").json() == {"error": "no such route"}
    assert httpx.get(f"{api.base_url}/api/no-such-thing").status_code == 401  # an unknown path is still a 401 first


def test_the_app_will_not_build_with_a_route_that_declares_no_scope(monkeypatch):
    from fastapi.routing import APIRoute

    from nagarik.web import api as web_api
    from nagarik.web.app import create_app

    create_app(enqueue=lambda broadcast_id, priority: None)  # the real routes all declare theirs
    unscoped = APIRoute("/api/open", lambda: {"open": True}, methods=["GET"])
    monkeypatch.setattr(web_api.router, "routes", [*web_api.router.routes, unscoped])
    with pytest.raises(RuntimeError, match="routes without a scope: /api/open"):
        create_app(enqueue=lambda broadcast_id, priority: None)
