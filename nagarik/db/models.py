"""The civic database's schema: every table, in one place.

The schema is created and changed only by Alembic migrations (nagarik/db/migrations); tests use
them too. Times are stored as naive UTC (nagarik.shared.clock).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from nagarik.shared.clock import utcnow

I18n = dict[str, str]


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- the catalog, loaded from seed/catalog.yml --------------------------------------------


class OfficeRow(Base):
    __tablename__ = "offices"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[dict[str, Any]]
    address: Mapped[dict[str, Any]]
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(128), default="")
    hours: Mapped[dict[str, Any]]
    open_days: Mapped[list[Any]]
    closed_saturdays: Mapped[list[Any]]
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    appellate: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"role": ...} or {"officer": ...}; None: the default


class LanguageRow(Base):
    __tablename__ = "catalog_languages"
    key: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    synonyms: Mapped[list[Any]]


class HolidayRow(Base):
    __tablename__ = "holidays"
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[dict[str, Any]]


class DepartmentRow(Base):
    __tablename__ = "departments"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[dict[str, Any]]
    phone: Mapped[str] = mapped_column(String(32))


class ServiceRow(Base):
    __tablename__ = "services"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    department_key: Mapped[str] = mapped_column(ForeignKey("departments.key"))
    application_prefix: Mapped[str] = mapped_column(String(4), unique=True)
    processing_days: Mapped[int] = mapped_column(Integer)
    names: Mapped[dict[str, Any]]
    synonyms: Mapped[list[Any]]
    documents: Mapped[dict[str, Any]]
    steps: Mapped[dict[str, Any]]
    fee: Mapped[dict[str, Any]]
    processing_time: Mapped[dict[str, Any]]
    where_to_apply: Mapped[dict[str, Any]]
    deadline: Mapped[dict[str, Any] | None]  # the last date to apply, pay or renew, if the service has one


class GrievanceCategoryRow(Base):
    __tablename__ = "grievance_categories"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    department_key: Mapped[str] = mapped_column(ForeignKey("departments.key"))
    sla_days: Mapped[int] = mapped_column(Integer)
    names: Mapped[dict[str, Any]]
    synonyms: Mapped[list[Any]]
    # the escalation ladder: [{"days": 7, "role": "department_head"}, {"days": 12, "officer": "..."}]
    escalation: Mapped[list[Any] | None] = mapped_column(JSON)


class WardRow(Base):
    __tablename__ = "wards"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    names: Mapped[dict[str, Any]]
    synonyms: Mapped[list[Any]]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class StageRow(Base):
    __tablename__ = "application_stages"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    names: Mapped[dict[str, Any]]
    next_step: Mapped[dict[str, Any]]
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# --- citizens and their business -----------------------------------------------------------


class Citizen(Base):
    __tablename__ = "citizens"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))  # as the citizen wrote it ("my name is ...")
    language: Mapped[str | None] = mapped_column(String(8))
    language_source: Mapped[str | None] = mapped_column(String(16))  # chosen | inferred
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ward_key: Mapped[str | None] = mapped_column(ForeignKey("wards.key"))  # for ward updates and alerts
    # STOP: no broadcasts or reminders; its earlier choices are held (Subscription.held_since) until START
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    notice_version: Mapped[str | None] = mapped_column(String(16))  # privacy notice last shown


class Consent(Base):
    """Every grant or withdrawal of consent, kept: purpose, when, how, under which notice."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    purpose: Mapped[str] = mapped_column(String(64))  # a topic key, "ward", or "all"
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ErasureRequest(Base):
    """A citizen asked by chat to erase their data; the row stays as the fact of the erasure.

    The civic database is erased at once (nagarik.citizens.data_rights); Rasa's conversation and the
    channel's texts up to `cutoff` by the workers a little later, twice (`passes`), because a Rasa turn
    in flight when the first pass runs may write back events it had loaded."""

    __tablename__ = "erasure_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    cutoff: Mapped[float] = mapped_column(Float)  # seconds since the epoch: what was written up to then goes
    kept: Mapped[dict[str, Any]]  # what was kept, by kind: {"open_grievances": 1, ...}
    media: Mapped[list[Any]]  # evidence files to remove (of grievances already closed), emptied when removed
    passes: Mapped[int] = mapped_column(Integer, default=0)
    last_pass_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)


