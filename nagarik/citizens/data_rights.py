"""A citizen's rights over their data by chat (DPDP Act 2023, Rules 2025): to see what is held
about their number, and to have it erased.

Erasure has two parts. At once, in the turn that confirmed it (`erase`): the civic database: the
name, ward, language and choices go, STOP is recorded, reminder dates and opt-outs go, answers to
open polls go, and what must stay for others (closed complaints, answers to closed polls, copies
of finished broadcasts, certificates sent, closed handoffs and the officers' replies in them,
grievances they joined as one more reporter)
stays without the number, closed complaints also without the officials' notes on them. A little
later, from the workers (`run_due_erasures`): Rasa's conversation and the channel's texts up to the
request, the console's copy of the conversation (nagarik.conversations: its turns, links and the
officials' notes on it), the channel's hold, and the evidence files no open complaint uses. Rasa
would write back a conversation deleted while a turn of it runs (nagarik.citizens.trackers), and
the console's consumer copies Rasa's events about a minute late, so the workers wait for the turn to
end and go over it all a second time.

Kept, and told to the citizen: open complaints and their evidence (the office must still act on
them), with the officials' notes and work on them, an open request for an officer (and the
channel's hold while an officer answers it), the applications departments registered (their records,
under their own rules), the consent ledger with this withdrawal (the law asks us to show what was
agreed and when), failed status checks of the last day (they protect applicants from guessing; older
ones stay a week without the number, for the application's own limit), and the erasure request itself.
The console's conversations are not kept for an open complaint or request: the case is its own row
(with what the citizen wrote in it), as Rasa's conversation is not kept for it either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.citizens import applications, evidence, handoffs, profiles, subscriptions, trackers
from nagarik.citizens.stores import Stores
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.retention import Retention, retention
from whatsapp.cloud import erasure as channel_erasure

logger = logging.getLogger(__name__)

FIRST_PASS_AFTER = dt.timedelta(minutes=1)  # the turn that asked has ended by then
SECOND_PASS_AFTER = dt.timedelta(minutes=5)  # after the first: removes what a turn in flight wrote back
PASSES = 2
FINISHED_BROADCASTS = ("done", "cancelled")


@dataclass(frozen=True)
class ConsentEntry:
    purpose: str  # a topic key, "ward" or "all"
    granted: bool
    at: dt.datetime


@dataclass(frozen=True)
class ApplicationEntry:
    number: str
    service_key: str
    stage_key: str


@dataclass(frozen=True)
class GrievanceEntry:
    tracking_id: str
    category_key: str
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class HandoffEntry:
    reference: str
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Held:
    """Everything held for one number, newest first in each list."""

    phone: str
    name: str | None
    language: str | None
    ward_key: str | None
    first_seen: dt.datetime | None
    opted_out_at: dt.datetime | None
    topics: list[tuple[str, dt.datetime]]  # (topic, since) that reach the citizen now
    held_topics: list[str]  # chosen before STOP, kept for a START (nagarik.citizens.subscriptions)
    consents: list[ConsentEntry]
    applications: list[ApplicationEntry]  # registered to this number by a department
    verified: list[str]  # other people's applications this number passed the check for (kept minutes)
    checked: list[str]  # application numbers whose check from this number failed
    certificates: int  # certificate copies sent to this number
    grievances: list[GrievanceEntry]
    handoffs: list[HandoffEntry]
    dates: list[tuple[str, dt.date]]  # reminder kind, date
    poll_answers: int
    retention: Retention
    erasure_pending: bool  # an erasure was asked and the workers have not finished it


def held(session: Session, phone: str) -> Held:
    citizen = session.get(models.Citizen, phone)
    grievance, handoff = models.Grievance, models.Handoff
    return Held(
        phone=phone,
        name=citizen.name if citizen else None,
        language=citizen.language if citizen else None,
        ward_key=citizen.ward_key if citizen else None,
        first_seen=citizen.first_seen if citizen else None,
        opted_out_at=citizen.opted_out_at if citizen else None,
        topics=[(row.topic, row.created_at) for row in subscriptions_of(session, phone) if row.held_since is None],
        held_topics=[row.topic for row in subscriptions_of(session, phone) if row.held_since is not None],
        consents=[
            ConsentEntry(row.purpose, row.granted, row.created_at)
            for row in session.execute(
                select(models.Consent).where(models.Consent.phone == phone).order_by(models.Consent.id.desc())
            ).scalars()
        ],
        applications=[
            ApplicationEntry(row.number, row.service_key, row.stage_key)
            for row in session.execute(
                select(models.Application).where(models.Application.phone == phone).order_by(models.Application.number)
            ).scalars()
        ],
        verified=sorted(
            set(
                session.execute(
                    select(models.StatusCheckPass.application_number).where(models.StatusCheckPass.sender == phone)
                ).scalars()
            )
        ),
        checked=sorted(
            set(
                session.execute(
                    select(models.StatusCheckFailure.application_number).where(models.StatusCheckFailure.sender == phone)
                ).scalars()
            )
        ),
        certificates=db.count(session, select(models.Certificate).where(models.Certificate.phone == phone)),
        grievances=[
            GrievanceEntry(row.tracking_id, row.category_key, row.status, row.created_at)
            for row in session.execute(
                select(grievance).where(grievance.phone == phone).order_by(grievance.created_at.desc(), grievance.id.desc())
            ).scalars()
        ],
        handoffs=[
            HandoffEntry(row.reference, row.status, row.created_at)
            for row in session.execute(
                select(handoff).where(handoff.phone == phone).order_by(handoff.created_at.desc(), handoff.id.desc())
            ).scalars()
        ],
        dates=[
            (row.kind, row.due_on)
            for row in session.execute(
                select(models.CitizenDate).where(models.CitizenDate.phone == phone).order_by(models.CitizenDate.due_on)
            ).scalars()
        ],
        poll_answers=db.count(session, select(models.PollAnswer).where(models.PollAnswer.phone == phone)),
        retention=retention(),
        erasure_pending=erasure_pending(session, phone),
    )


def subscriptions_of(session: Session, phone: str) -> list[models.Subscription]:
    row = models.Subscription
    return list(session.execute(select(row).where(row.phone == phone).order_by(row.topic)).scalars())


def erasure_pending(session: Session, phone: str) -> bool:
    request = models.ErasureRequest
    return db.count(session, select(request).where(request.phone == phone, request.done_at.is_(None))) > 0


# --- erasure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """What an erasure kept, by kind (the citizen is told each, and why)."""

    open_grievances: int = 0
    open_handoffs: int = 0
    applications: int = 0
    consents: int = 0
    recent_failed_checks: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def alias() -> str:
    """What replaces a number in rows kept for others (counts, results): random, so nothing leads
    back to the number, and new for each erasure, so counts of distinct citizens stay right."""
    return f"erased:{secrets.token_hex(8)}"


def erase(session: Session, phone: str, cutoff: float, now: dt.datetime | None = None) -> Kept:
    """The civic database's part of an erasure, and the request the workers finish.

    `cutoff`: seconds since the epoch; the conversation and the channel's texts up to then go."""
    now = now or clock.utcnow()
    stand_in = alias()
    _forget_the_person(session, phone, now)
    _keep_for_others_without_the_number(session, phone, stand_in)
    _status_checks(session, phone, stand_in, now)
    media = _anonymise_closed_grievances(session, phone, stand_in)
    _anonymise_closed_handoffs(session, phone, stand_in)
    # Grievances the citizen joined ("me too", nagarik.citizens.me_too): the join stays without the
    # number, so "reported by N citizens" stays true and nothing more is sent to them about it.
    reporter = models.GrievanceReporter
    session.execute(update(reporter).where(reporter.phone == phone).values(phone=stand_in))
    handoff, failure = models.Handoff, models.StatusCheckFailure
    kept = Kept(
        open_grievances=db.count(session, select(models.Grievance).where(models.Grievance.phone == phone)),
        open_handoffs=db.count(session, select(handoff).where(handoff.phone == phone)),
        applications=db.count(session, select(models.Application).where(models.Application.phone == phone)),
        consents=db.count(session, select(models.Consent).where(models.Consent.phone == phone)),
        recent_failed_checks=db.count(session, select(failure).where(failure.sender == phone)),
    )
    session.add(models.ErasureRequest(phone=phone, requested_at=now, cutoff=cutoff, kept=kept.as_dict(), media=media, passes=0))
    session.flush()
    return kept


