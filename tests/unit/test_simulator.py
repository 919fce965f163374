"""The WhatsApp Cloud API simulator (python -m simulator), run as a subprocess and driven over HTTP,
with a small HTTP server standing in for the connector and capturing the webhooks.

Nothing here talks to the internet, and nothing asserts on timing: asynchronous effects are awaited
with a generous polling loop (`wait_until`).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from harness.ports import free_port
from simulator import samples
from simulator.chat import Chat, render
from simulator.config import Settings
from simulator.limits import PairLimiter, TokenBucket
from simulator.templates import TemplateRegistry, placeholders
from simulator.webhooks import reordered, serialize, sign
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-access-token"
SECRET = "test-app-secret"
VERIFY = "test-verify-token"
PHONE_ID = "100200300400500"
WABA_ID = "102030405060708"
VERSION = "v21.0"
CITIZEN = "919876543210"


# --- the stand-in connector --------------------------------------------------------------------------


class Receiver:
    """Captures every webhook; checks the signature like pywa (401 missing, 403 wrong), then answers
    200 unless told to fail the next few posts. Answers Meta's GET verification handshake."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[dict[str, Any]] = []
        self.plan: deque[int] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signature = self.headers.get("X-Hub-Signature-256")
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                with receiver.lock:
                    if signature is None:
                        status = 401
                    elif not hmac.compare_digest(signature, expected):
                        status = 403
                    else:
                        status = receiver.plan.popleft() if receiver.plan else 200
                    receiver.posts.append({"body": body, "headers": dict(self.headers), "status": status})
                self._answer(status, b"ok")

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                good = query.get("hub.mode") == ["subscribe"] and query.get("hub.verify_token") == [VERIFY]
                self._answer(200 if good else 403, query.get("hub.challenge", [""])[0].encode() if good else b"forbidden")

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the simulator stopped waiting (a reset cancelled its delivery)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/whatsapp/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def clear(self) -> None:
        with self.lock:
            self.posts.clear()
            self.plan.clear()

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.plan.extend(statuses)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.posts)

    def with_id(self, wamid: str, accepted_only: bool = True) -> list[dict[str, Any]]:
        """Posts carrying this wamid (as a message or a status), in arrival order."""
        return [p for p in self.snapshot() if wamid.encode() in p["body"] and (p["status"] == 200 or not accepted_only)]

    def message(self, wamid: str) -> dict[str, Any]:
        """The `value` of the first accepted webhook with this inbound message."""
        post = wait_until(lambda: self.with_id(wamid), f"webhook with {wamid}")[0]
        return json.loads(post["body"])["entry"][0]["changes"][0]["value"]

    def statuses(self, wamid: str) -> list[dict[str, Any]]:
        found = []
        for post in self.with_id(wamid):
            for entry in json.loads(post["body"])["entry"]:
                for change in entry["changes"]:
                    found += [s for s in change["value"].get("statuses", []) if s["id"] == wamid]
        return found


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(scope="module")
def sim_url(receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("simulator") / "simulator.log"
    command = [
        sys.executable, "-m", "simulator",
        "--port", str(port),
        "--webhook-url", receiver.url,
        "--access-token", TOKEN,
        "--app-secret", SECRET,
        "--verify-token", VERIFY,
        "--status-delay", "0.01",
        "--retry-base", "0.05",
        "--seed", "7",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SIM_"))}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the simulator exited:\n{log_path.read_text(errors='replace')}")
        try:
            return httpx.get(url + "/_sim/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, "the simulator to start", seconds=60)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Sim:
    """A client for the simulator: Graph calls with the bearer token, and the /_sim/ API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=20)

    def send(self, payload: Any, *, token: str | None = TOKEN, phone_id: str = PHONE_ID) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(f"/{VERSION}/{phone_id}/messages", json=payload, headers=headers)

    def graph(self, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, f"/{VERSION}/{path}", headers=headers, **kwargs)

    def inbound(self, **spec: Any) -> dict[str, Any]:
        spec.setdefault("from", CITIZEN)
        response = self.http.post("/_sim/inbound", json=spec)
        assert response.status_code == 200, response.text
        return response.json()

    def config(self, **settings: Any) -> dict[str, Any]:
        response = self.http.post("/_sim/config", json=settings)
        assert response.status_code == 200, response.text
        return response.json()

    def fault(self, **fault: Any) -> None:
        assert self.http.post("/_sim/faults", json=fault).status_code == 200

    def open_window(self, wa_id: str = CITIZEN) -> None:
        assert self.http.post("/_sim/window/open", json={"wa_id": wa_id}).json()["open"] is True

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(f"/_sim/{path}", params=params).json()

    def sent(self, to: str | None = None) -> list[dict[str, Any]]:
        return self.get("sent", **({"to": to} if to else {}))


@pytest.fixture
def sim(sim_url: str, receiver: Receiver) -> Iterator[Sim]:
    client = Sim(sim_url)
    assert client.http.post("/_sim/reset").status_code == 200
    receiver.clear()
    yield client
    client.http.close()


def attempts_for(sim: Sim, wamid: str) -> list[dict[str, Any]]:
    """The simulator's log of webhook attempts carrying this wamid."""
    return [d for d in sim.get("deliveries") if wamid in d["wamids"]]


def graph_error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    """Check Graph's error envelope and return the error."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] in ("OAuthException", "GraphMethodException")
    assert error["message"] and error["fbtrace_id"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert isinstance(error["error_data"]["details"], str)
    return error


# --- payloads ----------------------------------------------------------------------------------------

DELETE = object()


def changed(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of payload with the dotted path set (list indexes are numbers) or deleted."""
    result = copy.deepcopy(payload)
    node: Any = result
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last: Any = int(keys[-1]) if isinstance(node, list) else keys[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return result


def message(kind: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CITIZEN, "type": kind, kind: content, **extra}


def reply(number: int, title: str | None = None) -> dict[str, Any]:
    return {"type": "reply", "reply": {"id": f"/choice_{number}", "title": title or f"Choice {number}"}}


def rows(count: int, prefix: str = "row") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}_{n}", "title": f"Row {n}", "description": "A row"} for n in range(count)]


TEXT = message("text", {"body": "Your grievance is registered.", "preview_url": False})
BUTTONS = message(
    "interactive",
    {
        "type": "button",
        "header": {"type": "text", "text": "Grievance"},
        "body": {"text": "Is this about water supply?"},
        "footer": {"text": "City Corporation"},
        "action": {"buttons": [reply(1, "Yes"), reply(2, "No")]},
    },
)
LIST = message(
    "interactive",
    {
        "type": "list",
        "header": {"type": "text", "text": "Services"},
        "body": {"text": "Which service do you need?"},
        "footer": {"text": "City Corporation"},
        "action": {
            "button": "Services",
            "sections": [
                {"title": "Water", "rows": [{"id": "water_new", "title": "New connection", "description": "Apply"}]},
                {"title": "Roads", "rows": [{"id": "pothole", "title": "Report a pothole"}]},
            ],
        },
    },
)
IMAGE = message("image", {"link": "https://example.org/ward-map.jpg", "caption": "Ward map"})
DOCUMENT = message("document", {"link": "https://example.org/form.pdf", "caption": "Form", "filename": "form.pdf"})
AUDIO = message("audio", {"link": "https://example.org/notice.ogg"})
STICKER = message("sticker", {"link": "https://example.org/thanks.webp"})
VIDEO = message("video", {"link": "https://example.org/howto.mp4", "caption": "How to apply"})
TEMPLATE = message(
    "template",
    {
        "name": "grievance_update",
        "language": {"code": "en"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "GRV-2024-0001"}, {"type": "text", "text": "resolved"}]}
        ],
    },
)
LOCATION = message("location", {"latitude": 12.9634, "longitude": 77.5855, "name": "Town hall", "address": "Bengaluru"})
REACTION = message("reaction", {"message_id": "wamid.HBgMOTE5ODc2NTQzMjEw", "emoji": "👍"})
CONTACTS = message("contacts", [{"name": {"formatted_name": "Ward office"}, "phones": [{"phone": "+91 80 2222 0000"}]}])

