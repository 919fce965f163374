"""Broadcasts end to end: the CLI queues them, Huey workers (real processes) send them through the
simulator, within the window rules, the audience, priorities and pacing; a killed worker resumes."""

from __future__ import annotations

import os
import signal
from collections import Counter

from conftest import broadcast_id, sent_to, wait_until
from sqlalchemy import select

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.shared import clock


def test_announcement_reaches_only_its_audience_in_their_language_and_window(office, citizen):
    office.citizen("919811000001", ("water_supply",), "jayanagar", "kn")  # writes first: inside the window
    office.citizen("919811000002", ("water_supply",), "jayanagar", "hi")  # never wrote: template only
    office.citizen("919811000003", ("water_supply",), "basavanagudi")  # another ward
    office.citizen("919811000004", ("water_supply",), "jayanagar", stop=True)  # said STOP
    office.citizen("919811000005", ("health",), "jayanagar")  # another topic
    citizen("919811000001").say("ಕಚೇರಿ ಸಮಯ ಏನು")
    office.start_worker()
    output = office.cli(
        "announce",
        "--wards",
        "jayanagar",
        "--topics",
        "water_supply",
        "--yes",
        "--en",
        "Water supply off on Friday 10 am to 4 pm",
        "--hi",
        "शुक्रवार सुबह 10 से शाम 4 बजे तक पानी बंद रहेगा",
        "--kn",
        "ಶುಕ್ರವಾರ ಬೆಳಿಗ್ಗೆ 10 ರಿಂದ ಸಂಜೆ 4 ರವರೆಗೆ ನೀರು ಇರುವುದಿಲ್ಲ",
    )
    assert "to 2 citizens" in output
    state = office.wait_done(broadcast_id(output))
    assert state.states["sent"] + state.states.get("delivered", 0) + state.states.get("read", 0) == 2
    inside = sent_to("919811000001")[-1]["payload"]
    assert inside["type"] == "text" and "ನೀರು" in inside["text"]["body"]
    outside = sent_to("919811000002")[-1]["payload"]
    assert outside["type"] == "template" and outside["template"]["name"] == "announcement"
    assert outside["template"]["language"]["code"] == "hi"
    for phone in ("919811000003", "919811000004", "919811000005"):
        assert sent_to(phone) == [], phone


def test_an_emergency_overtakes_a_bulk_send_already_queued(office):
    # 400 copies at 20/s last 20 s: time enough for the alert's command to start on a busy machine.
    bulk = [f"9198120{n:05d}" for n in range(400)]
    for phone in bulk:
        office.citizen(phone, ("events",), "jayanagar")
    flooded = [f"9198130{n:05d}" for n in range(10)]
    for phone in flooded:
        office.citizen(phone, ("health",), "basavanagudi")
    # One worker thread: after the alert is created, which batch goes next is decided by the
    # queue's priorities alone, whatever the machine's speed.
    office.start_worker(threads=1)
    announcement = broadcast_id(
        office.cli("announce", "--topics", "events", "--yes", "--en", "Dasara celebrations at the grounds")
    )
    wait_until(lambda: any(sent_to(phone) for phone in bulk), "the bulk send to be under way")
    alert = broadcast_id(
        office.cli("alert", "--wards", "basavanagudi", "--yes", "--en", "Flooding near the bull temple, avoid the underpass")
    )
    with db.session_scope() as session:  # bulk copies nobody had claimed yet when the alert was created
        row = models.BroadcastRecipient
        still_queued = (
            session.execute(select(row.phone).where(row.broadcast_id == announcement, row.state == "queued")).scalars().all()
        )
    assert still_queued, "the bulk send ended before the alert was created"
    office.wait_done(alert)
    office.wait_done(announcement)
    alert_seqs = [m["seq"] for phone in flooded for m in sent_to(phone)]
    queued_seqs = [m["seq"] for phone in still_queued for m in sent_to(phone)]
    assert len(alert_seqs) == 10 and len(queued_seqs) == len(still_queued)
    assert max(alert_seqs) < min(queued_seqs)  # every alert copy went before every copy still queued


