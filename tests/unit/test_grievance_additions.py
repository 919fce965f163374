"""What a citizen adds to an open grievance: a citizen_info note, a photo only as the channel stored it."""

import datetime as dt

import pytest
from helpers import DEMO_SENDER

from nagarik import db
from nagarik.citizens import grievance_additions, grievances
from nagarik.citizens.grievance_additions import NotAddableError
from nagarik.db import models

NOW = dt.datetime(2026, 3, 10, 6, 0)
STORED = "0123456789abcdef0123456789abcdef.jpg"  # a name as the WhatsApp channel gives them


@pytest.fixture
def evidence(tmp_path, monkeypatch):
    """The channel's evidence directory, holding one photo it stored."""
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path))
    (tmp_path / STORED).write_bytes(b"\xff\xd8\xff\xe0 a photo")
    return tmp_path


def filed(catalog, status="registered", evidence=None) -> str:
    with db.session_scope() as session:
        grievance = grievances.file_grievance(
            session, catalog, phone=DEMO_SENDER, category="streetlight", description="Streetlight off for a week",
            location="5th Cross, Jayanagar", language="en", evidence=evidence, now=NOW,
        ).grievance  # fmt: skip
        grievance.status = status
        return grievance.tracking_id


def test_words_become_a_citizen_info_note_and_no_status_event(database, catalog):
    tracking_id = filed(catalog, "in_progress")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        events = len(grievance.events)
        grievance_additions.add_text(session, grievance, "  the pole   near the temple is also dark  ", now=NOW)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        [note] = grievance.notes
        assert (note.kind, note.author, note.text, note.detail) == (
            "citizen_info", "citizen", "the pole near the temple is also dark", ""
        )  # fmt: skip
        assert note.created_at == NOW
        assert len(grievance.events) == events  # the citizen's history is status changes only


def test_long_words_are_cut(database, catalog):
    tracking_id = filed(catalog)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        note = grievance_additions.add_text(session, grievance, "x" * 5000)
        assert len(note.text) == grievance_additions.MAX_TEXT


@pytest.mark.parametrize("status", ["resolved", "closed", "rejected", "appealed", "appeal_decided"])
def test_nothing_is_added_to_a_grievance_no_longer_open(database, catalog, evidence, status):
    tracking_id = filed(catalog, status)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        with pytest.raises(NotAddableError) as refused:
            grievance_additions.add_text(session, grievance, "more details here")
        assert refused.value.reason == "not_open"
        with pytest.raises(NotAddableError):
            grievance_additions.add_photo(session, grievance, STORED)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert grievance.notes == [] and grievance.evidence_ref is None


def test_a_reopened_grievance_is_open_to_additions(database, catalog):
    tracking_id = filed(catalog, "reopened")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        grievance_additions.add_text(session, grievance, "still dark tonight")
        assert [n.kind for n in grievance.notes] == ["citizen_info"]


def test_too_few_words_are_refused(database, catalog):
    tracking_id = filed(catalog)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        with pytest.raises(NotAddableError) as refused:
            grievance_additions.add_text(session, grievance, "  a ")
        assert refused.value.reason == "too_short" and grievance.notes == []


def test_a_stored_photo_becomes_the_evidence_and_earlier_words_stay_in_the_note(database, catalog, evidence):
    tracking_id = filed(catalog, evidence="photo is on my phone")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        grievance_additions.add_photo(session, grievance, STORED, now=NOW)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert grievance.evidence_ref == f"file:{STORED}"
        [note] = grievance.notes
        assert (note.kind, note.detail, note.text) == ("citizen_info", "photo", "photo is on my phone")


@pytest.mark.parametrize(
    "reference",
    ["../../var/nagarik.db", "/etc/passwd", "abc.jpg", "fedcba9876543210fedcba9876543210.jpg", f"{STORED}/../x"],
)
def test_a_photo_the_channel_did_not_store_is_refused(database, catalog, evidence, reference):
    tracking_id = filed(catalog)
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        with pytest.raises(NotAddableError) as refused:
            grievance_additions.add_photo(session, grievance, reference)
        assert refused.value.reason == "not_stored"
    with db.session_scope() as session:
        grievance = session.query(models.Grievance).filter_by(tracking_id=tracking_id).one()
        assert grievance.evidence_ref is None and grievance.notes == []


def test_a_grievance_with_a_photo_keeps_it(database, catalog, evidence):
    other = "fedcba9876543210fedcba9876543210.jpg"
    (evidence / other).write_bytes(b"\xff\xd8 another")
    tracking_id = filed(catalog, evidence=f"file:{STORED}")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        with pytest.raises(NotAddableError) as refused:
            grievance_additions.add_photo(session, grievance, other)
        assert refused.value.reason == "has_photo"
        assert grievance.evidence_ref == f"file:{STORED}"