# (case, payload, expected Graph error code)
INVALID: list[tuple[str, Any, int]] = [
    # envelope
    ("messaging_product missing", changed(TEXT, "messaging_product", DELETE), 100),
    ("messaging_product wrong", changed(TEXT, "messaging_product", "sms"), 100),
    ("recipient_type wrong", changed(TEXT, "recipient_type", "broadcast"), 100),
    ("to missing", changed(TEXT, "to", DELETE), 100),
    ("to not a number", changed(TEXT, "to", "call me maybe"), 100),
    ("recipient not a BSUID", changed(changed(TEXT, "to", DELETE), "recipient", "someone"), 100),
    ("type not sendable", message("poll", {"question": "?"}), 131051),
    ("type not a string", changed(TEXT, "type", 5), 100),
    ("context without message_id", changed(TEXT, "context", {}), 131008),
    ("callback data too long", changed(TEXT, "biz_opaque_callback_data", "x" * 513), 131009),
    # text
    ("text missing", changed(TEXT, "text", DELETE), 131008),
    ("text not an object", changed(TEXT, "text", "hello"), 100),
    ("text body missing", changed(TEXT, "text.body", DELETE), 131008),
    ("text body empty", changed(TEXT, "text.body", ""), 131009),
    ("text body 4097", changed(TEXT, "text.body", "ಕ" * 4097), 131009),
    ("text body not a string", changed(TEXT, "text.body", 42), 100),
    ("preview_url not a bool", changed(TEXT, "text.preview_url", "true"), 100),
    ("text unexpected key", changed(TEXT, "text.caption", "x"), 100),
    # interactive, common
    ("interactive missing", changed(BUTTONS, "interactive", DELETE), 131008),
    ("interactive type missing", changed(BUTTONS, "interactive.type", DELETE), 131008),
    ("interactive type unknown", changed(BUTTONS, "interactive.type", "carousel"), 100),
    ("interactive body missing", changed(BUTTONS, "interactive.body", DELETE), 131008),
    ("interactive body 1025", changed(BUTTONS, "interactive.body.text", "a" * 1025), 131009),
    ("interactive body empty", changed(BUTTONS, "interactive.body.text", ""), 131009),
    ("header text 61", changed(BUTTONS, "interactive.header.text", "h" * 61), 131009),
    ("header type missing", changed(BUTTONS, "interactive.header", {"text": "x"}), 131008),
    ("header type unknown", changed(BUTTONS, "interactive.header", {"type": "gif"}), 100),
    ("footer 61", changed(BUTTONS, "interactive.footer.text", "f" * 61), 131009),
    ("action missing", changed(BUTTONS, "interactive.action", DELETE), 131008),
    # reply buttons
    ("buttons missing", changed(BUTTONS, "interactive.action.buttons", DELETE), 131008),
    ("buttons not a list", changed(BUTTONS, "interactive.action.buttons", {}), 100),
    ("buttons none", changed(BUTTONS, "interactive.action.buttons", []), 131009),
    ("buttons four", changed(BUTTONS, "interactive.action.buttons", [reply(n) for n in range(4)]), 131009),
    ("button type not reply", changed(BUTTONS, "interactive.action.buttons.0.type", "url"), 100),
    ("button reply missing", changed(BUTTONS, "interactive.action.buttons.0.reply", DELETE), 131008),
    ("button title missing", changed(BUTTONS, "interactive.action.buttons.0.reply.title", DELETE), 131008),
    ("button title 21", changed(BUTTONS, "interactive.action.buttons.0.reply.title", "t" * 21), 131009),
    ("button title 21 kannada", changed(BUTTONS, "interactive.action.buttons.0.reply.title", "ಹೌ" * 10 + "ದು"), 131009),
    ("button title empty", changed(BUTTONS, "interactive.action.buttons.0.reply.title", ""), 131009),
    ("button id missing", changed(BUTTONS, "interactive.action.buttons.0.reply.id", DELETE), 131008),
    ("button id 257", changed(BUTTONS, "interactive.action.buttons.0.reply.id", "i" * 257), 131009),
    ("button ids repeated", changed(BUTTONS, "interactive.action.buttons.1.reply.id", "/choice_1"), 131009),
    ("button titles repeated", changed(BUTTONS, "interactive.action.buttons.1.reply.title", "Yes"), 131009),
    # lists
    ("list button missing", changed(LIST, "interactive.action.button", DELETE), 131008),
    ("list button 21", changed(LIST, "interactive.action.button", "b" * 21), 131009),
    ("list sections missing", changed(LIST, "interactive.action.sections", DELETE), 131008),
    ("list sections empty", changed(LIST, "interactive.action.sections", []), 131009),
    (
        "list sections 11",
        changed(LIST, "interactive.action.sections", [{"title": f"S{n}", "rows": rows(1, f"s{n}")} for n in range(11)]),
        131009,
    ),
    ("list rows 11 in one section", changed(LIST, "interactive.action.sections", [{"title": "All", "rows": rows(11)}]), 131009),
    (
        "list rows 11 across sections",
        changed(
            LIST, "interactive.action.sections", [{"title": "A", "rows": rows(6, "a")}, {"title": "B", "rows": rows(5, "b")}]
        ),
        131009,
    ),
    ("list section without rows", changed(LIST, "interactive.action.sections.1.rows", []), 131009),
    ("list section rows missing", changed(LIST, "interactive.action.sections.1.rows", DELETE), 131008),
    ("list section title missing (2 sections)", changed(LIST, "interactive.action.sections.1.title", DELETE), 131008),
    ("list section title 25", changed(LIST, "interactive.action.sections.0.title", "s" * 25), 131009),
    ("list row title 25", changed(LIST, "interactive.action.sections.0.rows.0.title", "r" * 25), 131009),
    ("list row title missing", changed(LIST, "interactive.action.sections.0.rows.0.title", DELETE), 131008),
    ("list row description 73", changed(LIST, "interactive.action.sections.0.rows.0.description", "d" * 73), 131009),
    ("list row id 201", changed(LIST, "interactive.action.sections.0.rows.0.id", "i" * 201), 131009),
    ("list row id missing", changed(LIST, "interactive.action.sections.0.rows.0.id", DELETE), 131008),
    ("list row ids repeated across sections", changed(LIST, "interactive.action.sections.1.rows.0.id", "water_new"), 131009),
    (
        "list media header",
        changed(LIST, "interactive.header", {"type": "image", "image": {"link": "https://example.org/a.jpg"}}),
        131009,
    ),
    # media
    ("image id and link", changed(IMAGE, "image.id", "1234567890123456"), 131009),
    ("image neither id nor link", message("image", {"caption": "x"}), 131008),
    ("image missing", changed(IMAGE, "image", DELETE), 131008),
    ("image unknown media id", message("image", {"id": "1234567890123456"}), 100),
    ("image link not a URL", changed(IMAGE, "image.link", "ward-map.jpg"), 131009),
    ("image caption 1025", changed(IMAGE, "image.caption", "c" * 1025), 131009),
    ("image filename", changed(IMAGE, "image.filename", "map.jpg"), 100),
    ("video filename", changed(VIDEO, "video.filename", "howto.mp4"), 100),
    ("audio caption", changed(AUDIO, "audio.caption", "listen"), 100),
    ("sticker caption", changed(STICKER, "sticker.caption", "thanks"), 100),
    ("document unexpected key", changed(DOCUMENT, "document.title", "x"), 100),
    ("document filename empty", changed(DOCUMENT, "document.filename", ""), 131009),
    # templates
    ("template missing", changed(TEMPLATE, "template", DELETE), 131008),
    ("template name missing", changed(TEMPLATE, "template.name", DELETE), 131008),
    ("template language missing", changed(TEMPLATE, "template.language", DELETE), 131008),
    ("template does not exist", changed(TEMPLATE, "template.name", "no_such_template"), 132001),
    ("template language not registered", changed(TEMPLATE, "template.language.code", "ta"), 132001),
    ("template language en_US vs en", changed(TEMPLATE, "template.language.code", "en_US"), 132001),
    ("template pending", message("template", {"name": "ward_survey", "language": {"code": "en"}}), 132001),
    (
        "template paused",
        message(
            "template",
            {
                "name": "property_tax_rebate",
                "language": {"code": "en"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "31 March"}]}],
            },
        ),
        132015,
    ),
    (
        "template too few params",
        changed(TEMPLATE, "template.components.0.parameters", [{"type": "text", "text": "GRV-1"}]),
        132000,
    ),
    ("template no params", changed(TEMPLATE, "template.components", []), 132000),
    (
        "template params to a template without any",
        message(
            "template",
            {
                "name": "conversation_reopen",
                "language": {"code": "en"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}],
            },
        ),
        132000,
    ),
    (
        "template param of the wrong type",
        changed(TEMPLATE, "template.components.0.parameters.0", {"type": "image", "image": {}}),
        132012,
    ),
    ("template param empty", changed(TEMPLATE, "template.components.0.parameters.0.text", " "), 132012),
    ("template param with a newline", changed(TEMPLATE, "template.components.0.parameters.1.text", "resolved\nthanks"), 132018),
    ("template component unknown", changed(TEMPLATE, "template.components.0.type", "footer"), 100),
    (
        "template media header missing",
        message(
            "template",
            {
                "name": "certificate_ready",
                "language": {"code": "en"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "birth"}]}],
            },
        ),
        132000,
    ),
    (
        "template quick reply index out of range",
        message(
            "template",
            {
                "name": "conversation_reopen",
                "language": {"code": "en"},
                "components": [
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "3",
                        "parameters": [{"type": "payload", "payload": "x"}],
                    }
                ],
            },
        ),
        131009,
    ),
    # location, reaction, contacts
    ("location missing", changed(LOCATION, "location", DELETE), 131008),
    ("location latitude missing", changed(LOCATION, "location.latitude", DELETE), 131008),
    ("location latitude 91", changed(LOCATION, "location.latitude", 91), 131009),
    ("location longitude not a number", changed(LOCATION, "location.longitude", "east"), 100),
    ("reaction message_id missing", changed(REACTION, "reaction.message_id", DELETE), 131008),
    ("reaction emoji missing", changed(REACTION, "reaction.emoji", DELETE), 131008),
    ("contacts empty", message("contacts", []), 100),
    ("contacts name missing", message("contacts", [{"phones": []}]), 131008),
]


