"""Audiences and recipients: who may receive a broadcast, exactly once; cancelling; bad broadcasts refused."""

import datetime as dt

import pytest

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience
from nagarik.shared import clock
from tests.unit.broadcast_helpers import BASAVANAGUDI, JAYANAGAR, citizen, phones


def test_audiences_by_ward_topic_and_language(database):
    citizen("919000000011")  # jayanagar, water, kn
    citizen("919000000012", ward=BASAVANAGUDI)  # another ward
    citizen("919000000013", topics=("health",))  # another topic
    citizen("919000000014", stop=True)  # said STOP
    citizen("919000000015", language="hi")
    with db.session_scope() as session:
        session.add(models.Citizen(phone="919000000016", ward_key=JAYANAGAR))  # never opted in to anything
    water_in_jayanagar = Audience(wards=(JAYANAGAR,), topics=("water_supply",))
    assert phones("announcement", water_in_jayanagar) == ["919000000011", "919000000015"]
    assert phones("announcement", Audience(wards=(JAYANAGAR,), topics=("water_supply",), languages=("hi",))) == ["919000000015"]
    # An emergency reaches everyone in the ward who opted in to anything, but never who said STOP.
    assert phones("emergency", Audience(wards=(JAYANAGAR,))) == ["919000000011", "919000000013", "919000000015"]


def test_recipients_are_created_once_and_claimed_once(database):
    for n in range(5):
        citizen(f"91900000002{n}")
    with db.session_scope() as session:
        broadcast = broadcasts.create(
            session, kind="announcement", texts={"en": "Water off Friday"}, audience=Audience(), created_by="t"
        )
        assert broadcasts.materialize(session, broadcast) == 5
        assert broadcasts.materialize(session, broadcast) == 0  # idempotent
        ids = broadcasts.unfinished(session, broadcast.id, with_queued=True)
        first = broadcasts.claim(session, ids)
        assert first == ids and broadcasts.claim(session, ids) == []  # a second worker gets nothing
        later = clock.utcnow() + broadcasts.LEASE + dt.timedelta(seconds=1)
        assert broadcasts.unfinished(session, broadcast.id, with_queued=False, now=later) == ids  # a dead worker's copies
        assert broadcasts.claim(session, ids[:2], now=later) == ids[:2]


def test_cancel_skips_whoever_was_not_sent_yet(database):
    citizen("919000000031")
    citizen("919000000032")
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind="announcement", texts={"en": "x"}, audience=Audience(), created_by="t")
        broadcasts.materialize(session, broadcast)
        first = broadcasts.unfinished(session, broadcast.id, with_queued=True)[0]
        broadcasts.record(session, first, state="sent", wamid="wamid.1")
        broadcasts.cancel(session, broadcast.id)
        state = broadcasts.progress(session, broadcast.id)
        assert state.states == {"sent": 1, "skipped": 1} and state.status == "cancelled"


def test_bad_broadcasts_are_refused(database):
    with db.session_scope() as session, pytest.raises(ValueError):
        broadcasts.create(session, kind="emergency", texts={"en": "flood"}, audience=Audience(), created_by="t")
    with db.session_scope() as session, pytest.raises(ValueError):
        broadcasts.create(session, kind="announcement", texts={"hi": "सूचना"}, audience=Audience(), created_by="t")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"media": "x"}, "media"),
        ({"media": {"type": "image"}}, "media.link"),
        ({"media": {"type": "image", "link": "file:///etc/passwd"}}, "media.link"),
        ({"media": {"type": "image", "link": "http://example.org/a.png"}}, "media.link"),
        ({"media": {"type": "image", "link": "https://exa mple.org/a.png"}}, "media.link"),
        ({"media": {"type": "sticker", "link": "https://example.org/a.webp"}}, "media.type"),
        ({"texts": {"en": 5}}, "texts.en"),
        ({"texts": {"en": "x", "kn": "  "}}, "texts.kn"),
        ({"texts": {"en": "x", "ta": "x"}}, "texts"),
        ({"texts": ["x"]}, "texts"),
        ({"audience": Audience(wards=(7,))}, "wards"),
        ({"audience": Audience(languages=("fr",))}, "languages"),
        ({"created_by": "x" * 65}, "created_by"),
    ],
)
def test_the_service_refuses_what_no_copy_could_be_built_from(database, changes, field):
    """The command line and the API share these checks: a ValueError naming the field, nothing stored."""
    arguments = {"kind": "announcement", "texts": {"en": "Water off Friday"}, "audience": Audience(), "created_by": "t"}
    with db.session_scope() as session, pytest.raises(ValueError, match=rf"^{field}"):
        broadcasts.create(session, **{**arguments, **changes})


def test_a_good_broadcast_keeps_its_media_and_trimmed_texts(database):
    media = {"type": "document", "link": "https://example.org/water-schedule.pdf"}
    with db.session_scope() as session:
        broadcast = broadcasts.create(
            session, kind="announcement", texts={"en": " Water off Friday "}, media=media, audience=Audience(), created_by="t"
        )
        assert (broadcast.texts, broadcast.media) == ({"en": "Water off Friday"}, media)


def test_a_notification_to_a_placeholder_instead_of_a_number_goes_to_nobody(database):
    """An Open311 grievance without a consenting citizen carries `open311:<system>` as its phone."""
    with db.session_scope() as session:
        told = broadcasts.create(
            session, kind="notification", texts={"en": "moved"}, audience=broadcasts.Audience(phones=("open311:city-app",)),
            created_by="api", template="grievance_update", template_params={"en": ["GRV-1", "Resolved"]},
        )  # fmt: skip
        assert broadcasts.recipients_of(session, told.kind, broadcasts.Audience.from_dict(told.audience)) == []
        assert broadcasts.materialize(session, told) == 0
