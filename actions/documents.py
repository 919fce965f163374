"""PDFs in the chat: a service's application form, and a copy of an issued certificate.

The certificate is sent only after the same privacy check as a status lookup (the status form
runs first, with `status_purpose` = certificate); nagarik.citizens.documents makes the PDFs and
nagarik.citizens.document_upload hands them to WhatsApp's media store.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_key, in_language, load_catalog, reply_language, response_text, row, sender
from nagarik import db
from nagarik.citizens import applications, documents
from nagarik.citizens.document_upload import UploadError, document_message, upload_pdf
from whatsapp.payloads import intent_payload

log = logging.getLogger(__name__)
CERTIFICATE = "certificate"


async def send_pdf(dispatcher: CollectingDispatcher, data: bytes, filename: str, caption: str) -> bool:
    """Uploads the PDF and queues it as a document message with its caption; False if it failed."""
    try:
        media_id = await upload_pdf(data, filename)
    except (UploadError, OSError, ValueError) as exc:  # Meta unreachable, settings missing, file refused
        log.warning("could not upload %s: %s", filename, exc)
        dispatcher.utter_message(response="utter_document_failed")
        return False
    dispatcher.utter_message(json_message={"whatsapp": document_message(media_id, filename, caption)})
    return True


def fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


class ActionSendForm(Action):
    def name(self) -> str:
        return "action_send_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        key = entity_key(tracker, "service", catalog.services)
        if key is None:
            rows = [row(in_language(s.names, language), intent_payload("request_form", service=s.key)) for s in catalog.services]
            dispatcher.utter_message(response="utter_ask_form_service", buttons=rows)
            return []
        service = catalog.service(key)
        caption = fill(response_text(domain, "utter_form_sent", language), service=in_language(service.names, language))
        await send_pdf(dispatcher, documents.form_pdf(catalog, key), documents.form_filename(key), caption)
        return [SlotSet("service", key)]


class ActionWantCertificate(Action):
    """Marks the coming status check as a certificate request (the form then asks what it needs)."""

    def name(self) -> str:
        return "action_want_certificate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet("status_purpose", CERTIFICATE)]


async def send_certificate(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], number: str) -> None:
    """After a verified status check: the certificate's copy if it is issued, else where it stands."""
    catalog = load_catalog()
    language = reply_language(tracker)
    with db.session_scope() as session:
        application = applications.find(session, number)
        service = catalog.service(application.service_key)
        try:
            certificate, data = documents.issue_certificate(session, number, sender(tracker))
        except documents.NotIssuedError as exc:
            stage = in_language(catalog.stage(exc.stage).names, language)
            dispatcher.utter_message(response="utter_certificate_not_ready", number=number, stage=stage)
            return
    caption = fill(
        response_text(domain, "utter_certificate_sent", language),
        service=in_language(service.names, language),
        number=number,
        code=certificate.code,
        verify_url=documents.verify_link(certificate.code),
    )
    await send_pdf(dispatcher, data, documents.certificate_filename(number), caption)
