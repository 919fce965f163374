"""Meta's two doors over HTTP: the WhatsApp channel's routes in Rasa's own Sanic app
(tests/unit/whatsapp_channel_app.py, run under .venv-rasa) and the stand-alone receiver
(`python -m whatsapp.cloud.receiver`, what the proxy forwards to in production), each on a free
port: the body limit before anything is buffered, the verification handshake, the internal-only
health route, and every labelled fixture posted as Meta would post it (tests/fixtures/whatsapp/cases.yml)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.ports import free_port
from harness.servers import SIMULATOR_SETTINGS
from tests.support import wait_until
from whatsapp import limits, signature
from whatsapp.cloud.internal import is_internal

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
FIXTURES = ROOT / "tests" / "fixtures" / "whatsapp"
CASES = yaml.safe_load((FIXTURES / "cases.yml").read_text(encoding="utf-8"))
SECRET = "channel-test-app-secret"
VERIFY_TOKEN = "ಪರಿಶೀಲನೆ-verify-टोकन"  # not ASCII: the compare must take any text
ANSWER_SECONDS = 20.0  # a bound on "answers at once": only a server that waits for the body fails it


DOORS = {
    "rasa_channel": [str(RASA_PYTHON), "-m", "tests.unit.whatsapp_channel_app"],
    "receiver": [str(ROOT / ".venv" / "bin" / "python"), "-m", "whatsapp.cloud.receiver", "--port"],
}


@pytest.fixture(scope="module", params=list(DOORS))
def channel(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The door's base URL (http://127.0.0.1:<port>/webhooks/whatsapp)."""
    directory = tmp_path_factory.mktemp(request.param)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "RASA_", "SANIC_"))}
    env.update(
        {
            **SIMULATOR_SETTINGS,  # the fixtures are addressed to its phone number id
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "WHATSAPP_API_URL": f"http://127.0.0.1:{free_port()}/v21.0",  # nothing listens: sends fail at once
            "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
            "WHATSAPP_EVIDENCE_DIR": str(directory / "evidence"),
            "RASA_TELEMETRY_ENABLED": "false",
        }
    )
    log = directory / "channel.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [*DOORS[request.param], str(port)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/webhooks/whatsapp"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the channel's server exited:\n{log.read_text(errors='replace')[-5000:]}")
        try:
            return httpx.get(base + "/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, "the channel's server to start", seconds=120)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def post(channel: str, body: bytes, **headers: str) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature.sign(body, SECRET), **headers}
    return httpx.post(channel + "/webhook", content=body, headers=headers, timeout=60)


def state_of(channel: str, wamid: str) -> Any:
    return httpx.get(channel + "/", params={"wamid": wamid}, timeout=10).json()["state"]


def raw_answer(port: int, request: bytes, body_chunks: Iterable[bytes] = ()) -> bytes:
    """Send `request` (and whatever of `body_chunks` the server still takes); the first bytes of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_SECONDS) as connection:
        connection.sendall(request)
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and closed: its answer is already on the way
        try:
            return connection.recv(200)
        except ConnectionResetError:
            return b""


def port_of(channel: str) -> int:
    return int(channel.split(":")[2].split("/")[0])


# --- the size limit bites before the body is read -------------------------------------------------


@pytest.mark.parametrize("path", ["/webhooks/whatsapp/webhook", "/model/parse"])
def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(channel, path, request):
    """The headers alone, announcing 50 MB: the answer comes without waiting for a byte of body,
    on the webhook and on every other route of Rasa's app (the limit is the app's); the receiver
    has no other route, and says so at once."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    answer = raw_answer(port_of(channel), head.encode())
    receiver_elsewhere = request.node.callspec.params["channel"] == "receiver" and path == "/model/parse"
    refused = b"HTTP/1.1 404" if receiver_elsewhere else b"HTTP/1.1 413"
    assert answer.startswith(refused), answer