def test_a_worker_killed_mid_broadcast_is_resumed_with_no_duplicate_and_no_loss(office):
    phones = [f"9198140{n:05d}" for n in range(120)]
    for phone in phones:
        office.citizen(phone, ("taxes_fees",), "jayanagar")
    worker = office.start_worker()
    broadcast = broadcast_id(
        office.cli("announce", "--topics", "taxes_fees", "--yes", "--en", "Property tax: 5% rebate until 30 April")
    )
    wait_until(lambda: sum(len(sent_to(p)) for p in phones[:60]) >= 20, "some copies to go out")
    os.kill(worker.pid, signal.SIGKILL)  # mid-broadcast, without warning
    worker.wait()

    def leases_run_out() -> bool:
        with db.session_scope() as session:
            row = models.BroadcastRecipient
            held = select(row.id).where(row.broadcast_id == broadcast, row.state == "sending", row.lease_until >= clock.utcnow())
            return session.execute(held.limit(1)).first() is None

    wait_until(leases_run_out, "the dead worker's leases to run out")
    office.start_worker()  # sweeps at start-up
    office.cli("resume")
    state = office.wait_done(broadcast)
    per_phone = Counter({phone: len(sent_to(phone)) for phone in phones})
    assert set(per_phone.values()) == {1}, {p: c for p, c in per_phone.items() if c != 1}
    assert state.total == 120 and not state.failures


def test_a_stage_change_reaches_the_applicant_as_the_approved_template(office):
    office.start_worker()
    output = office.cli("stage", "TL-2026-000981", "approval", "--expected", "2026-12-05")
    office.wait_done(broadcast_id(output))
    payload = sent_to("919845012345")[-1]["payload"]  # the applicant never wrote: outside the window
    assert payload["type"] == "template" and payload["template"]["name"] == "application_update"
    parameters = [p["text"] for p in payload["template"]["components"][0]["parameters"]]
    assert parameters[0] == "TL-2026-000981"


def test_sends_that_time_out_are_retried_never_failed_and_never_doubled(office, sim):
    """Meta's answer to a send may never come (a timeout). Such a copy is tried again later, after
    a look for its status webhook: a copy Meta had taken is not sent twice, and none ends failed."""
    phones = [f"9198150{n:05d}" for n in range(12)]
    for phone in phones:
        office.citizen(phone, ("power_cuts",), "jayanagar")
    # The first 4 sends time out after Meta took them; the next 4 time out and are lost.
    sim.post("/_sim/faults", json={"kind": "timeout", "delay_ms": 4000, "deliver": True, "count": 4}).raise_for_status()
    office.start_worker()
    output = office.cli("announce", "--topics", "power_cuts", "--yes", "--en", "Power cut on 5th cross from 2 pm")
    assert "to 12 citizens" in output
    broadcast = broadcast_id(output)
    wait_until(lambda: sum(len(sent_to(p)) for p in phones) >= 4, "the first sends")
    sim.post("/_sim/faults", json={"kind": "timeout", "delay_ms": 4000, "count": 4}).raise_for_status()
    state = office.wait_done(broadcast)
    assert state.states["failed"] == 0 and not state.failures, state
    assert {phone: len(sent_to(phone)) for phone in phones} == dict.fromkeys(phones, 1)  # everyone once


def test_officials_see_delivered_read_and_failed_counts_from_metas_statuses(office, sim):
    readers = [f"9198160{n:05d}" for n in range(5)]
    unreachable = "919816099999"
    for phone in [*readers, unreachable]:
        office.citizen(phone, ("elections",), "jayanagar")
    sim.post("/_sim/config", json={"undeliverable": [unreachable]}).raise_for_status()
    try:
        office.start_worker()
        output = office.cli("announce", "--topics", "elections", "--yes", "--en", "Voter list revision camp on Sunday")
        assert "to 6 citizens" in output
        broadcast = broadcast_id(output)
        office.wait_done(broadcast)

        def counted() -> broadcasts.Progress | None:
            with db.session_scope() as session:
                state = broadcasts.progress(session, broadcast)
            return state if state.states["read"] == 5 and state.states["failed"] == 1 else None

        state = wait_until(counted, "Meta's statuses in the broadcast's progress")  # sent -> delivered -> read
    finally:
        sim.post("/_sim/config", json={"undeliverable": []}).raise_for_status()
    assert state.total == 6 and state.failures == {131026: 1}
    shown = office.cli("progress", str(broadcast))
    assert "read 5" in shown and "failed 1" in shown and "error 131026: 1" in shown
