"""Forms as PDFs and certificate copies only for their verified owner."""

from __future__ import annotations

import pytest
from helpers import OTHER_SENDER, responses, slot_events
from helpers import run_action as run

import actions.documents
from actions.application_status import ActionApplicationStatus
from actions.documents import ActionSendForm
from nagarik import db
from nagarik.db import models


@pytest.fixture
def uploads(monkeypatch):
    """What would have gone to WhatsApp's media store (the real upload is tested against the simulator)."""
    sent: list[tuple[bytes, str]] = []

    async def fake_upload(data: bytes, filename: str) -> str:
        sent.append((data, filename))
        return f"media-{len(sent)}"

    monkeypatch.setattr(actions.documents, "upload_pdf", fake_upload)
    return sent


def test_a_form_is_sent_as_a_pdf_with_a_caption_in_the_citizen_language(database, domain, uploads):
    dispatcher, _ = run(
        ActionSendForm(),
        domain,
        text="trade licence form",
        intent="request_form",
        entities=[("service", "trade licence")],
        slots={"language": "hi"},
    )
    (message,) = dispatcher.messages
    document = message["custom"]["whatsapp"]["document"]
    assert document["id"] == "media-1" and document["filename"] == "trade_licence_application_form.pdf"
    assert any("\u0900" <= ch <= "\u097f" for ch in document["caption"])
    assert uploads[0][0].startswith(b"%PDF")


def test_without_a_service_the_form_list_is_offered(database, domain, uploads):
    dispatcher, _ = run(ActionSendForm(), domain, text="send the form", intent="request_form")
    assert responses(dispatcher) == ["utter_ask_form_service"] and uploads == []
    assert dispatcher.messages[0]["buttons"][0]["payload"].startswith('/request_form{"service":')


def certificate_tracker_slots(number: str, outcome: str = "verified") -> dict:
    return {"application_number": number, "status_outcome": outcome, "status_purpose": "certificate"}


def test_a_verified_owner_of_an_issued_application_gets_the_certificate(database, domain, uploads):
    dispatcher, events = run(
        ActionApplicationStatus(), domain, sender="919900112233", slots=certificate_tracker_slots("WC-2026-000318")
    )
    (message,) = dispatcher.messages
    caption = message["custom"]["whatsapp"]["document"]["caption"]
    with db.session_scope() as session:
        (certificate,) = session.query(models.Certificate).all()
    assert certificate.code in caption and certificate.phone == "919900112233"
    assert slot_events(events)["status_purpose"] is None


def test_no_certificate_without_verification_or_before_it_is_issued(database, domain, uploads):
    refused, _ = run(
        ActionApplicationStatus(), domain, sender=OTHER_SENDER, slots=certificate_tracker_slots("WC-2026-000318", "not_verified")
    )
    assert responses(refused) == ["utter_status_not_verified"]
    not_yet, _ = run(ActionApplicationStatus(), domain, slots=certificate_tracker_slots("BC-2026-001234"))
    assert responses(not_yet) == ["utter_certificate_not_ready"]
    assert uploads == []
    with db.session_scope() as session:
        assert session.query(models.Certificate).count() == 0
