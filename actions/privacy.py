"""A citizen's data rights by chat: what is held about their number, erasure (after a yes to the
question), and correcting their name (the ward and the language have their own requests).

The services are nagarik.citizens.data_rights and profiles; this module only talks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import in_language, latest_text, load_catalog, reply_language, response_text, sender
from nagarik import db
from nagarik.citizens import data_rights, profiles
from nagarik.citizens.names import name_in_text
from nagarik.outbound import reminders
from nagarik.shared import clock
from nagarik.shared.topics import topics

# At most this many of each kind in the summary (the newest), then "and N more".
SHOWN = {"consents": 8, "applications": 5, "checked": 5, "grievances": 5, "handoffs": 3}
ASK_ERASURE = "action_ask_erasure"


def label(domain: dict[str, Any], name: str, language: str, **values: Any) -> str:
    """A short domain response with its placeholders filled (a line inside a bigger reply)."""
    text = response_text(domain, name, language)
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def day(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, dt.datetime):
        moment = clock.to_local(moment).date()
    return moment.strftime("%d-%m-%Y")


class Summary:
    """The lines of the summary in one language, from the catalog, the topics and the domain."""

    def __init__(self, domain: dict[str, Any], language: str) -> None:
        self.domain, self.language = domain, language
        self.catalog = load_catalog()
        self.topic_names = {t.key: in_language(t.names, language) for t in topics()}

    def label(self, name: str, **values: Any) -> str:
        return label(self.domain, name, self.language, **values)

    def listed(self, kind: str, lines: list[str]) -> str:
        """Newest first, at most SHOWN[kind], or the word for none."""
        if not lines:
            return self.label("utter_data_none")
        shown = lines[: SHOWN[kind]]
        if len(lines) > len(shown):
            shown.append(self.label("utter_data_more", count=len(lines) - len(shown)))
        return "\n".join(f"• {line}" for line in shown)

    def names(self, item: Any) -> str:
        return in_language(item.names, self.language) if item is not None else "-"

    def purpose(self, key: str) -> str:
        if key == "ward":
            return self.label("utter_purpose_ward")
        if key == "all":
            return self.label("utter_purpose_all")
        return self.topic_names.get(key, key)

    def head(self, held: data_rights.Held) -> dict[str, str]:
        language = self.catalog.language(held.language or "")
        chosen = ", ".join(self.topic_names.get(topic, topic) for topic, _ in held.topics)
        if not chosen and held.opted_out_at is not None:
            chosen = self.label("utter_data_stopped", date=day(held.opted_out_at))
        if held.held_topics:
            kept = ", ".join(self.topic_names.get(topic, topic) for topic in held.held_topics)
            chosen = "; ".join(part for part in (chosen, self.label("utter_data_held_for_start", topics=kept)) if part)
        consents = [
            self.label(
                "utter_consent_given" if entry.granted else "utter_consent_withdrawn",
                purpose=self.purpose(entry.purpose),
                date=day(entry.at),
            )
            for entry in held.consents
        ]
        none = self.label("utter_data_none")
        return {
            "phone": held.phone,
            "citizen_name": held.name or none,
            "language_name": language.name if language else none,
            "ward": self.names(self.catalog.ward(held.ward_key)) if held.ward_key else none,
            "first_seen": day(held.first_seen),
            "topics": chosen or none,
            "consents": self.listed("consents", consents),
        }

    def records(self, held: data_rights.Held) -> dict[str, str]:
        applications = [
            self.label(
                "utter_application_held",
                number=a.number,
                service=self.names(self.catalog.service(a.service_key)),
                stage=self.names(self.catalog.stage(a.stage_key)),
            )
            for a in held.applications
        ]
        checked = [self.label("utter_application_verified", number=number) for number in held.verified]
        checked += [self.label("utter_application_checked", number=number) for number in held.checked]
        grievances = [
            self.label(
                "utter_grievance_held",
                tracking_id=g.tracking_id,
                category=self.names(self.catalog.category(g.category_key)),
                status=self.label(f"utter_grievance_status_{g.status}"),
                date=day(g.created_at),
            )
            for g in held.grievances
        ]
        handoffs = [
            self.label(
                "utter_handoff_held",
                reference=h.reference,
                status=self.label(f"utter_handoff_status_{h.status}"),
                date=day(h.created_at),
            )
            for h in held.handoffs
        ]
        others = []
        if held.dates:
            dates = ", ".join(f"{in_language(reminders.kind_names(kind), self.language)} {day(on)}" for kind, on in held.dates)
            others.append(self.label("utter_data_dates", dates=dates))
        if held.poll_answers:
            others.append(self.label("utter_data_poll_answers", count=held.poll_answers))
        if held.certificates:
            others.append(self.label("utter_data_certificates", count=held.certificates))
        return {
            "applications": self.listed("applications", applications + checked[: SHOWN["checked"]]),
            "grievances": self.listed("grievances", grievances),
            "handoffs": self.listed("handoffs", handoffs),
            "others": "; ".join(others) or self.label("utter_data_none"),
        }


class ActionMyData(Action):
    """What is held for the sender's number, in three messages: who, what records, how long."""

    def name(self) -> str:
        return "action_my_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        summary = Summary(domain, reply_language(tracker))
        with db.session_scope() as session:
            held = data_rights.held(session, sender(tracker))
        if held.erasure_pending:
            dispatcher.utter_message(response="utter_erasure_in_progress")
        dispatcher.utter_message(response="utter_my_data", **summary.head(held))
        dispatcher.utter_message(response="utter_my_data_records", **summary.records(held))
        periods = held.retention
        dispatcher.utter_message(
            response="utter_my_data_rights",
            messages_days=periods.messages.days,
            conversations_days=periods.conversations.days,
            media_days=periods.unlinked_media.days,
            copies_days=periods.broadcast_copies.days,
        )
        return []