@pytest.mark.parametrize(("payload", "code"), [pytest.param(p, c, id=name) for name, p, c in INVALID])
def test_invalid_sends_get_graph_errors(sim: Sim, payload: dict[str, Any], code: int) -> None:
    sim.open_window()
    error = graph_error(sim.send(payload))
    assert error["code"] == code, error
    assert error["message"].startswith(f"(#{code})")
    rejected = sim.get("errors")
    assert rejected[-1]["error"]["error"]["code"] == code
    assert rejected[-1]["payload"] == payload
    assert sim.sent() == []


def _list_rows(*counts: int) -> dict[str, Any]:
    sections = [{"title": f"Section {n}", "rows": rows(count, f"s{n}")} for n, count in enumerate(counts)]
    return changed(LIST, "interactive.action.sections", sections)


VALID: list[tuple[str, dict[str, Any]]] = [
    ("text", TEXT),
    ("text without type (defaults to text)", changed(TEXT, "type", DELETE)),
    ("text 4096 kannada characters", changed(TEXT, "text.body", "ಕ" * 4096)),
    ("text with a plus and spaces in to", changed(TEXT, "to", "+91 98765 43210")),
    ("text quoting a message", changed(TEXT, "context", {"message_id": "wamid.HBgMOTE5ODc2NTQzMjEw"})),
    (
        "three buttons with 20-character titles",
        changed(BUTTONS, "interactive.action.buttons", [reply(n, f"{n}" * 20) for n in range(1, 4)]),
    ),
    ("button with a 256-character id", changed(BUTTONS, "interactive.action.buttons.0.reply.id", "i" * 256)),
    ("button title 20 devanagari", changed(BUTTONS, "interactive.action.buttons.0.reply.title", "ह" * 20)),
    (
        "button image header",
        changed(BUTTONS, "interactive.header", {"type": "image", "image": {"link": "https://example.org/a.jpg"}}),
    ),
    ("button without header and footer", changed(changed(BUTTONS, "interactive.header", DELETE), "interactive.footer", DELETE)),
    ("list", LIST),
    ("list with 10 rows in two sections", _list_rows(4, 6)),
    ("list with 10 sections of one row", _list_rows(*[1] * 10)),
    ("list with one untitled section", changed(LIST, "interactive.action.sections", [{"rows": rows(2)}])),
    (
        "list row limits",
        changed(LIST, "interactive.action.sections.0.rows.0", {"id": "i" * 200, "title": "t" * 24, "description": "d" * 72}),
    ),
    ("list section title 24", changed(LIST, "interactive.action.sections.0.title", "s" * 24)),
    (
        "cta url",
        message(
            "interactive",
            {
                "type": "cta_url",
                "body": {"text": "Track it"},
                "action": {"name": "cta_url", "parameters": {"display_text": "Track", "url": "https://example.org/t"}},
            },
        ),
    ),
    ("image by link", IMAGE),
    ("video by link", VIDEO),
    ("audio by link", AUDIO),
    ("sticker by link", STICKER),
    ("document by link", DOCUMENT),
    ("template", TEMPLATE),
    ("template in hindi", changed(TEMPLATE, "template.language.code", "hi")),
    ("template in kannada", changed(TEMPLATE, "template.language.code", "kn")),
    (
        "template with a quick-reply payload",
        message(
            "template",
            {
                "name": "conversation_reopen",
                "language": {"code": "kn", "policy": "deterministic"},
                "components": [
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "/continue"}],
                    }
                ],
            },
        ),
    ),
    (
        "template with a document header",
        message(
            "template",
            {
                "name": "certificate_ready",
                "language": {"code": "en"},
                "components": [
                    {
                        "type": "header",
                        "parameters": [
                            {"type": "document", "document": {"link": "https://example.org/c.pdf", "filename": "c.pdf"}}
                        ],
                    },
                    {"type": "body", "parameters": [{"type": "text", "text": "birth"}]},
                ],
            },
        ),
    ),
    ("location", LOCATION),
    ("location as strings", changed(LOCATION, "location", {"latitude": "12.97", "longitude": "77.59"})),
    ("reaction", REACTION),
    ("reaction removed", changed(REACTION, "reaction.emoji", "")),
    ("contacts", CONTACTS),
]