def _forget_the_person(session: Session, phone: str, now: dt.datetime) -> None:
    """Choices withdrawn (in the ledger), STOP recorded, the profile emptied, reminders gone."""
    for row in subscriptions_of(session, phone):  # those STOP holds too
        subscriptions.unsubscribe(session, phone, row.topic)
    citizen = profiles.get_or_create(session, phone, now)
    if citizen.ward_key is not None:
        subscriptions.set_ward(session, phone, None)
    subscriptions.stop_all(session, phone, now=now)  # no broadcast reaches the number any more
    citizen.name = citizen.language = citizen.language_source = citizen.notice_version = None
    citizen.first_seen = citizen.last_seen = now  # the notice comes again, as to someone new
    dates = select(models.CitizenDate.id).where(models.CitizenDate.phone == phone)
    session.execute(delete(models.ReminderSent).where(models.ReminderSent.citizen_date_id.in_(dates)))
    session.execute(delete(models.CitizenDate).where(models.CitizenDate.phone == phone))
    session.execute(delete(models.ReminderOptOut).where(models.ReminderOptOut.phone == phone))


def _keep_for_others_without_the_number(session: Session, phone: str, stand_in: str) -> None:
    """Answers to closed polls (their results), copies of finished broadcasts (their counts), the
    daily tier's contacts and certificates sent (their codes still verify) lose the number; answers
    to open polls go (the citizen may answer again)."""
    answer = models.PollAnswer
    open_polls = select(models.Poll.id).where(models.Poll.status == "open")
    session.execute(delete(answer).where(answer.phone == phone, answer.poll_id.in_(open_polls)))
    session.execute(update(answer).where(answer.phone == phone).values(phone=stand_in, comment=None))
    finished = select(models.Broadcast.id).where(models.Broadcast.status.in_(FINISHED_BROADCASTS))
    copy = models.BroadcastRecipient
    session.execute(update(copy).where(copy.phone == phone, copy.broadcast_id.in_(finished)).values(phone=stand_in, wamid=None))
    session.execute(update(models.TemplateContact).where(models.TemplateContact.phone == phone).values(phone=stand_in))
    session.execute(update(models.Certificate).where(models.Certificate.phone == phone).values(phone=stand_in))


