"""Status notifications: the applicant or filer is told in their language, even after STOP."""

import datetime as dt

from nagarik import db
from nagarik.citizens import grievances, subscriptions
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
