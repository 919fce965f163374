"""A citizen's data rights: what is held for a number, erasure (the civic part at once, the rest by
the workers in two passes), names taken from what citizens write. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER
from side_stores import (
    add_event,
    add_file,
    add_inbound,
    add_outbound,
    epoch,
    events_of,
    inbound_row,
    outbound_row,
    stored_name,
    stores,
)
from sqlalchemy import select
from test_purge import broadcast, copies, failed_check, grievance

from nagarik import db
from nagarik.citizens import data_rights, handoffs, profiles, subscriptions
from nagarik.citizens.names import name_in_text
from nagarik.conversations import consumer
from nagarik.conversations import events as conversation_events
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience
from whatsapp.cloud.erasure import ERASED
from whatsapp.cloud.store import HELD
from whatsapp.payloads import intent_payload

__all__ = ["stores"]  # the fixture

NOW = dt.datetime(2027, 6, 1, 12, 0, 0)
CUTOFF = epoch(NOW)


def a_full_record(phone: str = DEMO_SENDER) -> int:
    """Everything a citizen can leave with us, and some of someone else's; returns a finished
    broadcast both got."""
    with db.session_scope() as session:
        subscriptions.notice_shown(session, phone)
        subscriptions.subscribe(session, phone, "water_supply")
        subscriptions.set_ward(session, phone, "jayanagar")
        profiles.remember_language(session, phone, "kn", chosen=True)
        profiles.set_name(session, phone, "Asha Rao")
        session.add(grievance("GRV-2027-000001", phone, "registered", "file:" + stored_name("open")))
        session.add(grievance("GRV-2027-000002", phone, "resolved", "file:" + stored_name("closed")))
        session.add(grievance("GRV-2027-000003", OTHER_SENDER, "registered"))
        handoffs.request_handoff(session, phone, "kn", "please call me about my tax", now=NOW)
        closed = handoffs.request_handoff(session, OTHER_SENDER, "en", "x", now=NOW).handoff
        closed.phone, closed.status = phone, "closed"  # an earlier request of theirs, answered
        session.add(failed_check(phone, NOW - dt.timedelta(hours=2)))
        session.add(failed_check(phone, NOW - dt.timedelta(days=3)))
        session.add(failed_check(phone, NOW - dt.timedelta(days=8)))
        session.add(models.StatusCheckPass(sender=phone, application_number="TL-2026-000981", created_at=NOW))
        session.add(models.CitizenDate(phone=phone, kind="licence_expiry", due_on=dt.date(2027, 12, 30), reference="TL/1"))
        open_poll = models.Poll(question={"en": "?"}, options=[], audience={}, status="open", created_by="t")
        closed_poll = models.Poll(question={"en": "?"}, options=[], audience={}, status="closed", created_by="t")
        session.add_all([open_poll, closed_poll])
        session.flush()
        for poll in (open_poll, closed_poll):
            session.add(models.PollAnswer(poll_id=poll.id, phone=phone, option_key="yes", comment="near my house", language="kn"))
        session.add(models.Certificate(code="NGK-TEST-0001", application_number="BC-2026-001234", phone=phone, sha256="0" * 64))
        return broadcast(session, "done", {phone: NOW, OTHER_SENDER: NOW})


def registered_applications() -> list[models.Application]:
    with db.session_scope() as session:
        return list(session.execute(select(models.Application).where(models.Application.phone == DEMO_SENDER)).scalars())


def test_what_is_held_for_a_number_and_only_that_number(database):
    a_full_record()
    with db.session_scope() as session:
        held = data_rights.held(session, DEMO_SENDER)
        nobody = data_rights.held(session, "919000000000")
    assert (held.name, held.language, held.ward_key) == ("Asha Rao", "kn", "jayanagar")
    assert [topic for topic, _ in held.topics] == ["water_supply"]
    assert [(c.purpose, c.granted) for c in held.consents] == [("ward", True), ("water_supply", True)]  # newest first
    registered = {a.number for a in registered_applications()}
    assert "BC-2026-001234" in registered and {a.number for a in held.applications} == registered
    assert held.checked == ["BC-2026-001234"] and held.verified == ["TL-2026-000981"]
    assert held.certificates == 1 and held.poll_answers == 2
    assert sorted(g.tracking_id for g in held.grievances) == ["GRV-2027-000001", "GRV-2027-000002"]
    assert sorted(h.status for h in held.handoffs) == ["closed", "open"]
    assert held.dates == [("licence_expiry", dt.date(2027, 12, 30))]
    assert held.retention.messages == dt.timedelta(days=365) and not held.erasure_pending
    assert nobody.name is None and nobody.topics == nobody.grievances == nobody.consents == []


def test_topics_held_by_stop_are_told_apart_from_those_that_reach_the_citizen(database):
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "water_supply")
        subscriptions.stop_all(session, DEMO_SENDER, now=NOW)
        subscriptions.subscribe(session, DEMO_SENDER, "health")  # a new opt-in after STOP: that topic only
        held = data_rights.held(session, DEMO_SENDER)
    assert [topic for topic, _ in held.topics] == ["health"] and held.held_topics == ["water_supply"]
    assert held.opted_out_at == NOW


def test_erasure_removes_the_civic_record_at_once_and_keeps_what_must_stay(database):
    both_got = a_full_record()
    with db.session_scope() as session:
        kept = data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    expected = data_rights.Kept(open_grievances=1, open_handoffs=1, consents=5, recent_failed_checks=1)
    assert kept == dataclasses.replace(expected, applications=len(registered_applications()))
    with db.session_scope() as session:
        citizen = session.get(models.Citizen, DEMO_SENDER)
        assert (citizen.name, citizen.ward_key, citizen.language, citizen.notice_version) == (None, None, None, None)
        assert citizen.opted_out_at == NOW and subscriptions.needs_notice(session, DEMO_SENDER)
        assert broadcasts.audience_size(session, "emergency", Audience(wards=("jayanagar",))) == 0
        held = data_rights.held(session, DEMO_SENDER)
        assert held.topics == [] and held.dates == [] and held.poll_answers == 0 and held.certificates == 0
        # The consent ledger keeps every grant, and now the withdrawals too.
        ledger = [(c.purpose, c.granted) for c in reversed(held.consents)]
        assert ledger == [("water_supply", True), ("ward", True), ("water_supply", False), ("ward", False), ("all", False)]
        # The open complaint stays as it was; the resolved one stays for the office without the person.
        assert [g.tracking_id for g in held.grievances] == ["GRV-2027-000001"]
        closed = session.execute(select(models.Grievance).where(models.Grievance.tracking_id == "GRV-2027-000002")).scalar_one()
        assert closed.phone.startswith("erased:")
        assert (closed.description, closed.location_text, closed.evidence_ref) == ("", "", None)
        assert [h.status for h in held.handoffs] == ["open"]
        assert held.checked == ["BC-2026-001234"] and held.verified == []  # the last day's failed check only
        failures = session.execute(select(models.StatusCheckFailure).order_by(models.StatusCheckFailure.created_at)).scalars()
        # A week's failed checks stay for the application's own limit, without the number; older ones go.
        assert [(f.sender == DEMO_SENDER, f.sender.startswith("erased:")) for f in failures] == [(False, True), (True, False)]
        answers = session.execute(select(models.PollAnswer)).scalars().all()
        assert len(answers) == 1 and answers[0].phone.startswith("erased:") and answers[0].comment is None  # the closed poll's
        certificate = session.get(models.Certificate, "NGK-TEST-0001")
        assert certificate.phone == closed.phone  # one stand-in per erasure; verification still works
        assert OTHER_SENDER in copies(session, both_got) and DEMO_SENDER not in copies(session, both_got)
        request = session.execute(select(models.ErasureRequest)).scalar_one()
        assert (request.phone, request.cutoff, request.media, request.passes) == (DEMO_SENDER, CUTOFF, [stored_name("closed")], 0)
        assert data_rights.erasure_pending(session, DEMO_SENDER)
        # Someone else's records are untouched.
        assert data_rights.held(session, OTHER_SENDER).grievances[0].tracking_id == "GRV-2027-000003"


def test_the_workers_erase_the_conversation_texts_and_media_in_two_passes(database, stores):
    a_full_record()
    add_event(stores, DEMO_SENDER, CUTOFF - 60, text=intent_payload("inform", media_type="image", media_ref=stored_name("stray")))
    add_event(stores, DEMO_SENDER, CUTOFF - 30, text="delete my data")
    add_event(stores, DEMO_SENDER, CUTOFF + 1, kind="bot", text="Done. ...")  # the reply, after the request
    add_event(stores, OTHER_SENDER, CUTOFF - 30, text="hello")
    said = add_inbound(stores, DEMO_SENDER, CUTOFF - 30, body="my house is at 12 main road")
    replied = add_outbound(stores, DEMO_SENDER, CUTOFF - 7200, callback=f"broadcast:1:{DEMO_SENDER}")
    theirs = add_inbound(stores, OTHER_SENDER, CUTOFF - 30)
    files = {tag: add_file(stores, stored_name(tag)) for tag in ("open", "closed", "stray", "someone_elses")}
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)

    assert data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(seconds=30)) == []  # the turn may still run
    first = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=1))
    assert [(p.events, p.inbox, p.outbox, p.files, p.done) for p in first] == [(2, 1, 1, 2, False)]
    assert events_of(stores, DEMO_SENDER) == [CUTOFF + 1] and events_of(stores, OTHER_SENDER) == [CUTOFF - 30]
    row = inbound_row(stores, said)
    assert row["message"] == ERASED and row["sender"].startswith("erased:")
    sent = outbound_row(stores, replied)
    assert sent["body"] is None and sent["callback_data"] is None and sent["recipient"].startswith("erased:")
    assert "hello" in inbound_row(stores, theirs)["message"]
    assert [tag for tag, path in files.items() if path.exists()] == ["open", "someone_elses"]

    # A turn that was running wrote back events it had loaded: the second pass removes them.
    add_event(stores, DEMO_SENDER, CUTOFF - 30, text="delete my data")
    assert data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=3)) == []
    second = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=6))
    assert [(p.events, p.done) for p in second] == [(1, True)]
    assert events_of(stores, DEMO_SENDER) == [CUTOFF + 1]
    assert data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(hours=1)) == []
    with db.session_scope() as session:
        request = session.execute(select(models.ErasureRequest)).scalar_one()
        assert request.done_at == NOW + dt.timedelta(minutes=6) and request.passes == 2 and request.media == []
        assert not data_rights.erasure_pending(session, DEMO_SENDER)


def test_a_pass_waits_while_a_message_of_the_citizen_is_being_answered(database, stores):
    add_event(stores, DEMO_SENDER, CUTOFF - 30, text="delete my data")
    add_inbound(stores, DEMO_SENDER, CUTOFF + 5, body="one more thing", state="processing")
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    waited = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=2))
    assert [(p.waiting, p.events) for p in waited] == [(True, 0)] and events_of(stores, DEMO_SENDER) == [CUTOFF - 30]
    with db.session_scope() as session:
        assert session.execute(select(models.ErasureRequest.passes)).scalar_one() == 0  # tried again next minute


def test_two_workers_running_the_same_minute_make_one_pass(database, stores, monkeypatch):
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
        request_id = session.execute(select(models.ErasureRequest.id)).scalar_one()

    def the_other_worker_claims_first(store, sender):
        with db.session_scope() as session:
            session.get(models.ErasureRequest, request_id).passes = 1
        return False

    monkeypatch.setattr(data_rights.channel_erasure, "has_waiting", the_other_worker_claims_first)
    monkeypatch.setattr(data_rights, "_erase_outside", lambda *args: pytest.fail("the pass was made twice"))
    assert data_rights._run_pass(request_id, stores, NOW + dt.timedelta(minutes=2)) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my name is asha rao", "Asha Rao"),
        ("pls change my name to Ravi Kumar.", "Ravi Kumar"),
        ("mera naam sunita devi hai", "Sunita Devi"),
        ("naam badal ke imran khan kar do", "Imran Khan"),
        ("मेरा नाम आशा राव है", "आशा राव"),
        ("नाम बदलकर रमेश कर दो", "रमेश"),
        ("ನನ್ನ ಹೆಸರು ಆಶಾ ರಾವ್", "ಆಶಾ ರಾವ್"),
        ("ನನ್ನ ಹೆಸರನ್ನು ರವಿ ಕುಮಾರ್ ಎಂದು ಬದಲಿಸಿ", "ರವಿ ಕುಮಾರ್"),
        ("change my name", None),
        ("my name is wrong", None),
        ("mera naam galat hai", None),
        ("मेरा नाम बदलना है", None),
        ("ನನ್ನ ಹೆಸರು ತಪ್ಪಾಗಿದೆ", None),
        ("my name is 98450 12345", None),
        ("my name is asha rao and i live near the big temple in jayanagar", None),
    ],
)
def test_a_name_is_taken_only_where_the_message_gives_it(text, name):
    assert name_in_text(text) == name


def test_a_pass_that_fails_is_tried_again_and_the_others_go_on(database, stores, monkeypatch):
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
        data_rights.erase(session, OTHER_SENDER, CUTOFF, now=NOW)
    real = data_rights._erase_outside

    def tracker_store_away_for_the_first(stores, phone, *args):
        if phone == DEMO_SENDER:
            raise ConnectionError("the tracker store is away")
        return real(stores, phone, *args)

    monkeypatch.setattr(data_rights, "_erase_outside", tracker_store_away_for_the_first)
    done = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=1))
    assert len(done) == 1
    with db.session_scope() as session:
        passes = dict(session.execute(select(models.ErasureRequest.phone, models.ErasureRequest.passes)).all())
    assert passes == {DEMO_SENDER: 0, OTHER_SENDER: 1}


# --- the officials' console: conversations, notes on grievances, officers' replies, holds ----------


def consumed(sender: str, at: float, text: str, kind: str = "user") -> None:
    """An event as the console's consumer takes it from Rasa's event broker (nagarik.conversations)."""
    body = {"sender_id": sender, "event": kind, "timestamp": at, "text": text}
    if kind == "user":
        body["parse_data"] = {"intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    with db.session_scope() as session:
        consumer.apply(session, [conversation_events.read(json.dumps(body))])


def conversation_with_note(sender: str, at: float, text: str) -> int:
    consumed(sender, at, text)
    with db.session_scope() as session:
        query = select(models.Conversation).where(models.Conversation.sender == sender)
        conversation = session.execute(query.order_by(models.Conversation.id.desc()).limit(1)).scalar_one()
        session.add(models.ConversationNote(conversation_id=conversation.id, author="officer", text=f"called {sender}"))
        return conversation.id


def console_rows(sender: str) -> dict[str, int]:
    conversation = models.Conversation
    theirs = select(conversation.id).where(conversation.sender == sender)
    with db.session_scope() as session:
        return {
            table.__tablename__: db.count(session, select(table).where(table.conversation_id.in_(theirs)))
            for table in (models.Turn, models.ConversationLink, models.ConversationNote)
        } | {"conversations": db.count(session, theirs)}


def hold_of(stores, sender: str) -> str | None:
    return stores.channel.hold_state(sender)


def test_the_workers_erase_the_consoles_conversations_and_the_hold_in_both_passes(database, stores):
    conversation_with_note(DEMO_SENDER, CUTOFF - 600, "about GRV-2027-000001: I live at 12 main road")
    consumed(DEMO_SENDER, CUTOFF - 30, "delete my data")
    conversation_with_note(OTHER_SENDER, CUTOFF - 600, "about GRV-2027-000003")
    stores.channel.hold(DEMO_SENDER, by="officer", now=CUTOFF - 3600)
    stores.channel.release(DEMO_SENDER)  # answered and given back; they did not write again
    stores.channel.hold(OTHER_SENDER, by="officer", now=CUTOFF - 60)
    assert console_rows(DEMO_SENDER) == {"turns": 2, "conversation_links": 1, "conversation_notes": 1, "conversations": 1}
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)

    first = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=1))
    assert [(p.conversations, p.holds, p.done) for p in first] == [(1, 1, False)]
    assert set(console_rows(DEMO_SENDER).values()) == {0} and hold_of(stores, DEMO_SENDER) is None
    # The consumer reads Rasa's broker about a minute late: the turn's events arrive after the first
    # pass, and being from before the cutoff they are not kept at all.
    consumed(DEMO_SENDER, CUTOFF - 1, "yes, erase")
    consumed(DEMO_SENDER, CUTOFF - 1, "Your data is being erased.", kind="bot")
    assert set(console_rows(DEMO_SENDER).values()) == {0}
    second = data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=6))
    assert [p.done for p in second] == [True]
    assert set(console_rows(DEMO_SENDER).values()) == {0}
    # Someone else's conversation, its note and their hold are untouched.
    assert console_rows(OTHER_SENDER) == {"turns": 1, "conversation_links": 1, "conversation_notes": 1, "conversations": 1}
    assert hold_of(stores, OTHER_SENDER) == HELD


def test_a_conversation_begun_after_the_request_and_a_hold_for_an_open_request_stay(database, stores):
    """What came after the cutoff is not the erasure's (as Rasa's tracker keeps it); an officer who
    holds the conversation of a request the erasure kept goes on answering it."""
    consumed(DEMO_SENDER, CUTOFF - 30, "delete my data")
    with db.session_scope() as session:
        request = handoffs.request_handoff(session, DEMO_SENDER, "en", "please call me", now=NOW).handoff
        request.status = "taken"
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    stores.channel.hold(DEMO_SENDER, by="officer", now=CUTOFF - 10)
    with db.session_scope() as session:
        session.add(models.Conversation(
            sender=DEMO_SENDER, started_at=NOW + dt.timedelta(minutes=2), last_at=NOW + dt.timedelta(minutes=2),
            user_messages=0, bot_messages=0, fallbacks=0, low_confidence=0, has_handoff=False, has_grievance=False, tags=[],
        ))  # fmt: skip
    for minutes in (1, 6):
        data_rights.run_due_erasures(stores, now=NOW + dt.timedelta(minutes=minutes))
    with db.session_scope() as session:
        left = session.execute(select(models.Conversation.started_at).where(models.Conversation.sender == DEMO_SENDER))
        assert left.scalars().all() == [NOW + dt.timedelta(minutes=2)]
        assert not data_rights.erasure_pending(session, DEMO_SENDER)
    assert hold_of(stores, DEMO_SENDER) == HELD


def work_on(session, tracking_id: str) -> None:
    grievance_row = session.execute(select(models.Grievance).where(models.Grievance.tracking_id == tracking_id)).scalar_one()
    grievance_row.notes.append(models.GrievanceNote(kind="note", author="officer", text="his neighbour Ravi says 12 main road"))
    grievance_row.notes.append(models.GrievanceNote(kind="assigned", author="head", text="Ravi knows him", detail="officer"))


def notes_of(session, tracking_id: str) -> list[tuple[str, str, str, str]]:
    note = models.GrievanceNote
    query = select(note.kind, note.author, note.text, note.detail).join(models.Grievance)
    return [tuple(row) for row in session.execute(query.where(models.Grievance.tracking_id == tracking_id).order_by(note.id))]


def test_erasure_removes_the_officials_notes_on_closed_complaints_and_keeps_an_open_ones(database):
    with db.session_scope() as session:
        session.add(grievance("GRV-2027-000001", DEMO_SENDER, "registered"))
        session.add(grievance("GRV-2027-000002", DEMO_SENDER, "resolved"))
        session.add(grievance("GRV-2027-000003", OTHER_SENDER, "resolved"))
        session.flush()
        for tracking_id in ("GRV-2027-000001", "GRV-2027-000002", "GRV-2027-000003"):
            work_on(session, tracking_id)
    as_written = [
        ("note", "officer", "his neighbour Ravi says 12 main road", ""),
        ("assigned", "head", "Ravi knows him", "officer"),
    ]
    with db.session_scope() as session:
        kept = data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    assert kept.open_grievances == 1
    with db.session_scope() as session:
        assert notes_of(session, "GRV-2027-000001") == as_written  # the office still works it
        assert notes_of(session, "GRV-2027-000002") == [("assigned", "head", "", "officer")]  # the work done, no words
        assert notes_of(session, "GRV-2027-000003") == as_written  # someone else's


def test_erasure_takes_the_citizen_as_the_contact_of_closed_complaints_another_system_filed(database):
    """Open311: a city app filed it with the citizen's number as the contact (not the one notified)."""
    with db.session_scope() as session:
        for tracking_id, status in (("GRV-2027-000011", "resolved"), ("GRV-2027-000012", "registered")):
            row = grievance(tracking_id, "open311:city-app", status)
            row.source, row.contact_phone, row.contact_name = "open311", DEMO_SENDER, "Asha"
            session.add(row)
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    with db.session_scope() as session:
        rows = session.execute(select(models.Grievance).order_by(models.Grievance.tracking_id)).scalars()
        assert [(row.contact_phone, row.contact_name) for row in rows] == [(None, None), (DEMO_SENDER, "Asha")]