@pytest.mark.parametrize("payload", [pytest.param(p, id=name) for name, p in VALID])
def test_valid_sends_are_accepted(sim: Sim, payload: dict[str, Any]) -> None:
    sim.open_window()
    response = sim.send(payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": payload["to"], "wa_id": CITIZEN}]
    wamid = body["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    [record] = sim.sent(CITIZEN)
    assert record["wamid"] == wamid and record["payload"] == payload and record["to"] == CITIZEN


def test_wamids_are_unique(sim: Sim) -> None:
    sim.open_window()
    wamids = {sim.send(TEXT).json()["messages"][0]["id"] for _ in range(20)}
    assert len(wamids) == 20


def test_a_long_poll_of_sent_messages_answers_with_the_next_send(sim: Sim) -> None:
    sim.open_window()
    after = max((record["seq"] for record in sim.sent()), default=0)
    answers: list[Any] = []
    poll = threading.Thread(target=lambda: answers.append(sim.get("sent", to=CITIZEN, after=after, wait=30)))
    poll.start()
    wait_until(lambda: sim.get("health")["waiting_polls"] == 1, "the poll to wait")
    assert sim.send(TEXT).status_code == 200
    poll.join(timeout=30)
    assert [record["wa_id"] for record in answers[0]] == [CITIZEN]
    assert sim.get("sent", to="919800000001", after=after, wait=0.05) == []  # nothing for them: empty once the wait is over


# --- auth and routing --------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_bad_or_missing_token_is_190(sim: Sim, token: str | None) -> None:
    sim.open_window()
    error = graph_error(sim.send(TEXT, token=token), 401)
    assert error["code"] == 190
    error = graph_error(sim.graph("POST", f"{PHONE_ID}/media", token=token, files={"file": ("a.png", b"x")}), 401)
    assert error["code"] == 190
    assert graph_error(sim.graph("GET", "1234567890123456", token=token), 401)["code"] == 190
    assert sim.sent() == []


def test_unknown_phone_number_id(sim: Sim) -> None:
    error = graph_error(sim.send(TEXT, phone_id="999999999999999"))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_unknown_path_and_phone_lookup(sim: Sim) -> None:
    response = sim.http.post("/v1.0/whatever/messages", headers={"Authorization": f"Bearer {TOKEN}"})
    assert graph_error(response)["code"] == 2500
    phone = sim.graph("GET", PHONE_ID).json()
    assert phone["id"] == PHONE_ID and phone["display_phone_number"]


def test_invalid_json_body(sim: Sim) -> None:
    response = sim.http.post(
        f"/{VERSION}/{PHONE_ID}/messages", content=b"{not json", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert graph_error(response)["code"] == 100


# --- the 24-hour window ------------------------------------------------------------------------------


def test_free_form_outside_the_window_is_131047(sim: Sim) -> None:
    error = graph_error(sim.send(TEXT))
    assert error["code"] == 131047
    sim.inbound(type="text", text="hello")
    assert sim.send(TEXT).status_code == 200
    assert sim.send(BUTTONS).status_code == 200
    sim.http.post("/_sim/window/close", json={"wa_id": CITIZEN})
    assert graph_error(sim.send(TEXT))["code"] == 131047
    assert graph_error(sim.send(REACTION))["code"] == 131047


def test_templates_are_allowed_outside_the_window(sim: Sim) -> None:
    response = sim.send(TEMPLATE)
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["message_status"] == "accepted"


def test_the_window_closes_after_24_hours(sim: Sim) -> None:
    sim.inbound(type="text", text="hello")
    sim.http.post("/_sim/clock", json={"advance_s": 23 * 3600})
    assert sim.send(TEXT).status_code == 200
    sim.http.post("/_sim/clock", json={"advance_s": 3600 + 1})
    assert graph_error(sim.send(TEXT))["code"] == 131047


def test_business_sends_do_not_extend_the_window(sim: Sim) -> None:
    sim.inbound(type="text", text="hello")
    sim.http.post("/_sim/clock", json={"advance_s": 20 * 3600})
    assert sim.send(TEXT).status_code == 200
    sim.http.post("/_sim/clock", json={"advance_s": 5 * 3600})
    assert graph_error(sim.send(TEXT))["code"] == 131047


def test_system_messages_do_not_open_the_window(sim: Sim) -> None:
    sim.inbound(type="system")
    assert graph_error(sim.send(TEXT))["code"] == 131047


def test_window_error_as_a_failed_status(sim: Sim, receiver: Receiver) -> None:
    sim.config(window_error="status")
    response = sim.send(TEXT)
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    statuses = wait_until(lambda: receiver.statuses(wamid), "a failed status")
    assert [s["status"] for s in statuses] == ["failed"]
    assert statuses[0]["errors"][0]["code"] == 131047
    assert "pricing" not in statuses[0]


# --- templates ---------------------------------------------------------------------------------------


def test_template_text_is_rendered_in_kannada(sim: Sim) -> None:
    response = sim.send(changed(TEMPLATE, "template.language.code", "kn"))
    assert response.status_code == 200
    [record] = sim.sent(CITIZEN)
    assert "GRV-2024-0001" in record["rendered"] and "ನಿಮ್ಮ ದೂರು" in record["rendered"]
    assert record["template"] == {"name": "grievance_update", "language": "kn", "category": "UTILITY"}


def test_seed_templates() -> None:
    registry = TemplateRegistry.load(ROOT / "config" / "templates.yml")
    expected = {"conversation_reopen": 0, "grievance_update": 2, "application_update": 2, "announcement": 1, "emergency_alert": 2}
    for name, count in expected.items():
        for language in ("en", "hi", "kn"):
            template = registry.find(name, language)
            assert template is not None, (name, language)
            assert (template.category, template.status) == ("UTILITY", "APPROVED")
            assert placeholders(template.body) == count, (name, language)
    assert "City Corporation" in registry.find("conversation_reopen", "en").body  # type: ignore[union-attr]


def test_template_listing(sim: Sim) -> None:
    data = sim.graph("GET", f"{WABA_ID}/message_templates").json()["data"]
    assert {(t["name"], t["language"]) for t in data} >= {("emergency_alert", lang) for lang in ("en", "hi", "kn")}


# --- rate limits -------------------------------------------------------------------------------------


def test_throughput_limit_is_130429(sim: Sim) -> None:
    sim.config(throughput=0.001, throughput_burst=2)  # two tokens now, the next in ~17 minutes
    sim.open_window()
    assert sim.send(TEXT).status_code == 200
    assert sim.send(TEXT).status_code == 200
    assert graph_error(sim.send(TEXT))["code"] == 130429
    assert len(sim.sent()) == 2


def test_the_ledger_counts_every_send_and_every_refusal_by_code(sim: Sim) -> None:
    other = "919812345678"
    sim.config(throughput=0.001, throughput_burst=3, pair_period=3600, pair_burst=1)
    for citizen in (CITIZEN, other, "919800000001"):
        sim.open_window(citizen)
    assert sim.send(TEXT).status_code == 200
    assert graph_error(sim.send(TEXT))["code"] == 131056  # the same citizen again at once
    assert sim.send(changed(TEXT, "to", other)).status_code == 200
    assert graph_error(sim.send(changed(TEXT, "to", "919800000001")))["code"] == 130429  # the bucket is empty
    ledger = sim.get("ledger")
    assert ledger["count"] == 2 and ledger["to"] == [CITIZEN, other]
    assert ledger["times"] == [entry["time"] for entry in sim.sent()]
    assert ledger["errors"] == {"130429": 1, "131056": 1}
    assert sim.get("ledger", after=1)["to"] == [other]


def test_pair_rate_limit_is_131056(sim: Sim) -> None:
    other = "919812345678"
    sim.config(pair_period=3600, pair_burst=2)
    sim.open_window()
    sim.open_window(other)
    assert sim.send(TEXT).status_code == 200
    assert sim.send(TEXT).status_code == 200
    assert graph_error(sim.send(TEXT))["code"] == 131056
    assert sim.send(changed(TEXT, "to", other)).status_code == 200  # another citizen is not limited


def test_pair_limit_as_period_and_burst(sim: Sim) -> None:
    settings = sim.config(pair_limit="10:3")
    assert (settings["pair_period"], settings["pair_burst"]) == (10.0, 3)
    assert sim.http.post("/_sim/config", json={"no_such_setting": 1}).status_code == 400


def test_token_bucket_and_pair_limiter() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    pairs = PairLimiter(period=6.0, burst=45)
    assert all(pairs.take("a", 0.0) for _ in range(45))
    assert not pairs.take("a", 0.0) and pairs.take("b", 0.0)
    assert pairs.take("a", 6.0) and not pairs.take("a", 6.0)


# --- media -------------------------------------------------------------------------------------------


def _upload(sim: Sim, data: bytes, mime: str, name: str = "file", **form: str) -> httpx.Response:
    fields = {"messaging_product": "whatsapp", "type": mime, **form}
    return sim.graph("POST", f"{PHONE_ID}/media", files={"file": (name, data, mime)}, data=fields)


def test_media_upload_lookup_download_delete(sim: Sim) -> None:
    data = samples.pdf()
    response = _upload(sim, data, "application/pdf", "notice.pdf")
    assert response.status_code == 200, response.text
    media_id = response.json()["id"]
    info = sim.graph("GET", media_id).json()
    assert info["id"] == media_id and info["messaging_product"] == "whatsapp"
    assert (info["mime_type"], info["file_size"], info["sha256"]) == (
        "application/pdf",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert info["url"].startswith(sim.url)
    download = sim.http.get(info["url"], headers={"Authorization": f"Bearer {TOKEN}"})
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"].startswith("application/pdf")
    assert sim.http.get(info["url"]).status_code == 401
    assert sim.http.get(info["url"], headers={"Authorization": "Bearer wrong"}).status_code == 401
    # send it by id, then delete it
    sim.open_window()
    assert sim.send(message("document", {"id": media_id, "filename": "notice.pdf"})).status_code == 200
    assert sim.graph("DELETE", media_id).json() == {"success": True}
    assert graph_error(sim.graph("GET", media_id))["code"] == 100
    assert sim.http.get(info["url"], headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    assert graph_error(sim.send(message("document", {"id": media_id})))["code"] == 100


def test_media_url_expires(sim: Sim) -> None:
    media_id = _upload(sim, samples.png(), "image/png").json()["id"]
    url = sim.graph("GET", media_id).json()["url"]
    sim.http.post("/_sim/clock", json={"advance_s": 301})
    assert sim.http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 410
    fresh = sim.graph("GET", media_id).json()["url"]  # a new lookup gives a new URL
    assert sim.http.get(fresh, headers={"Authorization": f"Bearer {TOKEN}"}).content == samples.png()


def test_media_url_ttl_is_configurable(sim: Sim) -> None:
    sim.config(media_url_ttl=0)
    media_id = _upload(sim, samples.png(), "image/png").json()["id"]
    url = sim.graph("GET", media_id).json()["url"]
    assert sim.http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 410


def test_media_downloads_can_fail_or_point_elsewhere(sim: Sim) -> None:
    """For the channel's tests: a media host that fails, and a lookup URL off Meta's hosts."""
    media_id = _upload(sim, samples.png(), "image/png").json()["id"]
    sim.config(media_download_status=503)
    url = sim.graph("GET", media_id).json()["url"]
    assert sim.http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 503
    sim.config(media_download_status=None, media_url_host="https://attacker.example")
    assert sim.graph("GET", media_id).json()["url"].startswith("https://attacker.example/whatsapp_business/attachments/?mid=")
    for wrong in ({"media_download_status": 200}, {"media_url_host": "attacker.example"}):
        assert sim.http.post("/_sim/config", json=wrong).status_code == 400


@pytest.mark.parametrize(
    ("data", "mime", "form", "code"),
    [
        pytest.param(b"GIF89a", "image/gif", {}, 100, id="unsupported type"),
        pytest.param(samples.webp() + b"\0" * 600_000, "image/webp", {}, 131053, id="sticker over 500 KB"),
        pytest.param(b"", "image/png", {}, 131053, id="empty file"),
        pytest.param(samples.png(), "image/png", {"messaging_product": "sms"}, 100, id="messaging_product wrong"),
        pytest.param(samples.png(), "", {}, 100, id="type missing"),
    ],
)
def test_media_upload_checks(sim: Sim, data: bytes, mime: str, form: dict[str, str], code: int) -> None:
    assert graph_error(_upload(sim, data, mime, **form))["code"] == code


def test_sending_media_of_the_wrong_kind(sim: Sim) -> None:
    sim.open_window()
    media_id = _upload(sim, samples.pdf(), "application/pdf").json()["id"]
    assert graph_error(sim.send(message("image", {"id": media_id})))["code"] == 131009


def test_citizen_media_can_be_fetched(sim: Sim, receiver: Receiver) -> None:
    answer = sim.inbound(type="image", caption="Pothole near the school")
    image = receiver.message(answer["wamid"])["messages"][0]["image"]
    assert image["caption"] == "Pothole near the school" and image["mime_type"] == "image/jpeg"
    info = sim.graph("GET", image["id"]).json()
    content = sim.http.get(info["url"], headers={"Authorization": f"Bearer {TOKEN}"}).content
    assert content.startswith(b"\xff\xd8") and content.endswith(b"\xff\xd9")
    assert hashlib.sha256(content).hexdigest() == image["sha256"] == info["sha256"]


def test_citizen_media_can_be_given_as_bytes(sim: Sim, receiver: Receiver) -> None:
    import base64

    answer = sim.inbound(
        type="document", data_b64=base64.b64encode(b"MZ\x90\x00").decode(), mime_type="application/pdf", filename="x.pdf"
    )
    document = receiver.message(answer["wamid"])["messages"][0]["document"]
    info = sim.graph("GET", document["id"]).json()
    assert sim.http.get(info["url"], headers={"Authorization": f"Bearer {TOKEN}"}).content == b"MZ\x90\x00"


# --- webhooks ----------------------------------------------------------------------------------------


def test_webhook_signature_covers_the_exact_ascii_bytes(sim: Sim, receiver: Receiver) -> None:
    text = "ನನ್ನ ಬೀದಿ ದೀಪ ಕೆಲಸ ಮಾಡುತ್ತಿಲ್ಲ — बत्ती खराब है"
    answer = sim.inbound(type="text", text=text, name="ರಮೇಶ್")
    post = wait_until(lambda: receiver.with_id(answer["wamid"]), "the webhook")[0]
    body = post["body"]
    assert all(byte < 128 for byte in body)
    assert b"\\u0ca8" in body and b"\\u0C" not in body  # lowercase hex escapes
    assert post["headers"]["X-Hub-Signature-256"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert post["headers"]["Content-Type"] == "application/json"
    parsed = json.loads(body)
    assert parsed["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == text
    resigned = hmac.new(SECRET.encode(), json.dumps(parsed, ensure_ascii=False).encode(), hashlib.sha256).hexdigest()
    assert "sha256=" + resigned != post["headers"]["X-Hub-Signature-256"]  # re-serialising breaks it


def test_envelope_shape(sim: Sim, receiver: Receiver) -> None:
    answer = sim.inbound(type="text", text="hi", name="Asha")
    payload = json.loads(wait_until(lambda: receiver.with_id(answer["wamid"]), "the webhook")[0]["body"])
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == WABA_ID
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    assert value["contacts"] == [{"profile": {"name": "Asha"}, "wa_id": CITIZEN}]
    [msg] = value["messages"]
    assert msg["from"] == CITIZEN and msg["type"] == "text" and isinstance(msg["timestamp"], str) and msg["timestamp"].isdigit()
    assert msg["id"].startswith("wamid.HBgM")


def test_batched_inbound(sim: Sim, receiver: Receiver) -> None:
    answer = sim.http.post(
        "/_sim/inbound",
        json={
            "messages": [
                {"from": CITIZEN, "text": "one"},
                {"from": CITIZEN, "text": "two"},
                {"from": "919800000001", "text": "three"},
            ]
        },
    ).json()
    value = receiver.message(answer["wamids"][0])
    assert [m["id"] for m in value["messages"]] == answer["wamids"]
    assert [c["wa_id"] for c in value["contacts"]] == [CITIZEN, "919800000001"]


def test_webhooks_are_retried_on_failure(sim: Sim, receiver: Receiver) -> None:
    receiver.fail_next(500, 503)
    wamid = sim.inbound(type="text", text="retry me")["wamid"]
    wait_until(lambda: receiver.with_id(wamid), "a successful delivery")
    assert [p["status"] for p in receiver.with_id(wamid, accepted_only=False)] == [500, 503, 200]
    bodies = {p["body"] for p in receiver.with_id(wamid, accepted_only=False)}
    assert len(bodies) == 1  # a retry sends the same bytes
    attempts = wait_until(lambda: attempts_for(sim, wamid)[2:] and attempts_for(sim, wamid), "three logged attempts")
    assert [(d["attempt"], d["status"]) for d in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert all(d["latency_ms"] >= 0 for d in attempts)


def test_per_citizen_order_is_kept_across_retries(sim: Sim, receiver: Receiver) -> None:
    receiver.fail_next(500, 500)
    wamids = [sim.inbound(type="text", text=f"message {n}")["wamid"] for n in range(3)]
    wait_until(lambda: all(receiver.with_id(w) for w in wamids), "all three deliveries")
    arrivals = []
    for post in receiver.snapshot():
        arrivals += [(w, post["status"]) for w in wamids if w.encode() in post["body"]]
    assert arrivals == [(wamids[0], 500), (wamids[0], 500), (wamids[0], 200), (wamids[1], 200), (wamids[2], 200)]


def test_delivery_gives_up_and_the_next_message_follows(sim: Sim, receiver: Receiver) -> None:
    sim.config(retry_attempts=2)
    receiver.fail_next(500, 500)
    first = sim.inbound(type="text", text="lost")["wamid"]
    second = sim.inbound(type="text", text="kept")["wamid"]
    wait_until(lambda: receiver.with_id(second), "the second message")
    assert [p["status"] for p in receiver.with_id(first, accepted_only=False)] == [500, 500]


def test_webhook_timeouts_are_retried(sim: Sim) -> None:
    port = free_port()
    silent = socket.socket()
    silent.bind(("127.0.0.1", port))
    silent.listen(8)  # accepts connections, never answers
    try:
        sim.config(webhook_url=f"http://127.0.0.1:{port}/hook", webhook_timeout=0.2, retry_attempts=2, retry_base=0.01)
        wamid = sim.inbound(type="text", text="anyone there?")["wamid"]
        wait_until(lambda: len(attempts_for(sim, wamid)) == 2, "two attempts")
        assert [(d["status"], d["error"]) for d in attempts_for(sim, wamid)] == [(None, "timeout"), (None, "timeout")]
    finally:
        silent.close()


def test_duplicates_identical(sim: Sim, receiver: Receiver) -> None:
    sim.config(duplicate_rate=1.0, duplicate_mode="identical")
    wamid = sim.inbound(type="text", text="twice")["wamid"]
    posts = wait_until(lambda: receiver.with_id(wamid)[1:] and receiver.with_id(wamid), "a duplicate")
    assert posts[0]["body"] == posts[1]["body"]
    logged = wait_until(lambda: attempts_for(sim, wamid)[1:] and attempts_for(sim, wamid), "two logged attempts")
    assert [d["duplicate"] for d in logged] == [None, "identical"]


def test_duplicates_reserialised(sim: Sim, receiver: Receiver) -> None:
    sim.config(duplicate_rate=1.0, duplicate_mode="reserialized")
    wamid = sim.inbound(type="text", text="ಎರಡು ಸಲ")["wamid"]
    posts = wait_until(lambda: receiver.with_id(wamid)[1:] and receiver.with_id(wamid), "a duplicate")
    assert posts[0]["body"] != posts[1]["body"]  # other bytes, each validly signed (the receiver said 200)
    assert json.loads(posts[0]["body"]) == json.loads(posts[1]["body"])


def test_statuses_sent_delivered_read(sim: Sim, receiver: Receiver) -> None:
    sim.inbound(type="text", text="hello")
    response = sim.send(changed(TEXT, "biz_opaque_callback_data", "grievance:GRV-1"))
    wamid = response.json()["messages"][0]["id"]
    statuses = wait_until(lambda: receiver.statuses(wamid)[2:] and receiver.statuses(wamid), "three statuses")
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    for status in statuses:
        assert status["recipient_id"] == CITIZEN and isinstance(status["timestamp"], str)
        assert status["biz_opaque_callback_data"] == "grievance:GRV-1"
        assert status["pricing"] == {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }
    record = wait_until(lambda: [r for r in sim.sent() if len(r["statuses"]) == 3], "statuses in /_sim/sent")[0]
    assert [s["status"] for s in record["statuses"]] == ["sent", "delivered", "read"]
    assert all(s["delivered"] for s in record["statuses"])


def test_template_outside_the_window_is_billed(sim: Sim, receiver: Receiver) -> None:
    wamid = sim.send(TEMPLATE).json()["messages"][0]["id"]
    status = wait_until(lambda: receiver.statuses(wamid), "a status")[0]
    assert status["pricing"] == {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}


def test_statuses_can_be_reordered(sim: Sim, receiver: Receiver) -> None:
    sim.config(reorder=True)
    sim.open_window()
    wamid = sim.send(TEXT).json()["messages"][0]["id"]
    statuses = wait_until(lambda: receiver.statuses(wamid)[2:] and receiver.statuses(wamid), "three statuses")
    names = [s["status"] for s in statuses]
    assert sorted(names) == ["delivered", "read", "sent"] and names != ["sent", "delivered", "read"]


def test_undeliverable_recipient_gets_a_failed_status(sim: Sim, receiver: Receiver) -> None:
    sim.config(undeliverable=[CITIZEN])
    sim.open_window()
    response = sim.send(changed(TEXT, "biz_opaque_callback_data", "cb-1"))
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    [status] = wait_until(lambda: receiver.statuses(wamid), "a failed status")
    assert status["status"] == "failed" and status["biz_opaque_callback_data"] == "cb-1"
    error = status["errors"][0]
    assert error["code"] == 131026 and error["title"] and error["error_data"]["details"] and error["href"]


def test_raw_webhook_signing_modes(sim: Sim) -> None:
    payload = {"object": "whatsapp_business_account", "entry": []}
    statuses = {
        mode: sim.http.post("/_sim/webhook", json={"payload": payload, "sign": mode}).json()["status"]
        for mode in ("valid", "wrong", "missing", "malformed")
    }
    assert statuses == {"valid": 200, "wrong": 403, "missing": 401, "malformed": 403}
    assert (
        sim.http.post("/_sim/webhook", json={"raw": '{"object":"whatsapp_business_account","entry":[]}'}).json()["status"] == 200
    )


def test_hand_made_webhook_opens_the_window(sim: Sim) -> None:
    wamid = "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgUM0VCMEM3RjBBNUQwQzdGMEE1RDAA"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "A"}, "wa_id": CITIZEN}],
        "messages": [{"from": CITIZEN, "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": "hi"}}],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    assert sim.http.post("/_sim/webhook", json={"payload": payload}).json()["status"] == 200
    assert sim.send(TEXT).status_code == 200
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    assert sim.send(read).json() == {"success": True}


def test_verification_handshake(sim: Sim) -> None:
    assert sim.http.post("/_sim/verify", json={}).json()["ok"] is True
    wrong = sim.http.post("/_sim/verify", json={"verify_token": "nope"}).json()
    assert wrong["ok"] is False and wrong["status"] == 403


def test_serialisation_helpers() -> None:
    payload = {"b": "ಕ/ह", "a": [{"y": 1, "x": 2}]}
    body = serialize(payload)
    assert body == b'{"b":"\\u0c95/\\u0939","a":[{"y":1,"x":2}]}'
    assert serialize(payload, escape_slashes=True) == b'{"b":"\\u0c95\\/\\u0939","a":[{"y":1,"x":2}]}'
    assert json.loads(serialize(payload, escape_slashes=True)) == payload
    assert serialize(reordered(payload)) == b'{"a":[{"x":2,"y":1}],"b":"\\u0c95/\\u0939"}'
    assert sign(b"{}", "s") == "sha256=" + hmac.new(b"s", b"{}", hashlib.sha256).hexdigest()


# --- mark as read ------------------------------------------------------------------------------------


def test_mark_as_read_with_typing_indicator(sim: Sim) -> None:
    wamid = sim.inbound(type="text", text="hello")["wamid"]
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}}
    response = sim.send(read)
    assert response.status_code == 200 and response.json() == {"success": True}
    [entry] = sim.get("reads")
    assert entry["message_id"] == wamid and entry["typing_indicator"] is True and entry["from"] == CITIZEN


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"message_id": "wamid.unknown"}, id="unknown message"),
        pytest.param({"message_id": None}, id="message_id missing"),
        pytest.param({"status": "delivered"}, id="status other than read"),
        pytest.param({"typing_indicator": {"type": "audio"}}, id="bad typing indicator"),
        pytest.param({"messaging_product": None}, id="messaging_product missing"),
    ],
)
def test_mark_as_read_checks(sim: Sim, change: dict[str, Any]) -> None:
    wamid = sim.inbound(type="text", text="hello")["wamid"]
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid, **change}
    read = {key: value for key, value in read.items() if value is not None}
    assert graph_error(sim.send(read))["code"] == 100
    assert sim.get("reads") == []


