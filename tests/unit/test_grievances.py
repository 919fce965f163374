"""Filing, routing, deadlines, near-duplicates and who may look a grievance up."""

import datetime as dt
import re

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER

from nagarik import db
from nagarik.catalog.office_hours import closure_reason
from nagarik.citizens import grievances
from nagarik.citizens.grievance_lifecycle import IllegalTransition

NOW = dt.datetime(2026, 11, 25, 5, 30)  # 11:00 IST, a Wednesday


def file(catalog, **overrides):
    values = dict(
        phone=DEMO_SENDER,
        category="streetlight",
        description="Streetlight not working for a week",
        location="5th Cross, near Ganesha temple, Jayanagar",
        language="en",
        now=NOW,
    )
    values.update(overrides)
    with db.session_scope() as session:
        filing = grievances.file_grievance(session, catalog, **values)
        return filing.grievance.tracking_id, filing.duplicate, filing.grievance


def test_filing_gives_id_department_deadline_and_ward(catalog):
    tracking_id, duplicate, grievance = file(catalog)
    assert not duplicate
    assert re.fullmatch(r"GRV-2026-\d{6}", tracking_id)
    category = catalog.category("streetlight")
    assert grievance.department_key == category.department
    assert grievance.ward_key == "jayanagar"
    # The deadline is sla_days working days later: never sooner, never on a closed day.
    assert grievance.due_on >= NOW.date() + dt.timedelta(days=category.sla_days)
    assert closure_reason(catalog, grievance.due_on) is None
    assert [event.status for event in grievance.events] == ["registered"] and grievance.status == "registered"


def test_tracking_ids_are_sequential(catalog):
    first, _, _ = file(catalog)
    second, _, _ = file(catalog, category="sanitation")
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_near_duplicate_within_a_day_points_to_the_existing_one(catalog):
    first, _, _ = file(catalog)
    again, duplicate, _ = file(catalog, location="5th cross near ganesha temple jayanagar", now=NOW + dt.timedelta(hours=3))
    assert duplicate and again == first
    with db.session_scope() as session:
        assert len(grievances.recent_grievances(session, DEMO_SENDER)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"location": "Basavanagudi bull temple road"},
        {"category": "sanitation"},
        {"phone": OTHER_SENDER},
        {"now": NOW + dt.timedelta(hours=25)},
    ],
)
def test_not_a_duplicate_when_place_category_sender_or_day_differ(catalog, change):
    first, _, _ = file(catalog)
    second, duplicate, _ = file(catalog, **change)
    assert not duplicate and second != first


def test_only_the_filer_can_look_it_up(catalog):
    tracking_id, _, _ = file(catalog)
    with db.session_scope() as session:
        assert grievances.grievance_for_filer(session, tracking_id, DEMO_SENDER) is not None
        assert grievances.grievance_for_filer(session, tracking_id, OTHER_SENDER) is None
        assert grievances.grievance_for_filer(session, "GRV-2026-999999", DEMO_SENDER) is None


def test_status_changes_keep_history(catalog):
    tracking_id, _, _ = file(catalog)
    with db.session_scope() as session:
        grievances.change_status(session, tracking_id, "assigned", "Electrician assigned", by="bescom-desk")
    with db.session_scope() as session:
        grievance = grievances.grievance_for_filer(session, tracking_id, DEMO_SENDER)
        assert grievance.status == "assigned"
        assert [(e.status, e.note, e.changed_by) for e in grievance.events] == [
            ("registered", "", "citizen"),
            ("assigned", "Electrician assigned", "bescom-desk"),
        ]
        with pytest.raises(ValueError):
            grievances.change_status(session, tracking_id, "teleported", by="bescom-desk")
        with pytest.raises(IllegalTransition):  # the lifecycle decides; closing is the citizen's (a rating)
            grievances.change_status(session, tracking_id, "closed", by="bescom-desk")
        with pytest.raises(IllegalTransition):  # an appeal is decided by the appellate, not an official
            grievances.change_status(session, tracking_id, "appeal_decided", by="bescom-desk")
        grievances.change_status(session, tracking_id, "rejected", "Not ours", by="head", actor="supervisor")
        assert (grievance.status, grievance.events[-1].changed_by) == ("rejected", "head")


def test_unknown_category_is_refused(catalog):
    with pytest.raises(ValueError):
        file(catalog, category="volcano")


@pytest.mark.parametrize(
    ("evidence", "allowed"),
    [
        (None, True),
        ("a photo is on my phone", True),  # the citizen's words
        ("file:0123456789abcdef0123456789abcdef.jpg", True),  # stored by the channel
        ("file:fedcba9876543210fedcba9876543210.png", False),  # the channel's form of name, no such file
        ("file:../../var/nagarik.db", False),
        ("file:/etc/passwd", False),
    ],
)
def test_only_files_the_channel_stored_are_filed_as_evidence(catalog, tmp_path, monkeypatch, evidence, allowed):
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    (tmp_path / "0123456789abcdef0123456789abcdef.jpg").write_bytes(b"\xff\xd8\xff")
    assert grievances.attachable(evidence) is allowed
    if allowed:
        assert file(catalog, evidence=evidence)[2].evidence_ref == evidence
    else:
        with pytest.raises(ValueError, match="not a file the WhatsApp channel stored"):
            file(catalog, evidence=evidence)