def _status_checks(session: Session, phone: str, stand_in: str, now: dt.datetime) -> None:
    """Passed checks go. The last day's failed checks keep the number (the sender's limit counts
    them); the week's after it lose it (the application's own limit still counts them); older go."""
    session.execute(delete(models.StatusCheckPass).where(models.StatusCheckPass.sender == phone))
    failure = models.StatusCheckFailure
    theirs = failure.sender == phone
    session.execute(delete(failure).where(theirs, failure.created_at <= now - applications.APPLICATION_FAILURE_WINDOW))
    past_the_day = failure.created_at <= now - applications.FAILED_CHECK_WINDOW
    session.execute(update(failure).where(theirs, past_the_day).values(sender=stand_in))


def _anonymise_closed_grievances(session: Session, phone: str, stand_in: str) -> list[str]:
    """Closed complaints stay for the office's records and counts, without the number, the words or
    the place; their evidence files are removed by the workers. Returns those files."""
    media: list[str] = []
    closed = session.execute(
        select(models.Grievance).where(models.Grievance.phone == phone, models.Grievance.status.not_in(evidence.OPEN_STATUSES))
    ).scalars()
    for grievance in closed:
        name = evidence.file_name(grievance.evidence_ref)
        if name:
            media.append(name)
        grievance.phone = stand_in
        grievance.description = grievance.location_text = grievance.location_key = ""
        grievance.latitude = grievance.longitude = None
        grievance.evidence_ref = None
        # The officials' side (nagarik.citizens.grievance_work): notes are only what an official typed,
        # so they go; the work done (acknowledged, assigned, transferred) stays for the office's
        # record without its reason. An open complaint keeps both, as it keeps the citizen's words.
        for note in list(grievance.notes):
            if note.kind == "note":
                grievance.notes.remove(note)  # delete-orphan
            else:
                note.text = ""
    # Filed for them by another system (Open311) with their number as the contact: the contact goes.
    contact = models.Grievance.contact_phone == phone
    session.execute(
        update(models.Grievance)
        .where(contact, models.Grievance.status.not_in(evidence.OPEN_STATUSES))
        .values(contact_phone=None, contact_name=None)
    )
    return media


def _anonymise_closed_handoffs(session: Session, phone: str, stand_in: str) -> None:
    """Closed requests for an officer stay for the office's counts (department, ward, owner, times,
    outcome name nobody) without the number or the citizen's words; the officers' finished replies in
    them (nagarik.outbound.live_handoffs) lose the number they were addressed to and their words."""
    handoff = models.Handoff
    closed = select(handoff.id).where(handoff.phone == phone, handoff.status.not_in(handoffs.OPEN))
    replies = session.execute(
        select(models.Broadcast).where(models.Broadcast.handoff_id.in_(closed), models.Broadcast.status.in_(FINISHED_BROADCASTS))
    ).scalars()
    for reply in replies:
        audience = dict(reply.audience)
        audience["phones"] = [stand_in if number == phone else number for number in audience.get("phones") or ()]
        reply.audience = audience
        reply.texts = {language: "" for language in reply.texts}
        reply.template_params = None
    session.execute(update(handoff).where(handoff.id.in_(closed)).values(phone=stand_in, last_message=""))


