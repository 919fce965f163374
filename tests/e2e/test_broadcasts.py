"""Broadcasts end to end: the CLI queues them, Huey workers (real processes) send them through the
simulator, within the window rules, the audience, priorities and pacing; a killed worker resumes."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

from conftest import broadcast_id, sent_to, wait_until

from nagarik import broadcasts, db


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
    bulk = [f"9198120{n:05d}" for n in range(160)]
    for phone in bulk:
        office.citizen(phone, ("events",), "jayanagar")
    flooded = [f"9198130{n:05d}" for n in range(10)]
    for phone in flooded:
        office.citizen(phone, ("health",), "basavanagudi")
    office.start_worker()
    announcement = broadcast_id(
        office.cli("announce", "--topics", "events", "--yes", "--en", "Dasara celebrations at the grounds")
    )
    time.sleep(1.5)  # the bulk send is under way, most of it still queued
    alert = broadcast_id(
        office.cli("alert", "--wards", "basavanagudi", "--yes", "--en", "Flooding near the bull temple, avoid the underpass")
    )
    office.wait_done(alert)
    with db.session_scope() as session:
        bulk_progress = broadcasts.progress(session, announcement)
    assert bulk_progress.finished < bulk_progress.total  # the alert finished while bulk copies were still waiting
    office.wait_done(announcement)
    alert_seqs = [m["seq"] for phone in flooded for m in sent_to(phone)]
    bulk_seqs = [m["seq"] for phone in bulk for m in sent_to(phone)]
    assert len(alert_seqs) == 10 and max(alert_seqs) < max(bulk_seqs)


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
    time.sleep(3.5)  # the dead worker's lease runs out
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