class Subscription(Base):
    """A topic a citizen chose. STOP holds it (kept, sent nothing) until START; a topic chosen
    after STOP is a new opt-in and is not held."""

    __tablename__ = "subscriptions"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    held_since: Mapped[dt.datetime | None] = mapped_column(DateTime)  # held by STOP since then


class Broadcast(Base):
    """Something officials send: an announcement, an emergency alert, a campaign message."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # announcement | emergency | campaign | poll | reminder | notification | reply
    priority: Mapped[int] = mapped_column(Integer)  # higher goes first
    texts: Mapped[dict[str, Any]]  # language -> text
    media: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"type": image|video|document, "link": ...}
    audience: Mapped[dict[str, Any]]  # {"wards": [...], "topics": [...], "languages": [...]}
    template: Mapped[str] = mapped_column(String(64))  # used outside the 24-hour window
    template_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # language -> parameters, if not the text
    thread_of: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))  # an emergency's follow-ups
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)  # one step of a campaign
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"), index=True)  # an officer's reply in it
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | running | done | cancelled | failed
    failure_reason: Mapped[str | None] = mapped_column(Text)  # why a failed broadcast's copies could not be built
    send_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Campaign(Base):
    """An awareness campaign: several broadcasts (its steps) to one audience over days."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    audience: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Poll(Base):
    """A question to citizens with fixed options; sent as a broadcast of kind "poll"."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[dict[str, Any]]  # language -> question
    options: Mapped[list[Any]]  # [{"key": "yes", "names": {"en": ..., "hi": ..., "kn": ...}}, ...]
    allow_comments: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PollAnswer(Base):
    """A citizen's one answer to a poll; changing it overwrites it until the poll closes."""

    __tablename__ = "poll_answers"
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    option_key: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    ward_key: Mapped[str | None] = mapped_column(String(64))  # the citizen's ward when answering
    language: Mapped[str] = mapped_column(String(8))
    changes: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CitizenDate(Base):
    """A date on a citizen's record that reminders count back from (licence expiry, tax due...)."""

    __tablename__ = "citizen_dates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # a reminder kind in config/reminders.yml
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    reference: Mapped[str] = mapped_column(String(64), default="")  # licence, property or application number
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("phone", "kind", "reference", "due_on"),)


