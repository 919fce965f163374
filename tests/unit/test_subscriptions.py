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


def ledger(phone: str) -> list[tuple[str, bool]]:
    with db.session_scope() as session:
        rows = session.query(models.Consent).filter_by(phone=phone).order_by(models.Consent.id).all()
        return [(row.purpose, row.granted) for row in rows]


def test_a_topic_chosen_after_stop_is_that_topic_only_until_start(database):
    phone = "919000000003"
    citizen(phone, topics=("water_supply", "health"))
    with db.session_scope() as session:
        subscriptions.stop_all(session, phone)
        after_stop = subscriptions.subscribe(session, phone, "power_cuts")  # a new opt-in, to this topic alone
    assert (after_stop.topics, after_stop.held, after_stop.opted_out) == (["power_cuts"], ["health", "water_supply"], True)
    assert phones("announcement", Audience(topics=("power_cuts",))) == [phone]
    assert phones("announcement", Audience(topics=("water_supply", "health"))) == []  # held: nothing comes
    with db.session_scope() as session:  # kept, not deleted: START brings them back
        kept = session.query(models.Subscription).filter_by(phone=phone).all()
        assert sorted((row.topic, row.held_since is not None) for row in kept) == [
            ("health", True), ("power_cuts", False), ("water_supply", True),
        ]  # fmt: skip
    assert ledger(phone)[-2:] == [("all", False), ("power_cuts", True)]  # what happened, no silent re-grant
    with db.session_scope() as session:
        again = subscriptions.subscribe(session, phone, "water_supply")  # chosen again after STOP: granted anew
    assert (again.topics, again.held) == (["power_cuts", "water_supply"], ["health"])
    assert phones("announcement", Audience(topics=("health",))) == []
    with db.session_scope() as session:
        started = subscriptions.start_again(session, phone)
    assert (started.topics, started.held, started.restored) == (["health", "power_cuts", "water_supply"], [], ["health"])
    assert phones("announcement", Audience(topics=("health",))) == [phone] and ledger(phone)[-1] == ("all", True)


def test_stop_holds_every_kind_of_audience(database):
    """Emergency alerts (any topic), polls and campaigns read the same audience: a held citizen is in none."""
    phone = "919000000004"
    citizen(phone, topics=("water_supply",))
    with db.session_scope() as session:
        subscriptions.stop_all(session, phone)
    for kind in ("emergency", "poll", "campaign", "announcement"):
        assert phones(kind, Audience(wards=("jayanagar",))) == [], kind
    with db.session_scope() as session:
        subscriptions.subscribe(session, phone, "health")
    assert phones("emergency", Audience(wards=("jayanagar",))) == [phone]  # opted in again, to something
    assert phones("poll", Audience(topics=("water_supply",))) == []
