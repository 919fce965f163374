"""Citizens WhatsApp knows only by a business-scoped user id (BSUID, no phone number) get their
broadcast copies and notifications addressed by it (`recipient`, not `to`), the way the channel
answers them; a phone number's copies are addressed as before. Each send goes through the real
Graph client to a stand-in for Meta that checks it as the simulator does."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from harness.servers import SIMULATOR_SETTINGS
from nagarik import db
from nagarik.citizens import grievances
from nagarik.db import models
from nagarik.outbound import broadcasts, notifications
from nagarik.outbound.sender import Sender
from simulator.errors import GraphError
from simulator.media import MediaStore
from simulator.templates import TemplateRegistry
from simulator.validation import validate_send
from tests.unit.broadcast_helpers import announce, citizen
from whatsapp import messages
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.cloud.store import Store
from whatsapp.inbound import parse_body

ROOT = Path(__file__).resolve().parents[2]
[INBOUND] = parse_body(
    (ROOT / "tests" / "fixtures" / "whatsapp" / "bsuid_only_sender.json").read_bytes(),
    phone_number_id=SIMULATOR_SETTINGS["WHATSAPP_PHONE_NUMBER_ID"],  # the fixtures' number
).messages
BSUID = INBOUND.sender  # how the channel names this citizen to the assistant, and so to the civic database
PHONE = "919811300001"


class Meta:
    """The Graph API's messages endpoint: checks each send as the simulator does, and keeps it."""

    def __init__(self) -> None:
        self.templates = TemplateRegistry.load(ROOT / "config" / "templates.yml")
        self.accepted: dict[str, dict] = {}  # recipient (wa_id or BSUID) -> the request

    def handle(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.read())
        try:
            accepted = validate_send(payload, templates=self.templates, media=MediaStore())
        except GraphError as error:
            return httpx.Response(error.http_status, json=error.body())
        self.accepted[accepted.key] = payload
        return httpx.Response(200, json={"messaging_product": "whatsapp", "contacts": [accepted.contact],
                                         "messages": [{"id": f"wamid.{len(self.accepted)}"}]})  # fmt: skip


@pytest.fixture
def meta() -> Meta:
    return Meta()


@pytest.fixture
def sender(database, tmp_path, meta):
    settings = WhatsAppSettings(
        "token", "secret", "verify", "100200300400500", "http://graph.invalid/v21.0", f"sqlite:///{tmp_path / 'wa.db'}",
        tmp_path, None, 5.0, 2,
    )  # fmt: skip
    graph = GraphClient(settings, max_attempts=1, transport=httpx.MockTransport(meta.handle))
    return Sender(graph, Store(settings.store_url), settings, messages_per_second=50, tier=10)


def states(broadcast_id: int) -> dict[str, str]:
    with db.session_scope() as session:
        row = models.BroadcastRecipient
        return dict(session.execute(select(row.phone, row.state).where(row.broadcast_id == broadcast_id)).all())


def test_the_fixture_is_a_citizen_known_only_by_a_bsuid():
    assert INBOUND.sender_is_user_id and messages.is_user_id(BSUID) and not messages.is_user_id(PHONE)


def test_a_bsuid_citizens_broadcast_copy_is_addressed_by_recipient_and_a_phones_by_to(sender, meta):
    citizen(BSUID)
    citizen(PHONE)
    broadcast_id, ids = announce()
    asyncio.run(sender.send_many(ids))
    assert states(broadcast_id) == {BSUID: "sent", PHONE: "sent"}
    assert meta.accepted[BSUID]["recipient"] == BSUID and "to" not in meta.accepted[BSUID]
    assert meta.accepted[PHONE]["to"] == PHONE and "recipient" not in meta.accepted[PHONE]


def test_a_bsuid_filers_grievance_notification_is_addressed_by_recipient(sender, meta, catalog):
    ids = []
    with db.session_scope() as session:
        for filer in (BSUID, PHONE):
            filing = grievances.file_grievance(session, catalog, phone=filer, category="streetlight",
                                               description="Light off for a week", location=f"5th cross {filer[-4:]}",
                                               language="en")  # fmt: skip
            broadcast = notifications.grievance_moved(session, filing.grievance.tracking_id, "acknowledged", by="bescom-desk")
            broadcasts.materialize(session, broadcast)
            ids += broadcasts.unfinished(session, broadcast.id, with_queued=True)
    asyncio.run(sender.send_many(ids))
    assert meta.accepted[BSUID]["recipient"] == BSUID and "to" not in meta.accepted[BSUID]
    assert meta.accepted[BSUID]["template"]["name"] == "grievance_update"  # outside the window: the template
    assert meta.accepted[PHONE]["to"] == PHONE and "recipient" not in meta.accepted[PHONE]


def test_the_workers_address_a_citizen_as_the_channel_answers_them():
    body = messages.text("Water off Friday")
    channel = messages.addressed(INBOUND.sender, body, by_user_id=INBOUND.sender_is_user_id)  # the channel knows
    wire = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    assert messages.addressed(BSUID, body) == channel == {**wire, **body, "recipient": BSUID}
    assert messages.addressed(PHONE, body) == {**wire, **body, "to": PHONE}
