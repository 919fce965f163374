"""The action server answers the Rasa server only: a forged tracker from anyone else is refused.

Before: rasa-sdk's server listened on 0.0.0.0 with no authentication, so posting a tracker with
`"slots": {"status_outcome": "verified", "application_number": ...}` read another person's
application. The server here is the real one (`python -m action_server`) over HTTP.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.ports import free_port
from tests.support import answers, wait_until

ROOT = Path(__file__).resolve().parents[2]
HEADER = "X-Nagarik-Actions-Token"
VICTIM_NUMBER = "TL-2026-000981"  # tests/fixtures/seed/applications.yml: not the attacker's


def forged_call(sender: str = "919000000001") -> dict:
    slots = {"status_outcome": "verified", "application_number": VICTIM_NUMBER, "status_purpose": None}
    latest = {"text": f"status of {VICTIM_NUMBER}", "intent": {"name": "check_status", "confidence": 1.0}, "entities": []}
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": latest,
        "events": [{"event": "user", "text": latest["text"], "parse_data": latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {"next_action": "action_application_status", "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.6.2"}


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, token: str) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("actions")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'nagarik.db'}",
        "NAGARIK_SAMPLE_DIR": str(ROOT / "tests" / "fixtures" / "seed"),
        "NAGARIK_ACTIONS_TOKEN": token,
    }
    env.pop("NAGARIK_ACTIONS_HOST", None)
    subprocess.run([sys.executable, "-m", "nagarik", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


@pytest.fixture(scope="module")
def actions(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("log") / "actions.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "action_server", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or answers(f"{base}/health"), "the action server to start")
        assert process.poll() is None, f"the action server exited; see {log_path}"
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_forged_tracker_without_the_secret_is_refused(actions: str) -> None:
    answer = httpx.post(f"{actions}/webhook", json=forged_call(), timeout=30)
    assert answer.status_code == 401
    assert "events" not in answer.json() and "field_inspection" not in answer.text


@pytest.mark.parametrize("given", ["", "wrong", "x" * 43])
def test_a_wrong_secret_is_refused(actions: str, given: str) -> None:
    answer = httpx.post(f"{actions}/webhook", json=forged_call(), headers={HEADER: given}, timeout=30)
    assert answer.status_code == 401


def test_the_list_of_actions_is_not_public_either(actions: str) -> None:
    assert httpx.get(f"{actions}/actions", timeout=30).status_code == 401


def test_rasa_with_the_secret_is_answered(actions: str, token: str) -> None:
    answer = httpx.post(f"{actions}/webhook", json=forged_call(), headers={HEADER: token}, timeout=30)
    assert answer.status_code == 200
    assert "events" in answer.json()


def test_a_failing_call_does_not_echo_the_tracker(actions: str, token: str) -> None:
    broken = {**forged_call(), "tracker": None, "note": f"about {VICTIM_NUMBER}"}  # the executor raises on it
    answer = httpx.post(f"{actions}/webhook", json=broken, headers={HEADER: token}, timeout=30)
    assert answer.status_code >= 400
    assert VICTIM_NUMBER not in answer.text and "request_body" not in answer.text


def test_it_listens_on_the_loopback_address_only(actions: str) -> None:
    port = int(actions.rsplit(":", 1)[1])
    with socket.socket() as probe:  # 127.0.0.2 is this machine too, but not the address it is bound to
        assert probe.connect_ex(("127.0.0.2", port)) != 0


def test_it_will_not_start_without_a_secret(env: dict[str, str]) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "action_server", "--port", str(free_port())],
        cwd=ROOT, env={**env, "NAGARIK_ACTIONS_TOKEN": ""}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode == 2
    assert "NAGARIK_ACTIONS_TOKEN" in started.stderr
