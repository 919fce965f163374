"""The SLA sweep: the department's acknowledgement reminder, the citizen's interim reply at half the
SLA (in their language, never to an Open311 filing without consent), escalation up the category's
ladder; each once, whoever runs it and however often; one worker per 5-minute slot."""

import datetime as dt

from huey import MemoryHuey
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import grievances, me_too
from nagarik.db import models
from nagarik.outbound import broadcasts, queue, sla_sweep
from nagarik.outbound.messages import message_body
from nagarik.shared import clock

# Filed Thursday 24 Dec 2026 at 10:00 in Bengaluru; Christmas, then the 4th Saturday and Sunday.
FILED = dt.datetime(2026, 12, 24, 4, 30)


def at(day: int, month: int = 12, hour_utc: float = 5.0) -> dt.datetime:
    """That day of 2026 (or of 2027 for January) at 10:30 in Bengaluru unless told otherwise."""
    year = 2027 if month == 1 else 2026
    return dt.datetime(year, month, day) + dt.timedelta(hours=hour_utc)


def file(session, catalog, phone: str = "919845012345", language: str = "en", where: str = "4th cross"):
    return grievances.file_grievance(
        session, catalog, phone=phone, category="sanitation", description="Garbage not collected for days",
        location=where, language=language, now=FILED,
    ).grievance  # fmt: skip


def notes(session, grievance_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(models.GrievanceNote.kind, models.GrievanceNote.text)
        .where(models.GrievanceNote.grievance_id == grievance_id)
        .order_by(models.GrievanceNote.id)
    )
    return [tuple(row) for row in rows]


def interim_broadcasts(session) -> list[models.Broadcast]:
    return list(session.execute(select(models.Broadcast).where(models.Broadcast.template == "grievance_interim")).scalars())


def test_each_step_on_its_working_day_and_once(database, catalog):
    with db.session_scope() as session:
        grievance = file(session, catalog)  # sanitation: 3 working days, due Wednesday 30th
        gid = grievance.id
        assert grievance.due_on == dt.date(2026, 12, 30)

    def sweep(now: dt.datetime) -> sla_sweep.SweepCounts:
        with db.session_scope() as session:
            return sla_sweep.run_sweep(session, catalog, now)

    # Monday 28th before the office opens: nothing yet; from 10:00, the department is reminded, once.
    assert sweep(at(28, hour_utc=4.0)) == sla_sweep.SweepCounts()
    assert sweep(at(28)) == sla_sweep.SweepCounts(ack_reminders=1)
    assert sweep(at(28, hour_utc=9)) == sla_sweep.SweepCounts()
    # Tuesday 29th: half of 3 working days (rounded up, 2) has passed: the citizen is told, once.
    assert sweep(at(29)) == sla_sweep.SweepCounts(interim_replies=1)
    assert sweep(at(29, hour_utc=6)) == sla_sweep.SweepCounts()
    # Wednesday 30th, the deadline: the department head; 7 working days later, the supervisor.
    assert sweep(at(30)) == sla_sweep.SweepCounts(escalations=1)
    assert sweep(at(6, month=1)) == sla_sweep.SweepCounts()
    assert sweep(at(7, month=1)) == sla_sweep.SweepCounts(escalations=1)  # 10 working days (Saturday the 2nd was one)
    assert sweep(at(11, month=1, hour_utc=10)) == sla_sweep.SweepCounts()
    with db.session_scope() as session:
        grievance = session.get(models.Grievance, gid)
        assert grievance.escalation_level == 2 and grievance.escalated_at == at(7, month=1)
        assert grievance.ack_reminded_at == at(28) and grievance.interim_sent_at == at(29)
        assert notes(session, gid) == [
            ("ack_reminder", "not acknowledged 1 working day after filing"),
            ("escalated", "level 1: department_head"),
            ("escalated", "level 2: supervisor"),
        ]
        assert len(interim_broadcasts(session)) == 1