class ActionAskErasure(Action):
    """The question before erasing: what goes, that it cannot be undone; Yes / No buttons."""

    def name(self) -> str:
        return ASK_ERASURE

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_erasure")
        return []


def confirmed(tracker: Tracker) -> bool:
    """Whether the latest message is a yes to the erasure question, asked just before it (a forged
    `/affirm`, or a yes much later, erases nothing)."""
    if (tracker.latest_message.get("intent") or {}).get("name") != "affirm":
        return False
    events = tracker.events
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=None)
    if last_user is None:
        return False
    before = [e.get("name") for e in events[:last_user] if e.get("event") == "action" and e.get("name") != "action_listen"]
    return bool(before) and before[-1] == ASK_ERASURE


def cutoff(tracker: Tracker) -> float:
    """Up to when the conversation goes: now, or the newest event if Rasa's clock is ahead of ours."""
    stamps = [float(e["timestamp"]) for e in tracker.events if isinstance(e.get("timestamp"), (int, float))]
    now = clock.utcnow().replace(tzinfo=dt.timezone.utc).timestamp()
    return max([now, *stamps])


KEPT_LABELS = (
    ("open_grievances", "utter_kept_grievances"),
    ("open_handoffs", "utter_kept_handoff"),
    ("applications", "utter_kept_applications"),
    ("consents", "utter_kept_consents"),
    ("recent_failed_checks", "utter_kept_checks"),
)


class ActionEraseMyData(Action):
    """After a yes to the erasure question: erases, then says what was kept and why."""

    def name(self) -> str:
        return "action_erase_my_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if not confirmed(tracker):
            dispatcher.utter_message(response="utter_erasure_not_confirmed")
            return []
        language = reply_language(tracker)
        with db.session_scope() as session:
            kept = data_rights.erase(session, sender(tracker), cutoff(tracker))
        lines = [label(domain, name, language, count=getattr(kept, field)) for field, name in KEPT_LABELS if getattr(kept, field)]
        lines.append(label(domain, "utter_kept_request", language))
        dispatcher.utter_message(response="utter_erasure_done")
        dispatcher.utter_message(response="utter_erasure_kept", kept="\n".join(f"• {line}" for line in lines))
        return []


class ActionChangeName(Action):
    """ "My name is Asha Rao" (in any of the languages) keeps the name; without one, says how to write it."""

    def name(self) -> str:
        return "action_change_name"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        name = name_in_text(latest_text(tracker))
        if name is None:
            dispatcher.utter_message(response="utter_ask_name")
            return []
        with db.session_scope() as session:
            profiles.set_name(session, sender(tracker), name)
        dispatcher.utter_message(response="utter_name_changed", citizen_name=name)
        return []
