"""A citizen's data rights: what is held for a number, erasure (the civic part at once, the rest by
the workers in two passes), names taken from what citizens write. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

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
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience
from whatsapp.cloud.erasure import ERASED
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
        session.add(grievance("GRV-2027-000001", phone, "open", "file:" + stored_name("open")))
        session.add(grievance("GRV-2027-000002", phone, "resolved", "file:" + stored_name("closed")))
        session.add(grievance("GRV-2027-000003", OTHER_SENDER, "open"))
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
