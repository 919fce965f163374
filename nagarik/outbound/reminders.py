"""Personalised reminders counted back from a date on a citizen's record, like RapidPro campaigns.

Departments register dates (a trade licence's expiry, a property's tax due date, the day a
certificate can be collected); config/reminders.yml says how many days before each date, at which
hour in IST and in which words a reminder goes. `run_due` (a periodic task every 5 minutes) turns
what fell due into broadcasts of kind "reminder", one per citizen and date, which the queue sends
like any other. A (rule, date) pair fires once, even with several workers, because reminders_sent
is unique on it. A reminder missed (workers down, a date registered late) goes out later, at or
after its hour, but never on or after the date itself. Every reminder carries a button that stops
that kind of reminder; STOP stops them all (until START: a topic chosen after STOP does not bring
reminders back). Both are checked when a reminder is made and again when its copy is about to go
(nagarik.outbound.consent), so an opt-out in between still wins.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.templates import render
from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES, Reader, SeedFileError, load_yaml, mappings, unique
from whatsapp import limits, messages
from whatsapp.payloads import intent_payload

RULES_FILE = settings.CONFIG_DIR / "reminders.yml"
TEMPLATE = "date_reminder"
PLACEHOLDERS = {"reference", "date"}
# "(licence {reference})" disappears when a date has no reference.
BRACKETED_REFERENCE = re.compile(r"\s*\([^()]*\{reference\}[^()]*\)")
PHONE = re.compile(r"\d{7,15}")


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    days_before: int
    hour: int  # IST
    texts: dict[str, str]  # language -> text with {reference} and {date}


@dataclass(frozen=True)
class Rules:
    kinds: dict[str, dict[str, str]]  # kind -> language -> name
    rules: tuple[Rule, ...]
    stop_button: dict[str, str]
    quiet_from: int  # IST hour from which nothing goes out until the next rule's hour


@lru_cache(maxsize=4)
def load(path: Path = RULES_FILE) -> Rules:
    """Read and check config/reminders.yml; a SeedFileError names the line of the first problem."""
    root = Reader(path, load_yaml(path), "reminders", 1)
    quiet_from = root.get("quiet_from", int)
    if not 1 <= quiet_from <= 24:
        root.fail("quiet_from must be an hour from 1 to 24 (24: no quiet hours)", "quiet_from")
    stop_button = root.text("stop_button")
    for lang, title in stop_button.items():
        if len(title) > limits.BUTTON_TITLE:
            root.fail(f"stop_button {lang} is longer than {limits.BUTTON_TITLE} characters", "stop_button")
    kinds_reader = Reader(path, root.get("kinds", dict), "kinds")
    kinds = {}
    for kind in kinds_reader.data:
        if not str(kind).replace("_", "").isalnum() or not str(kind).islower():
            kinds_reader.fail(f"kind '{kind}' must be lower_snake_case", kind)
        kinds[kind] = kinds_reader.text(kind)
    rules = []
    readers = mappings(path, root, "rules")
    for reader in readers:
        key = reader.key()
        kind = reader.get("kind", str)
        if kind not in kinds:
            reader.fail(f"{reader.what}: kind '{kind}' is not one of the kinds ({', '.join(kinds)})", "kind")
        days_before = reader.get("days_before", int)
        if days_before < 1:
            reader.fail(f"{reader.what}: days_before must be at least 1", "days_before")
        hour = reader.get("hour", int)
        if not 0 <= hour < quiet_from:
            reader.fail(f"{reader.what}: hour must be from 0 to {quiet_from - 1} (quiet_from is {quiet_from})", "hour")
        texts = reader.text("text")
        for lang, text in texts.items():
            _check_text(reader, lang, text)
        rules.append(Rule(key, kind, days_before, hour, texts))
    unique([(reader, rule.key) for reader, rule in zip(readers, rules, strict=True)], "rule key")
    return Rules(kinds, tuple(rules), stop_button, quiet_from)


def _check_text(reader: Reader, lang: str, text: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        reader.fail(f"{reader.what}: text {lang}: {exc}", "text")
    if names - PLACEHOLDERS:
        reader.fail(f"{reader.what}: text {lang} uses {sorted(names - PLACEHOLDERS)}; only {{reference}} and {{date}}", "text")
    if "{reference}" in text and not BRACKETED_REFERENCE.search(text):
        reader.fail(f"{reader.what}: text {lang}: put {{reference}} in brackets (they are dropped when there is none)", "text")
    if "\n" in text:
        reader.fail(f"{reader.what}: text {lang} must be one line (it is a template parameter)", "text")


def kinds() -> list[str]:
    return list(load().kinds)


def kind_names(kind: str) -> dict[str, str]:
    """The kind's name by language; KeyError for an unknown kind."""
    return load().kinds[kind]


