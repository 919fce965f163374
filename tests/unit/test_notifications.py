"""Status notifications: the applicant or filer is told in their language, even after STOP."""

import datetime as dt

from nagarik import db
from nagarik.citizens import grievance_lifecycle, grievances, subscriptions
from nagarik.db import models
from nagarik.outbound import broadcasts, notifications
from nagarik.outbound.messages import message_body


def test_an_application_moving_on_tells_its_applicant(database, catalog):
    with db.session_scope() as session:
        session.add(models.Citizen(phone="919876543210", language="kn"))
        subscriptions.stop_all(session, "919876543210")  # STOP does not stop news of one's own case
        broadcast = notifications.application_moved(session, "BC-2026-001234", "approval", dt.date(2026, 12, 5), by="revenue")
        assert session.get(models.Application, "BC-2026-001234").stage_key == "approval"
        assert broadcast.created_by == "revenue" and session.get(models.Application, "BC-2026-001234").updated_by == "revenue"
        broadcasts.materialize(session, broadcast)
        [(phone, language)] = [
            (r.phone, r.language) for r in session.query(models.BroadcastRecipient).filter_by(broadcast_id=broadcast.id)
        ]
        assert (phone, language) == ("919876543210", "kn")
        stage = catalog.stage("approval").names["kn"]
        inside = message_body(broadcast, "kn", in_window=True, wards={})
        assert "BC-2026-001234" in inside["text"]["body"] and stage in inside["text"]["body"]
        outside = message_body(broadcast, "kn", in_window=False, wards={})
        parameters = [p["text"] for p in outside["template"]["components"][0]["parameters"]]
        assert outside["template"]["name"] == "application_update" and parameters == ["BC-2026-001234", stage]


def test_a_grievance_status_change_tells_the_filer_in_hindi(database, catalog):
    with db.session_scope() as session:
        filing = grievances.file_grievance(
            session,
            catalog,
            phone="919845012345",
            category="streetlight",
            description="Light off for a week",
            location="5th cross jayanagar",
            language="hi",
        )
        tracking_id = filing.grievance.tracking_id
        notifications.grievance_moved(session, tracking_id, "assigned", by="bescom")  # the lifecycle's way to in progress
        broadcast = notifications.grievance_moved(session, tracking_id, "in_progress", "Electrician assigned", by="bescom")
        assert broadcast.created_by == "bescom" and filing.grievance.events[-1].changed_by == "bescom"
        body = message_body(broadcast, "hi", in_window=True, wards={})
        assert filing.grievance.tracking_id in body["text"]["body"]
        assert notifications.grievance_status_labels()["in_progress"]["hi"] in body["text"]["body"]


def test_an_applicant_who_never_wrote_is_still_told(database):
    with db.session_scope() as session:
        assert session.get(models.Citizen, "919845012345") is None
        broadcast = notifications.application_moved(session, "TL-2026-000981", "approval", by="t")
        assert broadcasts.materialize(session, broadcast) == 1
        assert broadcasts.audience_size(session, "notification", broadcasts.Audience(phones=("919845012345",))) == 1


def test_every_lifecycle_state_has_a_label_in_every_language():
    from nagarik.citizens.grievance_lifecycle import STATES

    labels = notifications.grievance_status_labels()
    assert set(labels) == set(STATES)  # "open" is gone: it is "registered" now
    assert all(set(labels[state]) == {"en", "hi", "kn"} and all(labels[state].values()) for state in STATES)


def assigned_streetlight(session, catalog, language: str) -> grievances.Filing:
    """A citizen's streetlight complaint, assigned: the lifecycle's step before in progress or resolved."""
    filing = grievances.file_grievance(
        session, catalog, phone="919845012345", category="streetlight", description="Light off for a week",
        location="5th cross jayanagar", language=language,
    )  # fmt: skip
    notifications.grievance_moved(session, filing.grievance.tracking_id, "assigned", by="bescom")
    return filing


def test_a_resolution_carries_its_note_and_the_rating_buttons_inside_and_outside_the_window(database, catalog):
    with db.session_scope() as session:
        filing = assigned_streetlight(session, catalog, "kn")
        tracking_id = filing.grievance.tracking_id
        broadcast = notifications.grievance_moved(session, tracking_id, "resolved", "Lamp replaced", by="bescom")
        assert broadcast.template == "grievance_resolved" and broadcast.audience["phones"] == ["919845012345"]
        inside = message_body(broadcast, "kn", in_window=True, wards={})
        assert inside["type"] == "interactive" and "Lamp replaced" in inside["interactive"]["body"]["text"]
        buttons = [b["reply"] for b in inside["interactive"]["action"]["buttons"]]
        assert [b["title"] for b in buttons] == ["ಉತ್ತಮ", "ಸಾಧಾರಣ", "ಕಳಪೆ"]
        assert buttons[2]["id"] == f'/rate_grievance{{"tracking_id":"{tracking_id}","rating":"poor"}}'
        outside = message_body(broadcast, "kn", in_window=False, wards={})["template"]
        assert outside["name"] == "grievance_resolved" and outside["language"] == {"code": "kn"}
        body, *quick = outside["components"]
        assert [p["text"] for p in body["parameters"]] == [tracking_id, "Lamp replaced"]
        assert [q["parameters"][0]["payload"] for q in quick] == [b["id"] for b in buttons]


def test_an_appeals_decision_reaches_the_citizen_with_its_words(database, catalog):
    with db.session_scope() as session:
        filing = assigned_streetlight(session, catalog, "hi")
        tracking_id = filing.grievance.tracking_id
        notifications.grievance_moved(session, tracking_id, "resolved", "Lamp replaced", by="bescom")
        grievance_lifecycle.rate(session, filing.grievance, "poor")
        grievance_lifecycle.appeal(session, filing.grievance, "It went off again the next day")
        broadcast = notifications.grievance_moved(
            session, tracking_id, "appeal_decided", "A new   pole will be\n put up by Friday", by="ae", actor="appellate"
        )
        label = notifications.grievance_status_labels()["appeal_decided"]["hi"]
        assert broadcast.template_params["hi"] == [tracking_id, f"{label}: A new pole will be put up by Friday"]


def test_the_officers_photo_of_the_repair_heads_the_resolution_inside_the_window(database, catalog):
    with db.session_scope() as session:
        filing = assigned_streetlight(session, catalog, "en")
        tracking_id = filing.grievance.tracking_id
        photo = {"type": "image", "id": "1234567890", "filename": "pole.jpg"}
        broadcast = notifications.grievance_moved(session, tracking_id, "resolved", "New lamp fitted", by="bescom", photo=photo)
        inside = message_body(broadcast, "en", in_window=True, wards={})
        assert inside["interactive"]["header"] == {"type": "image", "image": {"id": "1234567890"}}
        assert len(inside["interactive"]["action"]["buttons"]) == 3
        outside = message_body(broadcast, "en", in_window=False, wards={})
        assert outside["template"]["name"] == "grievance_resolved"  # the approved template: no image header
