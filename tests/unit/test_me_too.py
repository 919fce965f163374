""" "Me too": which open grievance a new report matches (pin distance, ward, landmark, status), joining
it (never one's own, once only), the joined citizens told of its changes, erasure and the purge."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from helpers import DEMO_SENDER, OTHER_SENDER
from side_stores import stores
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import data_rights, grievance_lifecycle, grievances, me_too, purge, subscriptions
from nagarik.db import models
from nagarik.outbound import broadcasts, consent, notifications
from nagarik.shared.retention import retention

__all__ = ["stores"]  # the fixture

NOW = dt.datetime(2026, 11, 25, 5, 30)  # 11:00 IST, a Wednesday
PIN = (12.9250, 77.5938)  # Jayanagar's centre
THIRD = "919800000003"
METRES_PER_DEGREE = math.pi * me_too.EARTH_RADIUS_M / 180


def north(metres: float) -> tuple[float, float]:
    return PIN[0] + metres / METRES_PER_DEGREE, PIN[1]


def file(session, catalog, *, phone=OTHER_SENDER, pin=PIN, location="📍 12.92500, 77.59380", category="streetlight", **extra):
    filing = grievances.file_grievance(
        session, catalog, phone=phone, category=category, description="Streetlight not working for a week",
        location=location, language="en", latitude=pin[0] if pin else None, longitude=pin[1] if pin else None,
        **{"now": NOW, **extra},
    )  # fmt: skip
    return filing.grievance


def match(session, catalog, *, pin=None, location="📍 new pin", ward_key=None, category="streetlight", phone=DEMO_SENDER):
    latitude, longitude = pin if pin else (None, None)
    return me_too.matching_open_grievance(
        session, catalog, category=category, ward_key=ward_key or me_too.ward_of(catalog, latitude, longitude, location),
        latitude=latitude, longitude=longitude, location_text=location, exclude_phone=phone,
    )  # fmt: skip


def test_the_distance_is_haversine_in_metres():
    assert me_too.distance_m(*PIN, *north(90)) == pytest.approx(90, abs=0.5)
    assert me_too.distance_m(*PIN, *PIN) == 0


@pytest.mark.parametrize(("metres", "matched"), [(90, True), (150, False)])
def test_a_pin_matches_an_open_grievance_within_100_metres(database, catalog, metres, matched):
    with db.session_scope() as session:
        existing = file(session, catalog)
        found = match(session, catalog, pin=north(metres), location=f"📍 {north(metres)[0]:.5f}, 77.59380")
        assert (found is existing) is matched
        assert (found is None) is not matched


def test_the_nearest_pin_comes_first(database, catalog):
    with db.session_scope() as session:
        far = file(session, catalog, pin=north(80))
        near = file(session, catalog, phone=THIRD, pin=north(20))
        assert match(session, catalog, pin=PIN) is near
        assert far.id < near.id


def test_a_grievance_in_another_ward_is_not_matched_even_close_by(database, catalog):
    with db.session_scope() as session:
        file(session, catalog)
        assert match(session, catalog, pin=north(30), ward_key="basavanagudi") is None
        assert match(session, catalog, pin=north(30), ward_key="jayanagar") is not None


def test_the_same_landmark_in_words_matches_without_pins(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog, pin=None, location="5th Cross, near Ganesha temple, Jayanagar")
        assert match(session, catalog, location="5th cross near ganesha temple jayanagar") is existing
        assert match(session, catalog, location="Bull temple road, Basavanagudi") is None
        # a pin on one side only: the words decide
        assert match(session, catalog, pin=north(300), location="5th cross, near Ganesha temple, Jayanagar") is existing


def test_another_category_is_not_matched(database, catalog):
    with db.session_scope() as session:
        file(session, catalog)
        assert match(session, catalog, pin=PIN, category="sanitation") is None


@pytest.mark.parametrize("status", ["resolved", "rejected"])
def test_a_grievance_no_longer_open_is_not_matched(database, catalog, status):
    with db.session_scope() as session:
        existing = file(session, catalog)
        if status == "resolved":
            grievance_lifecycle.transition(session, existing, "assigned", by="t", actor="official", now=NOW)
        grievance_lifecycle.transition(session, existing, status, by="t", actor="official", now=NOW)
        assert match(session, catalog, pin=PIN) is None


def test_ones_own_grievance_is_not_offered_nor_joinable(database, catalog):
    with db.session_scope() as session:
        own = file(session, catalog, phone=DEMO_SENDER)
        assert match(session, catalog, pin=PIN, phone=DEMO_SENDER) is None
        assert match(session, catalog, pin=PIN, phone=OTHER_SENDER) is own
        with pytest.raises(me_too.JoinRefusedError) as refused:
            me_too.join(session, own, DEMO_SENDER, "en", NOW)
        assert refused.value.reason == "own" and me_too.reporter_count(own) == 1


def test_joining_twice_records_one_reporter(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        first = me_too.join(session, existing, DEMO_SENDER, "kn", NOW)
        again = me_too.join(session, existing, DEMO_SENDER, "hi", NOW + dt.timedelta(minutes=5))
        assert again.id == first.id and again.language == "kn" and again.joined_at == NOW
        me_too.join(session, existing, THIRD, "hi", NOW)
        assert me_too.reporter_count(existing) == 3
        assert me_too.reporter_counts(session, [existing.id]) == {existing.id: 3}
        assert me_too.followers(session, existing) == [(DEMO_SENDER, "kn"), (THIRD, "hi")]


def test_a_grievance_closed_since_the_offer_cannot_be_joined(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        grievance_lifecycle.transition(session, existing, "rejected", by="t", actor="official", now=NOW)
        with pytest.raises(me_too.JoinRefusedError) as refused:
            me_too.join(session, existing, DEMO_SENDER, "en", NOW)
        assert refused.value.reason == "not_open" and me_too.followers(session, existing) == []


def copies_of(session, broadcast_id):
    row = models.BroadcastRecipient
    return sorted(session.execute(select(row.phone, row.language).where(row.broadcast_id == broadcast_id)).tuples())


def test_the_joined_citizens_are_told_of_a_status_change_each_in_their_language(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        session.add_all([models.Citizen(phone=DEMO_SENDER, language="kn"), models.Citizen(phone=THIRD, language="hi")])
        me_too.join(session, existing, DEMO_SENDER, "kn", NOW)
        me_too.join(session, existing, THIRD, "hi", NOW)
        subscriptions.stop_all(session, THIRD)  # news of a case one joined is one's own case's: it goes after STOP
        filer = notifications.grievance_moved(session, existing.tracking_id, "acknowledged", by="bescom")
        told = session.execute(select(models.Broadcast).where(models.Broadcast.id != filer.id)).scalar_one()
        assert filer.audience["phones"] == [OTHER_SENDER]
        assert told.kind == "notification" and told.template == "grievance_update" and told.created_by == "bescom"
        assert told.audience["phones"] == [DEMO_SENDER, THIRD]
        broadcasts.materialize(session, told)
        assert copies_of(session, told.id) == [(THIRD, "hi"), (DEMO_SENDER, "kn")]
        label = notifications.grievance_status_labels()["acknowledged"]
        assert existing.tracking_id in told.texts["kn"] and label["kn"] in told.texts["kn"] and label["hi"] in told.texts["hi"]
        copies = session.execute(select(models.BroadcastRecipient.id, models.BroadcastRecipient.phone)).tuples()
        assert consent.withdrawn(session, [(copy_id, told.id, phone) for copy_id, phone in copies]) == {}


def test_the_joined_citizens_hear_of_a_resolution_without_the_rating_buttons(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        me_too.join(session, existing, DEMO_SENDER, "en", NOW)
        notifications.grievance_moved(session, existing.tracking_id, "assigned", by="t")
        filer = notifications.grievance_moved(session, existing.tracking_id, "resolved", "Lamp replaced", by="t")
        told = (
            session.execute(select(models.Broadcast).where(models.Broadcast.audience.is_not(None)).order_by(models.Broadcast.id))
            .scalars()
            .all()
        )
        followers = [b for b in told if b.audience["phones"] == [DEMO_SENDER]]
        assert filer.template == notifications.RESOLVED_TEMPLATE
        assert [b.template for b in followers] == ["grievance_update", "grievance_update"]
        assert notifications.grievance_status_labels()["resolved"]["en"] in followers[-1].texts["en"]


def test_nobody_else_is_told_when_nobody_joined(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        notifications.grievance_moved(session, existing.tracking_id, "acknowledged", by="t")
        assert len(session.execute(select(models.Broadcast)).scalars().all()) == 1


def test_erasure_takes_the_number_from_joins_and_keeps_the_count(database, catalog):
    with db.session_scope() as session:
        existing = file(session, catalog)
        me_too.join(session, existing, DEMO_SENDER, "kn", NOW)
        me_too.join(session, existing, THIRD, "hi", NOW)
        data_rights.erase(session, DEMO_SENDER, 0.0, now=NOW)
        session.expire_all()
        assert me_too.reporter_count(existing) == 3
        assert me_too.followers(session, existing) == [(THIRD, "hi")]
        phones = session.execute(select(models.GrievanceReporter.phone)).scalars().all()
        assert DEMO_SENDER not in phones and any(phone.startswith("erased:") for phone in phones)
        notifications.grievance_moved(session, existing.tracking_id, "acknowledged", by="t")
        followers = [b for b in session.execute(select(models.Broadcast)).scalars() if b.audience["phones"] != [OTHER_SENDER]]
        assert [b.audience["phones"] for b in followers] == [[THIRD]]


def test_the_purge_takes_the_joined_numbers_of_grievances_finished_past_the_period(database, catalog, stores):
    later = NOW + retention().broadcast_copies + dt.timedelta(days=1)
    with db.session_scope() as session:
        finished, still_open, recent = (
            file(session, catalog, phone=phone, pin=north(metres))
            for phone, metres in ((OTHER_SENDER, 0), (THIRD, 500), ("919800000009", 900))
        )
        for grievance in (finished, still_open, recent):
            me_too.join(session, grievance, DEMO_SENDER, "en", NOW)
        for grievance in (finished, recent):
            grievance_lifecycle.transition(session, grievance, "rejected", by="t", actor="official", now=NOW)
        session.flush()
        finished.updated_at, still_open.updated_at, recent.updated_at = NOW, NOW, later - dt.timedelta(days=2)
        ids = finished.id, still_open.id, recent.id
    assert purge.purge(stores, now=later, dry_run=True).reporters == 1
    assert purge.purge(stores, now=later).reporters == 1
    assert purge.purge(stores, now=later).reporters == 0  # not twice
    with db.session_scope() as session:
        row = models.GrievanceReporter
        phones = dict(session.execute(select(row.grievance_id, row.phone)).all())
        assert phones[ids[0]].startswith("purged:")
        assert phones[ids[1]] == DEMO_SENDER and phones[ids[2]] == DEMO_SENDER
        assert me_too.reporter_count(session.get(models.Grievance, ids[0])) == 2


def test_officials_see_how_many_citizens_reported_it_in_the_api(database, catalog):
    from nagarik.web import api

    with db.session_scope() as session:
        existing = file(session, catalog)
        me_too.join(session, existing, DEMO_SENDER, "en", NOW)
        tracking_id = existing.tracking_id
    assert api.grievance_transitions(tracking_id)["reported_by"] == 2


def test_officials_see_how_many_citizens_reported_it_in_the_console(database, catalog, monkeypatch):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from nagarik.shared.clock import frozen
    from nagarik.web import console
    from tests.unit.staff_helpers import PASSWORD, START, add_official

    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")  # TestClient speaks plain http
    app = FastAPI()
    console.install(app)
    add_official("kiran", "department_officer", [catalog.category("streetlight").department])
    with db.session_scope() as session:
        joined, alone = file(session, catalog, now=START), file(session, catalog, phone=THIRD, pin=north(500), now=START)
        for phone in (DEMO_SENDER, "919800000007"):
            me_too.join(session, joined, phone, "en", START)
        joined_id, alone_id = joined.tracking_id, alone.tracking_id
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        assert client.post("/console/login", data={"username": "kiran", "password": PASSWORD}).status_code == 303
        page = client.get(f"/console/grievances/{joined_id}").text
        assert "<th>Reported by</th><td>3 citizens</td>" in page
        queue = client.get("/console/grievances").text
        cells = {tid: queue.split(f">{tid}</a>")[1].split("</tr>")[0] for tid in (joined_id, alone_id)}
        assert cells[joined_id].rstrip().endswith("<td>3</td>") and cells[alone_id].rstrip().endswith("<td>1</td>")