def test_acknowledged_resolved_and_late_grievances(database, catalog):
    with db.session_scope() as session:
        acknowledged = file(session, catalog, phone="919845000001")
        acknowledged.acknowledged_at = FILED + dt.timedelta(hours=2)
        resolved = file(session, catalog, phone="919845000002")
        resolved.status = "resolved"
        forgotten = file(session, catalog, phone="919845000003")
        ids = acknowledged.id, resolved.id, forgotten.id
    with db.session_scope() as session:
        # The sweep was not run for weeks: the forgotten one goes straight to level 2, with one note,
        # and is not told it is "expected by" a date already past.
        counts = sla_sweep.run_sweep(session, catalog, at(20, month=1))
        assert counts == sla_sweep.SweepCounts(ack_reminders=1, interim_skipped=2, escalations=2)
        assert [kind for kind, _ in notes(session, ids[0])] == ["escalated"]
        assert notes(session, ids[1]) == []
        assert notes(session, ids[2]) == [
            ("ack_reminder", "not acknowledged 1 working day after filing"), ("escalated", "level 2: supervisor"),
        ]  # fmt: skip
        assert session.get(models.Grievance, ids[1]).escalation_level == 0
        assert interim_broadcasts(session) == []


def test_the_interim_reply_is_in_the_citizens_language(database, catalog):
    with db.session_scope() as session:
        session.add(models.Citizen(phone="919845012345", language="hi"))
        tracking_id = file(session, catalog, language="hi").tracking_id
        counts = sla_sweep.run_sweep(session, catalog, at(29))
        assert counts.interim_replies == 1
        [broadcast] = interim_broadcasts(session)
        assert broadcast.kind == "notification" and broadcast.created_by == sla_sweep.SYSTEM
        assert broadcast.status == "scheduled" and broadcast.send_at == at(29)
        assert broadcasts.materialize(session, broadcast) == 1
        row = models.BroadcastRecipient
        [recipient] = session.execute(select(row).where(row.broadcast_id == broadcast.id)).scalars()
        assert (recipient.phone, recipient.language) == ("919845012345", "hi")
        body = message_body(broadcast, "hi", in_window=True, wards={})["text"]["body"]
        assert body == f"हम आपकी शिकायत {tracking_id} पर काम कर रहे हैं। इसके 30-12-2026 तक हल होने की उम्मीद है।"
        outside = message_body(broadcast, "hi", in_window=False, wards={})["template"]
        assert outside["name"] == "grievance_interim" and outside["language"]["code"] == "hi"
        assert [p["text"] for p in outside["components"][-1]["parameters"]] == [tracking_id, "30-12-2026"]


def test_citizens_who_joined_get_the_interim_reply_too(database, catalog):
    with db.session_scope() as session:
        grievance = file(session, catalog)
        me_too.join(session, grievance, "919845077777", "kn", now=FILED)
        forgotten = me_too.join(session, grievance, "919845066666", "en", now=FILED)
        forgotten.phone = "erased:x"  # an erased joiner: nobody to tell
        lone = file(session, catalog, phone="open311:city-app", where="9th main")  # no consent, but a joiner
        lone.source = "open311"
        me_too.join(session, lone, "919845055555", "hi", now=FILED)
    with db.session_scope() as session:
        assert sla_sweep.run_sweep(session, catalog, at(29)).interim_replies == 2
        audiences = sorted(b.audience["phones"] for b in interim_broadcasts(session))
        assert audiences == [["919845012345", "919845077777"], ["919845055555"]]


