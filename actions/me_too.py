""" "Me too" in the chat: before a complaint is filed, another citizen's open grievance of the same
category at the same place is offered to join (Yes / No, file a new one). Yes joins it (the citizen
is told they will get its updates); No files the complaint as usual.

action_submit_grievance asks `offer` first; the answer comes right after it (data/rules/me_too.yml),
and the actions check that too, so a yes or no much later (or a forged /affirm) joins nothing. The
matching and joining live in nagarik.citizens.me_too.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import date_text, in_language, reply_language, response_text, sender
from actions.grievances import GRIEVANCE_SLOTS, ActionSubmitGrievance
from nagarik import db
from nagarik.citizens import grievances, me_too
from nagarik.shared.catalog import Catalog
from whatsapp.messages import cut

OFFER_SLOT = "me_too_grievance_id"  # the grievance offered, until the citizen answers
SUBMIT = "action_submit_grievance"


def offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], catalog: Catalog, language: str
) -> list[EventType] | None:
    """Offer to join a matching open grievance instead of filing; None when there is none (file)."""
    latitude, longitude = tracker.get_slot("grievance_latitude"), tracker.get_slot("grievance_longitude")
    location = tracker.get_slot("grievance_location") or ""
    category_key = tracker.get_slot("grievance_category") or ""
    with db.session_scope() as session:
        found = me_too.matching_open_grievance(
            session,
            catalog,
            category=category_key,
            ward_key=me_too.ward_of(catalog, latitude, longitude, location),
            latitude=latitude,
            longitude=longitude,
            location_text=location,
            exclude_phone=sender(tracker),
        )
        if found is None:
            return None
        count = me_too.reporter_count(found)
        tracking_id, place, ward_key = found.tracking_id, found.location_text, found.ward_key
    category = catalog.category(category_key)
    ward = catalog.ward(ward_key) if ward_key else None
    if place.startswith("📍") and ward is not None:  # a bare pin says nothing to a citizen: its ward does
        place = in_language(ward.names, language)
    people = response_text(domain, "utter_me_too_one_person" if count == 1 else "utter_me_too_people", language)
    dispatcher.utter_message(
        response="utter_me_too_offer",
        tracking_id=tracking_id,
        category=in_language(category.names, language) if category else category_key,
        place=cut(place, 120),
        reporters=people.replace("{count}", str(count)),
    )
    # The answers are kept for "No, file a new one"; the summary is confirmed again if the citizen
    # goes elsewhere and comes back to the form later.
    return [SlotSet(OFFER_SLOT, tracking_id), SlotSet("grievance_confirmed", None)]


def pending(tracker: Tracker) -> str | None:
    """The grievance offered, if the latest message answers the offer made just before it."""
    offered = tracker.get_slot(OFFER_SLOT)
    events = tracker.events
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=None)
    if not offered or last_user is None:
        return None
    before = [e.get("name") for e in events[:last_user] if e.get("event") == "action" and e.get("name") != "action_listen"]
    return offered if before and before[-1] == SUBMIT else None


class ActionFileNewGrievance(ActionSubmitGrievance):
    """ "No, file a new one": files the complaint as action_submit_grievance does, without the offer."""

    offers_me_too = False

    def name(self) -> str:
        return "action_file_new_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if pending(tracker) is None:  # a no with nothing pending, as data/rules/basics.yml answers it
            dispatcher.utter_message(response="utter_goodbye")
            return []
        return super().run(dispatcher, tracker, domain)


class ActionJoinGrievance(Action):
    """ "Yes": the citizen joins the grievance offered and will get its updates."""

    def name(self) -> str:
        return "action_join_grievance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        tracking_id = pending(tracker)
        if tracking_id is None:  # a yes with nothing pending, as data/rules/basics.yml answers it
            dispatcher.utter_message(response="utter_main_menu")
            return []
        with db.session_scope() as session:
            grievance = grievances.grievance_by_tracking_id(session, tracking_id)
            try:
                if grievance is None:
                    raise me_too.JoinRefusedError("not_open")
                me_too.join(session, grievance, sender(tracker), reply_language(tracker))
                due_on = grievance.due_on
            except me_too.JoinRefusedError:
                grievance = None
        if grievance is None:  # closed or rejected since the offer: the citizen's own complaint is filed
            return ActionFileNewGrievance().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_me_too_joined", tracking_id=tracking_id, due_date=date_text(due_on))
        return [SlotSet(slot, None) for slot in GRIEVANCE_SLOTS]