def test_a_chunked_body_that_grows_over_the_limit_is_refused(channel):
    request = (
        b"POST /webhooks/whatsapp/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * (256 * 1024)
    chunks = (b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(limits.MAX_WEBHOOK_BYTES // len(piece) + 2))
    answer = raw_answer(port_of(channel), request, (*chunks, b"0\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 413"), answer


def test_a_body_of_exactly_the_limit_is_accepted(channel):
    body = (FIXTURES / "text_message.json").read_bytes()
    body += b" " * (limits.MAX_WEBHOOK_BYTES - len(body))
    answer = post(channel, body)
    assert answer.status_code == 200 and answer.json()["accepted"] in (0, 1), answer.text


# --- the verification handshake -----------------------------------------------------------------


def test_the_verify_token_is_compared_in_constant_time(monkeypatch):
    compared: list[tuple[bytes, bytes]] = []

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return given == expected

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    assert signature.token_matches(VERIFY_TOKEN, VERIFY_TOKEN)
    assert compared == [(VERIFY_TOKEN.encode(), VERIFY_TOKEN.encode())]
    assert not signature.token_matches("guess", VERIFY_TOKEN)
    assert not signature.token_matches("ಪರಿಶೀಲನೆ", VERIFY_TOKEN)
    assert not signature.token_matches("\udc80", VERIFY_TOKEN)  # a lone surrogate is compared, not an error
    compared.clear()
    assert not signature.token_matches("", VERIFY_TOKEN) and not signature.token_matches(None, VERIFY_TOKEN)
    assert not signature.token_matches("", "")  # no token configured: nothing matches
    assert compared == []


def verify(channel: str, **params: str) -> httpx.Response:
    return httpx.get(channel + "/webhook", params=params, timeout=10)


def test_the_verification_handshake_takes_the_right_token_only(channel):
    good = verify(channel, **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert good.status_code == 200 and good.text == "1158201444"
    for token in ("guess", "", " " + VERIFY_TOKEN, VERIFY_TOKEN[:-1], VERIFY_TOKEN + "x", "ಪರಿಶೀಲನೆ", "\u0000"):
        answer = verify(channel, **{"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"})
        assert answer.status_code == 403 and answer.text != "1", token
    assert verify(channel, **{"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 403
    unsubscribe = verify(channel, **{"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"})
    assert unsubscribe.status_code == 403


# --- the health route is internal ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "headers", "internal"),
    [
        ("127.0.0.1", {}, True),
        ("127.8.9.10", {"Accept": "*/*"}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("10.0.0.5", {}, False),
        ("203.0.113.7", {}, False),
        ("::ffff:203.0.113.7", {}, False),
        ("", {}, False),  # a unix socket
        (None, {}, False),
        ("not an address", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}, False),
        ("127.0.0.1", {"x-real-ip": "203.0.113.7"}, False),
        ("127.0.0.1", {"FORWARDED": "for=203.0.113.7"}, False),
        ("127.0.0.1", {"Via": "1.1 nginx"}, False),
    ],
)
def test_who_is_an_internal_caller(peer, headers, internal):
    assert is_internal(peer, headers.keys()) is internal


@pytest.mark.parametrize(
    "header", [("X-Forwarded-For", "203.0.113.7"), ("X-Real-IP", "203.0.113.7"), ("Forwarded", "for=203.0.113.7")]
)
def test_the_health_route_is_refused_to_a_request_that_came_through_a_proxy(channel, header):
    name, value = header
    assert httpx.get(channel + "/", headers={name: value}, timeout=10).status_code == 404
    wamid = CASES[0]["expect"]["messages"][0]["id"]
    refused = httpx.get(channel + "/", params={"wamid": wamid}, headers={name: value}, timeout=10)
    assert refused.status_code == 404 and wamid not in refused.text
    # Even a proxy that says the caller was the machine itself is a proxy.
    assert httpx.get(channel + "/", headers={name: "127.0.0.1"}, timeout=10).status_code == 404


def test_the_health_route_answers_a_caller_on_this_machine(channel):
    health = httpx.get(channel + "/", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok" and "inbox" in health.json()


# --- every labelled fixture, as Meta would post it ------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_every_labelled_fixture_over_http(channel, case):
    body = (FIXTURES / case.get("body", f"{case['case']}.json")).read_bytes()
    if case.get("size"):
        body = body + b" " * (case["size"] - len(body))
    headers = {}
    sign = case.get("sign", "valid")
    if sign == "wrong":
        headers["X-Hub-Signature-256"] = signature.sign(body, "another secret")
    elif sign == "malformed":
        headers["X-Hub-Signature-256"] = "md5=1234"
    elif sign == "missing":
        headers["X-Hub-Signature-256"] = ""
    answer = post(channel, body, **headers)
    expect = case["expect"]
    assert answer.status_code == expect["http"], answer.text
    for message in expect["messages"]:
        state = state_of(channel, message["id"])
        if expect["http"] != 200:
            assert state is None  # a refused body stores nothing
        elif message["kind"] == "ignored":
            assert state == "ignored", message["id"]
        else:
            assert state is not None, message["id"]
    for wamid in expect.get("skipped", []):
        assert state_of(channel, wamid) is None, wamid
