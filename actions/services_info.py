"""Answers about services (documents, fees, steps, where, time), office hours and holidays.

Everything factual comes from the catalog in the database; the wording from the domain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    bullets,
    date_text,
    in_language,
    latest_entities,
    latest_intent,
    latest_text,
    load_catalog,
    numbered,
    reply_language,
    resolve,
    response_text,
    row,
)
from nagarik.catalog import named_days
from nagarik.catalog.office_hours import closure_reason, holiday_on, local_now, upcoming_holidays
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog, Service
from nagarik.shared.text import named_in_text
from whatsapp import limits
from whatsapp.payloads import intent_payload

ASPECT_BY_INTENT = {
    "ask_service": "overview",
    "ask_documents": "documents",
    "ask_fee": "fee",
    "ask_deadline": "deadline",
    "ask_processing_time": "processing_time",
    "ask_where_to_apply": "where",
}
MORE = "_more"  # list-row value: the next page of services
OTHER = "_other"  # list-row value: a service the catalog does not have


def requested_service(tracker: Tracker, catalog: Catalog) -> str | None:
    """The service this message is about: a named one, else the one under discussion."""
    for value in latest_entities(tracker, "service"):
        if value.startswith((MORE, OTHER)):
            return value
        key = resolve(catalog.services, value)
        if key:
            return key
    text = latest_text(tracker)
    if not text.startswith("/"):
        key = named_in_text(text, catalog.services)
        if key:
            return key
    if latest_intent(tracker) == "inform":
        return None  # a bare answer that names no known service must not fall back to the old one
    return tracker.get_slot("service")


def service_rows(catalog: Catalog, language: str, intent: str, offset: int, domain: dict[str, Any]) -> list[dict[str, str]]:
    """One list page of services; the last row leads to the next page or to "other service"."""
    services = catalog.services[offset:]
    if len(services) > limits.LIST_ROWS - 1:
        page = services[: limits.LIST_ROWS - 1]
        tail = row(
            response_text(domain, "utter_service_more", language), intent_payload(intent, service=f"{MORE}{offset + len(page)}")
        )
    else:
        page = services
        tail = row(response_text(domain, "utter_service_other", language), intent_payload("inform", service=OTHER))
    rows = [row(in_language(s.names, language), intent_payload(intent, service=s.key)) for s in page]
    return [*rows, tail]


def render_aspect(dispatcher: CollectingDispatcher, service: Service, aspect: str, language: str, catalog: Catalog) -> None:
    name = in_language(service.names, language)
    if aspect == "documents":
        dispatcher.utter_message(
            response="utter_service_documents", service_name=name, documents=bullets(in_language(service.documents, language))
        )
    elif aspect == "fee":
        dispatcher.utter_message(response="utter_service_fee", service_name=name, fee=in_language(service.fee, language))
    elif aspect == "deadline":
        if service.deadline:
            dispatcher.utter_message(
                response="utter_service_deadline", service_name=name, deadline=in_language(service.deadline, language)
            )
        else:
            dispatcher.utter_message(response="utter_service_no_deadline", service_name=name)
    elif aspect == "processing_time":
        dispatcher.utter_message(
            response="utter_service_processing_time",
            service_name=name,
            processing_time=in_language(service.processing_time, language),
        )
    elif aspect == "where":
        office = catalog.office
        dispatcher.utter_message(
            response="utter_service_where",
            service_name=name,
            where=in_language(service.where, language),
            office_name=in_language(office.name, language),
            office_address=in_language(office.address, language),
            office_hours=in_language(office.hours, language),
        )
    else:
        dispatcher.utter_message(
            response="utter_service_overview",
            service_name=name,
            steps=numbered(in_language(service.steps, language)),
            fee=in_language(service.fee, language),
            processing_time=in_language(service.processing_time, language),
        )
    dispatcher.utter_message(response="utter_service_followup", service_name=name)


class ActionServiceInfo(Action):
    def name(self) -> str:
        return "action_service_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        intent = latest_intent(tracker)
        aspect = ASPECT_BY_INTENT.get(intent or "") or tracker.get_slot("service_aspect") or "overview"
        ask_intent = next((i for i, a in ASPECT_BY_INTENT.items() if a == aspect), "ask_service")
        key = requested_service(tracker, catalog)

        if key == OTHER or (key is None and intent == "inform" and tracker.get_slot("service_aspect")):
            # Answering "which service?" with one the catalog does not have: say so, offer a way on.
            dispatcher.utter_message(response="utter_service_unknown", office_phone=catalog.office.phone)
            return [SlotSet("service", None), SlotSet("service_aspect", None)]
        if key is None and intent == "inform":
            dispatcher.utter_message(response="utter_default")  # a bare answer to no question
            return []
        if key is None or key.startswith(MORE):
            offset = int(key[len(MORE) :] or 0) if key else 0
            dispatcher.utter_message(
                response="utter_ask_which_service", buttons=service_rows(catalog, language, ask_intent, offset, domain)
            )
            return [SlotSet("service", None), SlotSet("service_aspect", aspect)]

        service = catalog.service(key)
        assert service is not None  # resolve() only returns catalog keys
        render_aspect(dispatcher, service, aspect, language, catalog)
        return [SlotSet("service", key), SlotSet("service_aspect", None)]


def closure_label(domain: dict[str, Any], catalog: Catalog, day: dt.date, reason: str, language: str) -> str:
    holiday = holiday_on(catalog, day)
    return in_language(holiday, language) if holiday else response_text(domain, f"utter_closed_{reason}", language)


def today_status_text(domain: dict[str, Any], catalog: Catalog, today: dt.date, language: str) -> str:
    reason = closure_reason(catalog, today)
    if reason is None:
        return response_text(domain, "utter_office_open_today", language)
    label = closure_label(domain, catalog, today, reason, language)
    return response_text(domain, "utter_office_closed_today", language).replace("{reason}", label)


def day_status(domain: dict[str, Any], catalog: Catalog, day: dt.date, language: str) -> str:
    """Whether the office opens on a day the citizen named, and why not."""
    name = named_days.day_label(day, language)
    reason = closure_reason(catalog, day)
    if reason is None:
        return response_text(domain, "utter_office_open_on", language).replace("{day}", name)
    label = closure_label(domain, catalog, day, reason, language)
    return response_text(domain, "utter_office_closed_on", language).replace("{day}", name).replace("{reason}", label)


def office_hours_reply(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], catalog: Catalog, language: str, days: list[dt.date], today: dt.date
) -> None:
    """The office's address and hours, with whether it opens today, or on the days asked about."""
    if days and days != [today]:
        # "Open on Saturday?": that day's answer, not today's.
        status = "\n".join(day_status(domain, catalog, day, language) for day in days)
    else:
        status = today_status_text(domain, catalog, today, language)
    office = catalog.office
    dispatcher.utter_message(
        response="utter_office_hours",
        office_name=in_language(office.name, language),
        office_address=in_language(office.address, language),
        office_hours=in_language(office.hours, language),
        office_phone=office.phone,
        today_status=status,
    )


class ActionOfficeHours(Action):
    def name(self) -> str:
        return "action_office_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        today = local_now(catalog, clock.utcnow()).date()
        days = named_days.days_named(catalog, latest_text(tracker), today)
        office_hours_reply(dispatcher, domain, catalog, reply_language(tracker), days, today)
        return []


class ActionHolidays(Action):
    def name(self) -> str:
        return "action_holidays"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        catalog = load_catalog()
        language = reply_language(tracker)
        today = local_now(catalog, clock.utcnow()).date()
        days = named_days.days_named(catalog, latest_text(tracker), today)
        if days:  # "is the office closed on Monday?", "ನಾಳೆ ರಜೆನಾ?": that day, not the list
            office_hours_reply(dispatcher, domain, catalog, language, days, today)
            return []
        holidays = upcoming_holidays(catalog, today, within_days=90)
        if not holidays:
            dispatcher.utter_message(response="utter_no_holidays")
            return []
        lines = [f"{date_text(day)}: {in_language(name, language)}" for day, name in holidays]
        dispatcher.utter_message(response="utter_holidays", holidays=bullets(lines))
        return []