def _known_kind(kind: str) -> str:
    if kind not in load().kinds:
        raise ValueError(f"unknown reminder kind {kind!r}; use one of {', '.join(kinds())}")
    return kind


def _phone(phone: str) -> str:
    digits = re.sub(r"[\s\-()+]", "", str(phone))
    if not PHONE.fullmatch(digits):
        raise ValueError(f"{phone!r} is not a phone number (country code and number, digits only)")
    return digits


def _citizen(sender: str) -> str:
    """Who asks to stop or start a kind: a phone number, or the business-scoped user id of a
    citizen WhatsApp knows without one (they may tap or type "stop" too)."""
    return sender if messages.is_user_id(str(sender)) else _phone(sender)


# --- dates and opt-outs ----------------------------------------------------------------------------


def add_date(session: Session, phone: str, kind: str, due_on: dt.date, reference: str = "") -> models.CitizenDate:
    """Register a date (idempotent: the same phone, kind, reference and date is one row)."""
    phone, kind, reference = _phone(phone), _known_kind(kind), reference.strip()
    if len(reference) > 64:
        raise ValueError("a reference has at most 64 characters")
    key = (models.CitizenDate.phone == phone, models.CitizenDate.kind == kind, models.CitizenDate.reference == reference)
    existing = session.execute(select(models.CitizenDate).where(*key, models.CitizenDate.due_on == due_on)).scalar_one_or_none()
    if existing:
        return existing
    row = models.CitizenDate(phone=phone, kind=kind, due_on=due_on, reference=reference)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # registered by another request at the same moment
        return session.execute(select(models.CitizenDate).where(*key, models.CitizenDate.due_on == due_on)).scalar_one()
    return row


def dates_of(session: Session, phone: str) -> list[models.CitizenDate]:
    return list(
        session.execute(
            select(models.CitizenDate)
            .where(models.CitizenDate.phone == _phone(phone))
            .order_by(models.CitizenDate.due_on, models.CitizenDate.id)
        ).scalars()
    )


def fired_rules(session: Session, citizen_date_id: int) -> list[str]:
    """Rule keys already done for a date (sent, or passed over for a later rule)."""
    return list(
        session.execute(
            select(models.ReminderSent.rule_key)
            .where(models.ReminderSent.citizen_date_id == citizen_date_id)
            .order_by(models.ReminderSent.id)
        ).scalars()
    )


def opt_out(session: Session, phone: str, kind: str) -> None:
    """No more reminders of this kind for this citizen (the others still come), also for a copy
    already made and not yet sent."""
    phone, kind = _citizen(phone), _known_kind(kind)
    if session.get(models.ReminderOptOut, (phone, kind)) is None:
        try:
            with session.begin_nested():
                session.add(models.ReminderOptOut(phone=phone, kind=kind))
        except IntegrityError:
            pass  # the same button tapped twice at once: one row is enough


def opt_in(session: Session, phone: str, kind: str) -> None:
    session.execute(
        delete(models.ReminderOptOut).where(models.ReminderOptOut.phone == _citizen(phone), models.ReminderOptOut.kind == kind)
    )


def opted_out_kinds(session: Session, phone: str) -> list[str]:
    return list(
        session.execute(
            select(models.ReminderOptOut.kind)
            .where(models.ReminderOptOut.phone == _citizen(phone))
            .order_by(models.ReminderOptOut.kind)
        ).scalars()
    )


def seed_dates(session: Session, path: Path | None = None) -> int:
    """Register the sample dates of citizen_dates.yml in the sample directory (seed/ for the demo),
    again and again: nothing is doubled."""
    path = path or settings.sample_dir() / "citizen_dates.yml"
    items = load_yaml(path) or []
    if not isinstance(items, list):
        raise SeedFileError(f"{path}:1: a list of dates is expected")
    for position, item in enumerate(items, start=1):
        reader = Reader(path, item, f"date #{position}", getattr(items, "line", 0))
        due_on = reader.get("due_on", dt.date)
        reference = reader.get("reference", str, required=False) or ""
        try:
            add_date(session, str(reader.get("phone", (str, int))), reader.get("kind", str), due_on, reference)
        except ValueError as exc:
            reader.fail(f"{reader.what}: {exc}")
    return len(items)


# --- firing ------------------------------------------------------------------------------------------


def text_for(rule: Rule, language: str, reference: str, due_on: dt.date) -> str:
    text = rule.texts[language]
    if not reference:
        text = BRACKETED_REFERENCE.sub("", text)
    return text.format(reference=reference, date=due_on.strftime("%d-%m-%Y"))


