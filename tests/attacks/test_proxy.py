"""Attacks on a real deployment: `python -m deploy start` on this machine (nginx in front, two Rasa
processes on PostgreSQL with Redis locks, the receiver, the action server, workers and the
officials' API, all under supervisord), with the Cloud API simulator standing in for Meta.

Before this layout, the README's way of running Nagarik put Rasa's HTTP API (every citizen's
tracker), the REST channel (write as anyone), the action server (forged trackers) and the
simulator on open ports. Here only the proxy's port is public, and it forwards the webhook and
the certificate check alone.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.deployment import Deployment
from tests.support import answers, serving, wait_until
from whatsapp.signature import sign

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = "919812300001"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from serving(Deployment(tmp_path_factory.mktemp("deployment"), rasa_processes=2))


# --- what the proxy forwards: nothing but the webhook and the certificate check -----------------

UNREACHABLE = [
    ("POST", "/webhooks/rest/webhook", {"sender": CITIZEN, "message": "status of TL-2026-000981"}),  # the REST channel
    ("GET", f"/conversations/{CITIZEN}/tracker", None),  # Rasa's HTTP API: a citizen's whole conversation
    ("POST", f"/conversations/{CITIZEN}/trigger_intent", {"name": "stop"}),
    ("GET", "/model", None),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
    ("GET", "/status", None),
    ("POST", "/webhook", {"next_action": "action_application_status"}),  # the action server's route
    ("GET", "/actions", None),
    ("GET", "/webhooks/whatsapp/", None),  # the channel's inbox state
    ("GET", "/webhooks/whatsapp/?wamid=wamid.x", None),
    ("GET", "/_sim/health", None),  # the simulator's controls
    ("GET", "/v21.0/109876543210987/messages", None),
    ("GET", "/api/audience", None),  # the officials' API is not public (yet)
    ("POST", "/api/broadcasts", {"kind": "announcement"}),
    ("GET", "/api/openapi.json", None),  # public on the API's own port only
    ("GET", "/console/../api/audience", None),
    ("GET", "/health", None),
    ("GET", "/", None),
    ("GET", "/verify/../api/audience", None),
    ("GET", "/webhooks/whatsapp/webhook/../../conversations/x/tracker", None),
]


@pytest.mark.parametrize(("method", "path", "body"), UNREACHABLE, ids=[f"{m} {p}" for m, p, _ in UNREACHABLE])
def test_only_the_public_routes_pass_the_proxy(deployment: Deployment, method: str, path: str, body: dict | None) -> None:
    answer = httpx.request(method, deployment.public + path, json=body, timeout=30)
    assert answer.status_code == 404, answer.text[:200]


def test_the_webhook_handshake_passes_with_our_token_only(deployment: Deployment) -> None:
    token = deployment.env["WHATSAPP_VERIFY_TOKEN"]
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": token}
    answer = httpx.get(f"{deployment.public}/webhooks/whatsapp/webhook", params=params, timeout=30)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    wrong = httpx.get(f"{deployment.public}/webhooks/whatsapp/webhook", params={**params, "hub.verify_token": "x"}, timeout=30)
    assert wrong.status_code == 403


def test_other_methods_on_the_webhook_are_refused(deployment: Deployment) -> None:
    assert httpx.delete(f"{deployment.public}/webhooks/whatsapp/webhook", timeout=30).status_code == 405


def test_an_unsigned_or_forged_webhook_is_refused(deployment: Deployment) -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    url = f"{deployment.public}/webhooks/whatsapp/webhook"
    assert httpx.post(url, content=body, timeout=30).status_code == 401
    forged = {"X-Hub-Signature-256": sign(body, "not-the-app-secret")}
    assert httpx.post(url, content=body, headers=forged, timeout=30).status_code == 403


def test_a_body_over_three_megabytes_stops_at_the_proxy(deployment: Deployment) -> None:
    body = b"{" + b" " * (3 * 1024 * 1024 + 10) + b"}"
    answer = httpx.post(f"{deployment.public}/webhooks/whatsapp/webhook", content=body, timeout=60)
    assert answer.status_code == 413


def test_the_certificate_check_is_public(deployment: Deployment) -> None:
    answer = httpx.get(f"{deployment.public}/verify/NGK-0000-0000", timeout=30)
    assert answer.status_code in (200, 404)  # the API's own answer for an unknown code, not the proxy's
    assert "nginx" not in answer.text


# --- behind the proxy: private addresses, and each door locked ----------------------------------


def test_every_internal_server_listens_on_the_loopback_address_only(deployment: Deployment) -> None:
    for port in [*deployment.rasa_ports, *deployment.ports.values()]:
        assert answers(f"http://127.0.0.1:{port}/"), port
        with socket.socket() as probe:  # 127.0.0.2 is this machine too, but no server is bound to it
            assert probe.connect_ex(("127.0.0.2", port)) != 0, f"port {port} listens beyond 127.0.0.1"


def test_rasas_http_api_wants_its_token_even_from_this_machine(deployment: Deployment) -> None:
    rasa = f"http://127.0.0.1:{deployment.rasa_ports[0]}"
    assert httpx.get(f"{rasa}/conversations/{CITIZEN}/tracker", timeout=30).status_code == 401
    token = {"token": deployment.env["RASA_AUTH_TOKEN"]}
    assert httpx.get(f"{rasa}/status", params=token, timeout=30).status_code == 200


def test_rasa_has_no_rest_channel(deployment: Deployment) -> None:
    rasa = f"http://127.0.0.1:{deployment.rasa_ports[0]}"
    answer = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": CITIZEN, "message": "hi"}, timeout=30)
    assert answer.status_code == 404


def test_a_forged_tracker_to_the_action_server_is_refused(deployment: Deployment) -> None:
    url = f"http://127.0.0.1:{deployment.ports['actions']}/webhook"
    tracker = {"slots": {"status_outcome": "verified", "application_number": "TL-2026-000981"}}
    forged = {"next_action": "action_application_status", "sender_id": CITIZEN, "tracker": tracker}
    assert httpx.post(url, json=forged, timeout=30).status_code == 401


# --- and the office still works through it ------------------------------------------------------


def test_a_citizen_is_answered_through_the_proxy_by_either_rasa_process(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.simulator_url, timeout=30) as sim:
        wamid = sim.post("/_sim/inbound", json={"from": CITIZEN, "type": "text", "text": "hello"}).json()["wamid"]
        health = f"http://127.0.0.1:{deployment.rasa_ports[1]}/webhooks/whatsapp/"

        def handled() -> bool:
            return httpx.get(health, params={"wamid": wamid}, timeout=10).json().get("state") == "done"

        wait_until(handled, f"message {wamid} to be answered")
        replies = sim.get("/_sim/sent", params={"to": CITIZEN}).json()
    assert replies, "the office sent nothing back"
    assert all(reply["payload"].get("to") == CITIZEN for reply in replies)


def test_production_will_not_start_on_the_simulators_secrets(deployment: Deployment) -> None:
    from harness.servers import SIMULATOR_SETTINGS

    env = {**deployment.env, **SIMULATOR_SETTINGS}
    done = subprocess.run([sys.executable, "-m", "deploy", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        assert f"{name} is the local simulator's public value" in done.stderr


def test_only_the_console_s_file_forms_take_a_body_over_three_megabytes(deployment: Deployment) -> None:
    """An officer's attachment (a video up to 16 MB) passes the proxy to the console, which checks
    its session and CSRF token (403 here, without them); any other body that size stops at nginx."""
    video = {"attachment": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\0" * (5 * 1024 * 1024), "video/mp4")}
    for path in ("/console/broadcasts/new", "/console/handoffs/HO-2026-000001/reply"):
        answer = httpx.post(f"{deployment.public}{path}", files=video, timeout=120)
        assert answer.status_code == 403, (path, answer.status_code)
    for path in ("/console/login", "/console/handoffs/HO-2026-000001/take"):
        answer = httpx.post(f"{deployment.public}{path}", files=video, timeout=120)
        assert answer.status_code == 413, (path, answer.status_code)
    too_big = {"attachment": ("clip.mp4", b"\0" * (18 * 1024 * 1024), "video/mp4")}
    answer = httpx.post(f"{deployment.public}/console/broadcasts/new", files=too_big, timeout=120)
    assert answer.status_code == 413