@dataclass
class Pass:
    """One pass of the workers over one request."""

    request_id: int
    events: int = 0
    inbox: int = 0
    outbox: int = 0
    files: int = 0
    conversations: int = 0  # the console's (nagarik.conversations), with their turns, links and notes
    holds: int = 0  # the channel's hold (an officer had the conversation)
    done: bool = False
    waiting: bool = False  # a turn of the citizen's was running: tried again next time


def due_requests(session: Session, now: dt.datetime) -> list[models.ErasureRequest]:
    request = models.ErasureRequest
    first = (request.passes == 0) & (request.requested_at <= now - FIRST_PASS_AFTER)
    again = (request.passes > 0) & (request.last_pass_at <= now - SECOND_PASS_AFTER)
    return list(session.execute(select(request).where(request.done_at.is_(None), first | again).order_by(request.id)).scalars())


def run_due_erasures(stores: Stores | None = None, now: dt.datetime | None = None) -> list[Pass]:
    """The workers' part of the erasures that are due (every minute; several workers may run it)."""
    now = now or clock.utcnow()
    with db.session_scope() as session:
        ids = [request.id for request in due_requests(session, now)]
    if not ids:
        return []
    stores = stores or Stores.from_settings()
    passes = []
    for request_id in ids:
        try:
            one = _run_pass(request_id, stores, now)
        except Exception:  # a store is away: this request is tried again next minute, the others go on
            logger.exception("erasure request %d: the pass failed; it is tried again", request_id)
            continue
        if one is not None:
            passes.append(one)
    return passes


def _run_pass(request_id: int, stores: Stores, now: dt.datetime) -> Pass | None:
    with db.session_scope() as session:
        request = session.get(models.ErasureRequest, request_id)
        if request is None or request.done_at is not None:
            return None
        phone, cutoff, media, passes = request.phone, request.cutoff, list(request.media), request.passes
    if channel_erasure.has_waiting(stores.channel, phone):
        return Pass(request_id, waiting=True)
    # Claim the pass: another worker running the same minute finds it taken.
    with db.session_scope() as session:
        table = models.ErasureRequest
        claimed = session.execute(
            update(table).where(table.id == request_id, table.passes == passes).values(passes=passes + 1, last_pass_at=now)
        ).rowcount
    if claimed != 1:
        return None
    try:
        result = _erase_outside(stores, phone, cutoff, media, request_id)
    except Exception:
        with db.session_scope() as session:  # not done: the next minute tries this pass again
            session.execute(update(models.ErasureRequest).where(models.ErasureRequest.id == request_id).values(passes=passes))
        raise
    with db.session_scope() as session:
        request = session.get(models.ErasureRequest, request_id)
        assert request is not None
        request.media = []
        if passes + 1 >= PASSES:
            request.done_at = now
            result.done = True
    return result


def _erase_outside(stores: Stores, phone: str, cutoff: float, media: list[str], request_id: int) -> Pass:
    result = Pass(request_id)
    files = set(media)
    if stores.tracker is not None:
        files |= trackers.media_refs(stores.tracker, phone, cutoff)
        result.events = trackers.erase(stores.tracker, phone, cutoff)
    forgotten = channel_erasure.erase_sender(stores.channel, phone, cutoff, alias())
    result.inbox, result.outbox = forgotten.inbox, forgotten.outbox
    with db.session_scope() as session:
        keep = evidence.linked(session, open_only=True)
        up_to = clock.from_epoch(cutoff)
        conversation = models.Conversation
        theirs = select(conversation.id).where(conversation.sender == phone, conversation.started_at <= up_to)
        result.conversations = delete_conversations(session, theirs)
        handoff = models.Handoff
        open_requests = db.count(session, select(handoff).where(handoff.phone == phone, handoff.status.in_(handoffs.OPEN)))
    if not open_requests:  # an open request is kept, and so is the silence an officer answering it needs
        result.holds = channel_erasure.erase_hold(stores.channel, phone, cutoff)
    result.files = evidence.remove(stores.evidence_dir, files, keep)
    return result


def delete_conversations(session: Session, chosen: Select[tuple[int]]) -> int:
    """The console's conversations whose ids `chosen` selects, with everything under them (their
    turns, links to cases, officials' notes); the number of conversations."""
    ids = list(session.execute(chosen).scalars())
    for start in range(0, len(ids), 500):  # bounded IN lists
        batch = ids[start : start + 500]
        for table in (models.Turn, models.ConversationLink, models.ConversationNote):
            session.execute(delete(table).where(table.conversation_id.in_(batch)))
        session.execute(delete(models.Conversation).where(models.Conversation.id.in_(batch)))
    return len(ids)
