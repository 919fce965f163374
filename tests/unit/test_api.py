"""The officials' JSON API, as a real server over HTTP: tokens, audiences, broadcasts, status changes."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from tests.support import answers, wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-ward-office"


@pytest.fixture
def api(database, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "NAGARIK_API_TOKENS": f"{TOKEN}:ward-office",
        "NAGARIK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    log = open(tmp_path / "api.log", "wb")  # noqa: SIM115 (kept open for the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "nagarik.officials.api", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
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


def test_no_token_no_access(api):
    assert httpx.get(f"{api.base_url}/api/audience").status_code == 401
    assert httpx.get(f"{api.base_url}/api/audience", headers={"Authorization": "Bearer guess"}).status_code == 401


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