# --- faults ------------------------------------------------------------------------------------------


def test_injected_500s(sim: Sim) -> None:
    sim.open_window()
    sim.fault(kind="http_500", count=2)
    assert graph_error(sim.send(TEXT), 500)["code"] == 131000
    assert graph_error(sim.send(TEXT), 500)["code"] == 131000
    assert sim.send(TEXT).status_code == 200
    assert len(sim.sent()) == 1
    assert [e["status"] for e in sim.get("errors")] == [500, 500]


def test_injected_unknown_error_and_error_code(sim: Sim) -> None:
    sim.open_window()
    sim.fault(kind="http_500", count=1, code=1, status=503)
    error = graph_error(sim.send(TEXT), 503)
    assert error["code"] == 1 and error["message"] == "An unknown error occurred"
    sim.fault(kind="error_code", count=1, code=131056)
    assert graph_error(sim.send(TEXT))["code"] == 131056
    sim.fault(kind="error_code", count=1, code=190)
    assert graph_error(sim.send(TEXT), 401)["code"] == 190
    assert sim.send(TEXT).status_code == 200


def test_injected_timeout(sim: Sim) -> None:
    sim.open_window()
    sim.fault(kind="timeout", count=1, delay_ms=3000)
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            f"{sim.url}/{VERSION}/{PHONE_ID}/messages", json=TEXT, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.5
        )
    assert sim.send(TEXT).status_code == 200  # the fault was used up
    assert len(sim.sent()) == 1