def stop_payload(kind: str) -> str:
    """The Rasa payload of the "Stop these reminders" button."""
    return intent_payload("stop_reminder", reminder_kind=kind)


def run_due(session: Session, now: dt.datetime | None = None, rules: Rules | None = None) -> list[models.Broadcast]:
    """Create a broadcast for every reminder that fell due (now: naive UTC); returns them.

    A rule is due for a date from its fire day (due_on - days_before, in IST) at its hour until the
    day before the date; each day only between its hour and quiet_from. Nobody opted out of the
    kind, nobody who said STOP. When several rules of a kind are due for one date (it was registered
    late), only the one nearest the date is sent; the earlier ones are recorded as passed over."""
    rules = rules or load()
    now = now or clock.utcnow()
    local = clock.to_local(now)
    today = local.date()
    if local.hour >= rules.quiet_from:
        return []
    due: dict[int, list[Rule]] = {}
    dates: dict[int, models.CitizenDate] = {}
    for rule in rules.rules:
        if local.hour < rule.hour:
            continue
        for row in session.execute(_due_dates(rule, today)).scalars():
            due.setdefault(row.id, []).append(rule)
            dates[row.id] = row
    created = []
    for date_id, due_rules in sorted(due.items()):
        nearest = min(due_rules, key=lambda rule: rule.days_before)
        broadcast = fire(session, nearest, dates[date_id], now)
        if broadcast is not None:
            created.append(broadcast)
            _pass_over(session, rules, nearest, dates[date_id])
    return created


def _due_dates(rule: Rule, today: dt.date) -> Any:
    date = models.CitizenDate
    fired = select(models.ReminderSent.id).where(
        models.ReminderSent.rule_key == rule.key, models.ReminderSent.citizen_date_id == date.id
    )
    unwanted = select(models.ReminderOptOut.phone).where(
        models.ReminderOptOut.phone == date.phone, models.ReminderOptOut.kind == date.kind
    )
    stopped = select(models.Citizen.phone).where(models.Citizen.phone == date.phone, models.Citizen.opted_out_at.is_not(None))
    return (
        select(date)
        .where(
            date.kind == rule.kind,
            date.due_on > today,  # never on or after the date
            date.due_on <= today + dt.timedelta(days=rule.days_before),  # the fire day has come
            ~exists(fired),
            ~exists(unwanted),
            ~exists(stopped),
        )
        .order_by(date.id)
    )


def fire(session: Session, rule: Rule, date: models.CitizenDate, now: dt.datetime) -> models.Broadcast | None:
    """One reminder: its broadcast and its reminders_sent row together, or nothing if the rule
    already fired for this date (another worker got there first)."""
    texts = {lang: text_for(rule, lang, date.reference, date.due_on) for lang in LANGUAGES}
    try:
        with session.begin_nested():
            broadcast = broadcasts.create(
                session,
                kind="reminder",
                texts={lang: render(TEMPLATE, lang, [texts[lang]]) for lang in LANGUAGES},
                audience=broadcasts.Audience(phones=(date.phone,)),
                created_by="reminders",
                send_at=now,
                template=TEMPLATE,
                template_params={lang: [texts[lang]] for lang in LANGUAGES},
            )
            # The kind travels with the broadcast, for the button that stops it.
            broadcast.audience = {**broadcast.audience, "reminder_kind": date.kind}
            session.add(
                models.ReminderSent(rule_key=rule.key, citizen_date_id=date.id, phone=date.phone, broadcast_id=broadcast.id)
            )
            session.flush()
    except IntegrityError:
        return None
    return broadcast


def _pass_over(session: Session, rules: Rules, sent: Rule, date: models.CitizenDate) -> None:
    """Rules of the kind that would have fired earlier than the one sent do not fire any more."""
    done = set(fired_rules(session, date.id))
    for rule in rules.rules:
        if rule.kind == sent.kind and rule.days_before > sent.days_before and rule.key not in done:
            try:
                with session.begin_nested():
                    session.add(models.ReminderSent(rule_key=rule.key, citizen_date_id=date.id, phone=date.phone))
            except IntegrityError:
                pass


# --- the message ---------------------------------------------------------------------------------


def message_body(broadcast: models.Broadcast, language: str, in_window: bool) -> dict[str, Any]:
    """Inside the window the text with a "Stop these reminders" button; outside it the approved
    date_reminder template, whose quick reply carries the same payload."""
    language = language if language in broadcast.texts else "en"
    payload = stop_payload(broadcast.audience["reminder_kind"])
    if in_window:
        return messages.reply_buttons(broadcast.texts[language], [(payload, load().stop_button[language])])
    parameters = (broadcast.template_params or {}).get(language) or broadcast.template_params["en"]
    return messages.template(broadcast.template, language, parameters, quick_replies=[payload])