def officer_reply(session, handoff: models.Handoff, status: str, text: str) -> int:
    reply = models.Broadcast(
        kind="reply", priority=10, texts={"en": text, "hi": text}, audience=Audience(phones=(handoff.phone,)).as_dict(),
        template="officer_reply", template_params={"en": [handoff.reference, text]}, status=status, created_by="officer",
        handoff_id=handoff.id,
    )  # fmt: skip
    session.add(reply)
    session.flush()
    return reply.id


def test_erasure_takes_the_number_and_words_from_the_officers_replies_in_closed_requests(database):
    with db.session_scope() as session:
        closed = handoffs.request_handoff(session, DEMO_SENDER, "en", "my pension stopped", now=NOW).handoff
        closed.status, closed.outcome = "closed", "answered"
        closed_reply = officer_reply(session, closed, "done", "Asha, your pension resumes on Monday")
        session.flush()
        still_open = handoffs.request_handoff(session, DEMO_SENDER, "en", "and my ration card?", now=NOW).handoff
        still_open.status = "taken"
        open_reply = officer_reply(session, still_open, "done", "Looking into it, Asha")
        theirs = handoffs.request_handoff(session, OTHER_SENDER, "en", "x", now=NOW).handoff
        theirs.status = "closed"
        their_reply = officer_reply(session, theirs, "done", "Done, Ravi")
    with db.session_scope() as session:
        data_rights.erase(session, DEMO_SENDER, CUTOFF, now=NOW)
    with db.session_scope() as session:
        anonymised, kept, other = (session.get(models.Broadcast, i) for i in (closed_reply, open_reply, their_reply))
        request = session.get(models.Handoff, anonymised.handoff_id)
        assert request.phone.startswith("erased:") and request.last_message == "" and request.outcome == "answered"
        assert anonymised.audience["phones"] == [request.phone] and anonymised.texts == {"en": "", "hi": ""}
        assert anonymised.template_params is None
        assert kept.audience["phones"] == [DEMO_SENDER] and kept.texts["en"] == "Looking into it, Asha"
        assert other.audience["phones"] == [OTHER_SENDER] and other.texts["en"] == "Done, Ravi"