def test_injected_timeout_after_delivery(sim: Sim) -> None:
    sim.open_window()
    sim.fault(kind="timeout", count=1, delay_ms=3000, deliver=True)
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            f"{sim.url}/{VERSION}/{PHONE_ID}/messages", json=TEXT, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=0.5
        )
    wait_until(lambda: sim.sent(), "the message Meta kept although the client gave up")


def test_injected_slow_response(sim: Sim) -> None:
    sim.open_window()
    sim.fault(kind="slow", count=1, delay_ms=100)
    assert sim.send(TEXT).status_code == 200
    assert sim.get("faults") == []


def test_fault_requests_are_checked(sim: Sim) -> None:
    assert sim.http.post("/_sim/faults", json={"kind": "meteor"}).status_code == 400
    assert sim.http.post("/_sim/faults", json={"kind": "error_code"}).status_code == 400


# --- inbound messages of every type ------------------------------------------------------------------


def _interactive_sent(sim: Sim) -> str:
    sim.open_window()
    return sim.send(BUTTONS).json()["messages"][0]["id"]


INBOUND: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], None]]] = [
    ("text", {"type": "text", "text": "ನಮಸ್ಕಾರ"}, lambda m: m["text"] == {"body": "ನಮಸ್ಕಾರ"}),
    (
        "button_reply",
        {"type": "button_reply", "id": "/choice_1", "title": "Yes"},
        lambda m: (
            m["interactive"] == {"type": "button_reply", "button_reply": {"id": "/choice_1", "title": "Yes"}}
            and m["context"]["id"]
        ),
    ),
    (
        "list_reply",
        {"type": "list_reply", "list_reply": {"id": "water_new", "title": "New connection", "description": "Apply"}},
        lambda m: m["interactive"]["list_reply"] == {"id": "water_new", "title": "New connection", "description": "Apply"},
    ),
    (
        "nfm_reply",
        {"type": "nfm_reply", "flow_token": "tok-1", "response": {"ward": "12"}},
        lambda m: (
            m["interactive"]["type"] == "nfm_reply"
            and json.loads(m["interactive"]["nfm_reply"]["response_json"]) == {"ward": "12", "flow_token": "tok-1"}
        ),
    ),
    (
        "template quick reply",
        {"type": "button", "payload": "/continue", "text": "Continue", "context": "wamid.HBgMtemplate"},
        lambda m: m["button"] == {"payload": "/continue", "text": "Continue"} and m["context"]["id"] == "wamid.HBgMtemplate",
    ),
    (
        "image",
        {"type": "image", "caption": "Garbage"},
        lambda m: (
            m["image"]["caption"] == "Garbage" and m["image"]["mime_type"] == "image/jpeg" and len(m["image"]["sha256"]) == 64
        ),
    ),
    ("video", {"type": "video"}, lambda m: m["video"]["mime_type"] == "video/mp4" and "caption" not in m["video"]),
    (
        "voice note",
        {"type": "audio", "voice": True},
        lambda m: m["audio"]["voice"] is True and m["audio"]["mime_type"] == "audio/ogg; codecs=opus",
    ),
    ("audio file", {"type": "audio"}, lambda m: m["audio"]["voice"] is False),
    (
        "document",
        {"type": "document", "caption": "Tax receipt", "filename": "receipt.pdf"},
        lambda m: m["document"]["filename"] == "receipt.pdf" and m["document"]["caption"] == "Tax receipt",
    ),
    ("sticker", {"type": "sticker"}, lambda m: m["sticker"]["mime_type"] == "image/webp" and m["sticker"]["animated"] is False),
    (
        "location",
        {"type": "location", "latitude": 12.97, "longitude": 77.59, "name": "Ward 12 office"},
        lambda m: m["location"] == {"latitude": 12.97, "longitude": 77.59, "name": "Ward 12 office"},
    ),
    (
        "contacts",
        {"type": "contacts"},
        lambda m: m["contacts"][0]["name"]["formatted_name"] and m["contacts"][0]["phones"][0]["wa_id"],
    ),
    (
        "reaction",
        {"type": "reaction", "message_id": "wamid.HBgMbiz", "emoji": "❤️"},
        lambda m: m["reaction"] == {"message_id": "wamid.HBgMbiz", "emoji": "❤️"},
    ),
    (
        "reaction removed",
        {"type": "reaction", "message_id": "wamid.HBgMbiz", "emoji": ""},
        lambda m: m["reaction"]["emoji"] == "",
    ),
    (
        "edit",
        {"type": "edit", "message_id": "wamid.HBgMold", "text": "fixed typo"},
        lambda m: (
            m["edit"] == {"original_message_id": "wamid.HBgMold", "message": {"type": "text", "text": {"body": "fixed typo"}}}
        ),
    ),
    (
        "revoke",
        {"type": "revoke", "message_id": "wamid.HBgMold"},
        lambda m: m["revoke"] == {"original_message_id": "wamid.HBgMold"},
    ),
    (
        "system",
        {"type": "system", "new_wa_id": "919000000009"},
        lambda m: m["system"]["type"] == "user_changed_number" and m["system"]["wa_id"] == "919000000009",
    ),
    ("unsupported", {"type": "unsupported"}, lambda m: m["errors"][0]["code"] == 131051 and m["unsupported"]["type"]),
    ("order", {"type": "order"}, lambda m: m["order"]["product_items"][0]["currency"] == "INR"),
    (
        "referral",
        {"type": "referral", "text": "Hi from the ad"},
        lambda m: m["text"]["body"] == "Hi from the ad" and m["referral"]["source_type"] == "ad",
    ),
    ("forwarded", {"type": "text", "text": "fwd", "forwarded": True}, lambda m: m["context"] == {"forwarded": True}),
]


