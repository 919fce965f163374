"""Consent: kept with its purpose, time and notice; STOP and START."""

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.outbound.broadcasts import Audience
from tests.unit.broadcast_helpers import citizen, phones


def test_consent_is_kept_with_purpose_time_and_notice(database):
    with db.session_scope() as session:
        assert subscriptions.needs_notice(session, "919000000001")
    citizen("919000000001")  # shown the notice, then chose updates
    with db.session_scope() as session:
        assert not subscriptions.needs_notice(session, "919000000001")
        consents = session.query(models.Consent).filter_by(phone="919000000001").all()
        assert {(c.purpose, c.granted) for c in consents} == {("water_supply", True), ("ward", True)}
        assert all(c.notice_version == subscriptions.NOTICE_VERSION and c.channel == "whatsapp" for c in consents)


def test_stop_and_start(database):
    citizen("919000000002", topics=("water_supply", "health"))
    with db.session_scope() as session:
        subscriptions.stop_all(session, "919000000002")
        assert subscriptions.choices(session, "919000000002").opted_out
    assert phones("announcement", Audience()) == []
    with db.session_scope() as session:
        again = subscriptions.start_again(session, "919000000002")
        assert again.topics == ["health", "water_supply"] and not again.opted_out