def test_an_open311_filing_without_whatsapp_consent_gets_no_message(database, catalog):
    with db.session_scope() as session:
        placeholder = file(session, catalog, phone="open311:city-app", where="9th main")
        placeholder.source, placeholder.contact_phone = "open311", "919845099999"
        consenting = file(session, catalog, phone="919845012345", where="11th main")
        consenting.source = "open311"  # a consenting citizen's own number: told like any other
        ids = placeholder.id, consenting.id
    with db.session_scope() as session:
        assert sla_sweep.run_sweep(session, catalog, at(29)) == sla_sweep.SweepCounts(
            ack_reminders=2, interim_replies=1, interim_skipped=1
        )
        assert [b.audience["phones"] for b in interim_broadcasts(session)] == [["919845012345"]]
        assert session.get(models.Grievance, ids[0]).interim_sent_at == at(29)  # marked: not tried again
        assert sla_sweep.run_sweep(session, catalog, at(29, hour_utc=7)) == sla_sweep.SweepCounts()


def test_one_worker_sweeps_each_five_minute_slot(database, catalog, monkeypatch):
    monkeypatch.setattr(queue, "huey", MemoryHuey("sla-test", immediate=True))
    now = dt.datetime(2026, 12, 29, 5, 3)
    assert queue.claim_sla_sweep(now) and not queue.claim_sla_sweep(now + dt.timedelta(minutes=1))  # another worker
    assert queue.claim_sla_sweep(now + dt.timedelta(minutes=2))  # 05:05: the next slot
    assert not queue.huey.storage.has_data_for_key(queue.SLA_SWEEP_CLAIM + "2026-12-29T05:00:00")

    runs = []
    monkeypatch.setattr(sla_sweep, "run_sweep", lambda session, catalog, now: runs.append(now))
    with clock.frozen(dt.datetime(2026, 12, 29, 5, 11)):
        queue.run_sla_sweep()
        queue.run_sla_sweep()  # a second worker's periodic task in the same slot
    with clock.frozen(dt.datetime(2026, 12, 29, 5, 15)):
        queue.run_sla_sweep()
    assert runs == [dt.datetime(2026, 12, 29, 5, 11), dt.datetime(2026, 12, 29, 5, 15)]


def test_the_demo_clock_moves_only_demo_processes_and_its_command_sweeps(database, catalog, monkeypatch, tmp_path, capsys):
    from nagarik.officials.cli import main

    real = at(24, hour_utc=6)  # Thursday 24th, 11:30 in Bengaluru
    monkeypatch.setattr(clock, "_real_utcnow", lambda: real)
    monkeypatch.setattr(clock, "DEMO_CLOCK_FILE", tmp_path / "demo-clock")
    monkeypatch.setattr(clock, "_demo_offset", None)
    monkeypatch.delenv(clock.DEMO_CLOCK_VARIABLE, raising=False)
    with db.session_scope() as session:
        gid = file(session, catalog).id
    assert main(["clock", "advance", "5d"]) == 1 and "refused" in capsys.readouterr().err  # not a demo: never moved
    assert not (tmp_path / "demo-clock").exists() and clock.utcnow() == real

    monkeypatch.setenv(clock.DEMO_CLOCK_VARIABLE, "1")
    assert main(["clock", "advance", "5d"]) == 0  # Tuesday 29th: reminded and told
    assert "1 acknowledgement reminders, 1 interim replies" in capsys.readouterr().out
    assert clock.utcnow() == real + dt.timedelta(days=5)
    assert main(["clock", "advance", "36h"]) == 0  # Wednesday 30th 23:30: the deadline, the department head
    assert "0 acknowledgement reminders, 0 interim replies (0 without a message), 1 escalations" in capsys.readouterr().out
    assert (tmp_path / "demo-clock").read_text().strip() == str(int(dt.timedelta(days=6, hours=12).total_seconds()))
    with db.session_scope() as session:
        assert session.get(models.Grievance, gid).escalation_level == 1
    monkeypatch.delenv(clock.DEMO_CLOCK_VARIABLE)
    assert clock.utcnow() == real  # a process without the setting keeps the real time
    monkeypatch.setenv(clock.DEMO_CLOCK_VARIABLE, "1")
    assert main(["clock", "reset"]) == 0 and clock.utcnow() == real and not (tmp_path / "demo-clock").exists()