@pytest.mark.parametrize(("spec", "check"), [pytest.param(s, c, id=name) for name, s, c in INBOUND])
def test_inbound_message_types(
    sim: Sim, receiver: Receiver, spec: dict[str, Any], check: Callable[[dict[str, Any]], Any]
) -> None:
    if spec["type"] in ("button_reply",):
        _interactive_sent(sim)
    answer = sim.inbound(**spec)
    value = receiver.message(answer["wamid"])
    [msg] = value["messages"]
    wire_type = {"button_reply": "interactive", "list_reply": "interactive", "nfm_reply": "interactive", "referral": "text"}.get(
        spec["type"], spec["type"]
    )
    assert msg["type"] == wire_type
    assert msg["id"] == answer["wamid"] and msg["from"] == CITIZEN
    assert isinstance(msg["timestamp"], str)
    assert check(msg), msg
    assert ("contacts" in value) is (spec["type"] != "system")


def test_button_reply_context_points_at_the_interactive_message(sim: Sim, receiver: Receiver) -> None:
    interactive_wamid = _interactive_sent(sim)
    answer = sim.inbound(type="button_reply", id="/choice_2", title="No")
    [msg] = receiver.message(answer["wamid"])["messages"]
    assert msg["context"]["id"] == interactive_wamid