class ReminderSent(Base):
    """A reminder rule fired for one date: (rule, date) is unique, so each fires once."""

    __tablename__ = "reminders_sent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(64))
    citizen_date_id: Mapped[int] = mapped_column(ForeignKey("citizen_dates.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("rule_key", "citizen_date_id"),)


class ReminderOptOut(Base):
    """A citizen who asked not to get one kind of reminder (the others still come)."""

    __tablename__ = "reminder_opt_outs"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Certificate(Base):
    """A digital certificate we generated; its code lets anyone verify the copy they were shown."""

    __tablename__ = "certificates"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_number: Mapped[str] = mapped_column(ForeignKey("applications.number"), index=True)
    phone: Mapped[str] = mapped_column(String(32))  # who it was sent to
    sha256: Mapped[str] = mapped_column(String(64))  # of the PDF sent
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class BroadcastRecipient(Base):
    """One citizen's copy of a broadcast; (broadcast, phone) is the idempotency key."""

    __tablename__ = "broadcast_recipients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    # queued | sending | sent | failed | skipped | held | retrying | unknown (nagarik.outbound.broadcasts)
    state: Mapped[str] = mapped_column(String(16), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    wamid: Mapped[str | None] = mapped_column(String(191))
    status: Mapped[str | None] = mapped_column(
        String(16)
    )  # sent | delivered | read | failed, from Meta (nagarik.outbound.delivery)
    error_code: Mapped[int | None] = mapped_column(Integer)
    # why a skipped copy was not sent: cancelled | stopped | unsubscribed | reminder_opt_out (nagarik.outbound.consent)
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("broadcast_id", "phone"),)


class TemplateContact(Base):
    """A citizen reached outside their 24-hour window (a template): counted for the daily tier."""

    __tablename__ = "template_contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class PacingSlot(Base):
    """The next free send time of a rate (a number's throughput, one citizen's 6-second gap)."""

    __tablename__ = "pacing_slots"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class Application(Base):
    __tablename__ = "applications"
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_key: Mapped[str] = mapped_column(ForeignKey("services.key"))
    applicant_name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    stage_key: Mapped[str] = mapped_column(ForeignKey("application_stages.key"))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    expected_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Who moved it last (an API token's who, or the command line's --by); each move's notification keeps it too.
    updated_by: Mapped[str] = mapped_column(String(64), default="system", server_default="system")


class StatusCheckFailure(Base):
    """A failed second check on an application's status; counted per sender and per number."""

    __tablename__ = "status_check_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)
    application_number: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class StatusCheckPass(Base):
    """A passed second check: this sender may see this application for a short while
    (nagarik.citizens.applications.verified_application)."""

    __tablename__ = "status_check_passes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)
    application_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Grievance(Base):
    __tablename__ = "grievances"
    # the SLA sweep's queries: open grievances of one category filed before a cutoff
    __table_args__ = (Index("ix_grievances_sweep", "status", "category_key", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(32), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    category_key: Mapped[str] = mapped_column(ForeignKey("grievance_categories.key"))
    department_key: Mapped[str] = mapped_column(ForeignKey("departments.key"))
    description: Mapped[str] = mapped_column(Text)
    location_text: Mapped[str] = mapped_column(Text)
    location_key: Mapped[str] = mapped_column(Text)  # normalised, for near-duplicate checks
    ward_key: Mapped[str | None] = mapped_column(ForeignKey("wards.key"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    evidence_ref: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="registered")  # grievance_lifecycle.STATES
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    # the lifecycle's end (nagarik.citizens.grievance_lifecycle): resolution, the citizen's rating, appeal
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rating: Mapped[str | None] = mapped_column(String(16))  # good | average | poor
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    appeal_due_on: Mapped[dt.date | None] = mapped_column(Date)  # to appeal by; once appealed, to decide by
    transfer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopened_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # the department's work on it (nagarik.citizens.grievance_work): who works it, when it was acknowledged
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # where it was filed (whatsapp | open311), and for Open311 the contact the filer gave: kept for the
    # officials, never notified unless it is `phone` (a citizen who consented: nagarik.open311.requests)
    source: Mapped[str] = mapped_column(String(16), default="whatsapp", server_default="whatsapp")
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(128))
    # the SLA sweep (nagarik.outbound.sla_sweep): the ladder's level reached, and each step's mark, so
    # that every step happens once
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ack_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    interim_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    events: Mapped[list[GrievanceEvent]] = relationship(
        back_populates="grievance", order_by="GrievanceEvent.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[GrievanceNote]] = relationship(
        back_populates="grievance", order_by="GrievanceNote.id", cascade="all, delete-orphan"
    )
    assignee: Mapped[Official | None] = relationship()
    # citizens who reported the same problem and joined this one ("me too": nagarik.citizens.me_too)
    reporters: Mapped[list[GrievanceReporter]] = relationship(
        back_populates="grievance", order_by="GrievanceReporter.id", cascade="all, delete-orphan"
    )


class GrievanceReporter(Base):
    """A citizen who joined an open grievance instead of filing the same one again: counted as one
    more reporter and told of its changes like the filer (nagarik.citizens.me_too)."""

    __tablename__ = "grievance_reporters"
    __table_args__ = (UniqueConstraint("grievance_id", "phone"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)  # "erased:..." / "purged:..." once forgotten
    language: Mapped[str] = mapped_column(String(8))
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    grievance: Mapped[Grievance] = relationship(back_populates="reporters")


class GrievanceEvent(Base):
    __tablename__ = "grievance_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # "citizen" for the filing; else who changed the status (an API token's who, or --by)
    changed_by: Mapped[str] = mapped_column(String(64), default="system", server_default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    grievance: Mapped[Grievance] = relationship(back_populates="events")


class GrievanceNote(Base):
    """The officials' side of a grievance, never shown to the citizen (grievance_events are: the chat
    lists them): an internal note, or work done (acknowledged, assigned, transferred) with its reason."""

    __tablename__ = "grievance_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id"), index=True)
    # note | acknowledged | assigned | transferred; the SLA sweep's ack_reminder | escalated
    kind: Mapped[str] = mapped_column(String(16), default="note")
    author: Mapped[str] = mapped_column(String(64))  # the official's username
    text: Mapped[str] = mapped_column(Text, default="")  # what they wrote: the note, or the reason
    detail: Mapped[str] = mapped_column(String(128), default="")  # the assignee's username; "from -> to" departments
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    grievance: Mapped[Grievance] = relationship(back_populates="notes")


class Handoff(Base):
    """A citizen asked for a person; an official picks it up from the console."""

    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | taken | closed
    language: Mapped[str] = mapped_column(String(8))
    last_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    department_key: Mapped[str | None] = mapped_column(ForeignKey("departments.key"))  # None: the general desk
    ward_key: Mapped[str | None] = mapped_column(ForeignKey("wards.key"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))  # the one officer answering
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))  # answered | no_reply_needed | referred | unreachable
    owner: Mapped[Official | None] = relationship()


class Counter(Base):
    """Named sequences (grievance-2026, handoff-2026) for human-readable identifiers."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


# --- the officials' console: accounts, sessions, login throttling, the audit log -------------


class Official(Base):
    """An official's console account (nagarik.staff.accounts); the password only as an Argon2id hash."""

    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    departments: Mapped[list[Any]] = mapped_column(JSON, default=list)  # department keys (departments.key)
    language: Mapped[str] = mapped_column(String(8), default="en")  # the console's words: en | hi | kn
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OfficialSession(Base):
    """A server-side console session; the cookie holds the id, this row only its sha256."""

    __tablename__ = "official_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class LoginFailure(Base):
    """A failed console login, counted per account name and per client address (nagarik.staff.throttle)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class AuditEntry(Base):
    """Append-only: who did what to which object, when and from where (nagarik.staff.audit)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    who: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(128), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


# --- conversations, read from Rasa's event broker (nagarik.conversations), and their review -----


class Conversation(Base):
    """One Rasa session of one sender (a new one at each `session_started`), as officials review it."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(255), index=True)  # Rasa's sender_id: the phone number
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(8), index=True)
    ward_key: Mapped[str | None] = mapped_column(String(64), index=True)  # the citizen's, when known
    session_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # its session_started event's key
    user_messages: Mapped[int] = mapped_column(Integer, default=0)
    bot_messages: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)  # nlu_fallback or a fallback action
    low_confidence: Mapped[int] = mapped_column(Integer, default=0)  # below the FallbackClassifier's threshold
    has_handoff: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    has_grievance: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))


class Turn(Base):
    """One event of a conversation the citizen saw or caused: their message, the bot's, an action."""

    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender: Mapped[str] = mapped_column(String(255), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # user | bot | action
    text: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(128), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a bot message's buttons, image, custom...
    event_key: Mapped[str] = mapped_column(String(64), unique=True)  # the event's hash: a redelivery is skipped
    flagged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    flagged_by: Mapped[str | None] = mapped_column(String(64))
    flag_note: Mapped[str] = mapped_column(Text, default="")


class ConversationLink(Base):
    """A grievance, handoff or application a conversation named (by its tracking id, reference or number)."""

    __tablename__ = "conversation_links"
    __table_args__ = (UniqueConstraint("conversation_id", "kind", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # grievance | handoff | application
    ref: Mapped[str] = mapped_column(String(32), index=True)


class ConversationNote(Base):
    """An official's internal note on a conversation; never shown to the citizen."""

    __tablename__ = "conversation_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ConversationCursor(Base):
    """How far the consumer has read an SQL event broker's table (by id), per broker."""

    __tablename__ = "conversation_cursors"
    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