def test_bsuid_only_sender(sim: Sim, receiver: Receiver) -> None:
    answer = sim.inbound(**{"from": None, "bsuid": "US.1234567890", "type": "text", "text": "hello"})
    value = receiver.message(answer["wamid"])
    [msg] = value["messages"]
    assert "from" not in msg and msg["from_user_id"] == "US.1234567890"
    assert value["contacts"] == [{"profile": {"name": "Citizen 7890"}, "user_id": "US.1234567890"}]
    # the business can answer with "recipient" inside the window the message opened
    payload = changed(changed(TEXT, "to", DELETE), "recipient", "US.1234567890")
    response = sim.send(payload)
    assert response.status_code == 200, response.text
    assert response.json()["contacts"] == [{"input": "US.1234567890", "user_id": "US.1234567890"}]
    wamid = response.json()["messages"][0]["id"]
    status = wait_until(lambda: receiver.statuses(wamid), "a status")[0]
    assert status["recipient_user_id"] == "US.1234567890" and "recipient_id" not in status


def test_inbound_spec_errors(sim: Sim) -> None:
    assert sim.http.post("/_sim/inbound", json={"type": "text", "text": "no sender"}).status_code == 400
    assert sim.http.post("/_sim/inbound", json={"from": CITIZEN, "type": "hologram"}).status_code == 400
    assert sim.http.post("/_sim/inbound", json={"from": CITIZEN, "type": "button_reply"}).status_code == 400


# --- sample files ------------------------------------------------------------------------------------


def test_sample_files_are_well_formed() -> None:
    png = samples.png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position = 8
    while position < len(png):  # every chunk's CRC is right
        (length,) = struct.unpack(">I", png[position : position + 4])
        tag_and_data = png[position + 4 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert zlib.crc32(tag_and_data) & 0xFFFFFFFF == crc
        position += 12 + length
    jpeg = samples.jpeg()
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9" and b"JFIF" in jpeg
    pdf = samples.pdf()
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf.startswith(b"%PDF-1.4") and pdf[startxref:].startswith(b"xref") and pdf.rstrip().endswith(b"%%EOF")
    ogg = samples.ogg_opus()
    assert ogg.startswith(b"OggS") and b"OpusHead" in ogg and b"OpusTags" in ogg
    assert samples.mp4()[4:8] == b"ftyp"
    webp = samples.webp()
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP" and struct.unpack("<I", webp[4:8])[0] == len(webp) - 8


# --- webhooks at volume ---------------------------------------------------------------------------------


def test_thousands_of_webhooks_go_through_a_bounded_pool_in_order_per_citizen() -> None:
    """A 601-citizen broadcast brings some 3,600 status webhooks. They go at most `concurrency` at
    a time, each citizen's strictly in order, all of them, even to a receiver slower than they come;
    and a message a citizen writes meanwhile goes before the backlog."""
    import asyncio

    from simulator.config import SimConfig
    from simulator.state import SimState
    from simulator.templates import TemplateRegistry
    from simulator.webhooks import WebhookEmitter

    lock = threading.Lock()
    active, peak, seen, arrivals = [0], [0], {}, []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.002)  # a receiver that takes its time: the backlog must wait, not pile up
            with lock:
                active[0] -= 1
                seen.setdefault(body["key"], []).append(body["n"])
                arrivals.append(body["key"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 64  # the listen backlog: room for every connection the pool may open
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = SimConfig(settings=Settings(webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook", status_delay=0.0))
    state = SimState(config, TemplateRegistry.load(str(ROOT / "config" / "templates.yml")))

    async def run() -> int:
        emitter = WebhookEmitter(state, concurrency=8)
        await emitter.start()
        for n in range(6):
            for citizen in range(600):
                emitter.enqueue(f"c{citizen}", lambda c=citizen, n=n: {"key": f"c{c}", "n": n}, kind="status")
        emitter.enqueue("citizen", lambda: {"key": "citizen", "n": 0}, kind="message")  # a citizen writes meanwhile
        backlog = emitter.pending()
        while emitter.pending():
            await asyncio.sleep(0.05)
        await emitter.stop()
        return backlog

    try:
        assert asyncio.run(run()) == 3601
    finally:
        server.shutdown()
    assert 1 <= peak[0] <= 8  # never more posts in flight than the pool
    assert len(seen) == 601 and all(order == list(range(6)) for key, order in seen.items() if key != "citizen")
    assert arrivals.index("citizen") < 16  # the message did not wait behind the statuses


# --- chat ----------------------------------------------------------------------------------------------


def test_chat_sends_text_and_taps_choices(sim: Sim, capsys: pytest.CaptureFixture[str]) -> None:
    chat = Chat(sim.url, CITIZEN, "Lakshmi", poll=0.05)
    assert chat.command("ನಮಸ್ಕಾರ") is True
    sim.send(changed(LIST, "interactive.body.text", "ಯಾವ ಸೇವೆ ಬೇಕು?"))
    records = chat.poll_once()
    assert len(records) == 1
    printed = capsys.readouterr().out
    assert "ಯಾವ ಸೇವೆ ಬೇಕು?" in printed and "[2] Report a pothole" in printed
    assert chat.command("2") is True
    last = sim.get("inbound")[-1]["message"]
    assert last["interactive"]["list_reply"]["id"] == "pothole"
    assert last["context"]["id"] == records[0]["wamid"]
    chat.command("/location 12.9 77.6")
    chat.command("/photo broken pipe")
    chat.command("/voice")
    kinds = [entry["type"] for entry in sim.get("inbound")]
    assert kinds == ["text", "interactive", "location", "image", "audio"]
    assert chat.command("/quit") is False


def test_chat_numbers_every_list_of_one_reply_and_taps_either(sim: Sim, capsys: pytest.CaptureFixture[str]) -> None:
    """A ward list of 12 comes as two list messages: both are numbered on, and either can be tapped."""
    chat = Chat(sim.url, CITIZEN, None, poll=0.05)
    chat.command("i want updates")
    more = [{"title": "More", "rows": [{"id": "jayanagar", "title": "Jayanagar"}]}]
    second = changed(LIST, "interactive.action.sections", more)
    sim.send(LIST)
    sim.send(second)
    first_record, second_record = chat.poll_once()
    printed = capsys.readouterr().out
    assert "[2] Report a pothole" in printed and "[3] Jayanagar" in printed
    assert chat.command("3") is True  # a row of the second list
    tapped = sim.get("inbound")[-1]["message"]
    assert tapped["interactive"]["list_reply"]["id"] == "jayanagar" and tapped["context"]["id"] == second_record["wamid"]
    assert chat.command("1") is True  # the first list is still open
    assert sim.get("inbound")[-1]["message"]["context"]["id"] == first_record["wamid"]
    sim.send(changed(LIST, "interactive.body.text", "Anything else?"))  # a new reply numbers from 1 again
    chat.poll_once()
    assert "[1] New connection" in capsys.readouterr().out


def test_chat_renders_templates_with_quick_replies(sim: Sim) -> None:
    sim.send(message("template", {"name": "conversation_reopen", "language": {"code": "hi"}}))
    [record] = sim.sent()
    lines = render(record)
    assert lines[0] == "नगर निगम के साथ अपनी बातचीत जारी रखने के लिए उत्तर दें।"
    assert lines[1] == "  [1] जारी रखें"


# --- configuration and independence --------------------------------------------------------------------


def test_settings_reject_bad_values() -> None:
    settings = Settings()
    for bad in ({"duplicate_rate": 2}, {"window_error": "later"}, {"throughput": 0}, {"unknown": 1}, {"auto_read": "yes"}):
        with pytest.raises(ValueError):
            settings.update(bad)
    assert settings == Settings()  # nothing half-applied


def test_the_simulator_shares_no_code_with_the_connector() -> None:
    forbidden = ("whatsapp", "channels", "actions", "nagarik")
    for path in (ROOT / "simulator").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.split(".")[0] in forbidden], (path.name, names)
