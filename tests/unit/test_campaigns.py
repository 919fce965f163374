"""Awareness campaigns: the definition file, each step scheduled at its IST moment (stored in UTC),
cancelling the steps not yet sent, and a step reaching only its audience in their language."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts, campaigns
from nagarik.outbound.broadcasts import Audience
from nagarik.outbound.messages import message_body
from nagarik.shared.seed_files import SeedFileError
from simulator.media import MediaStore
from simulator.templates import TemplateRegistry
from simulator.validation import validate_send
from tests.support import add_subscriber, devanagari, kannada
from tests.unit import test_api

ROOT = Path(__file__).resolve().parents[2]
DENGUE = ROOT / "config" / "campaigns" / "dengue_prevention.yml"
HEALTH_IN_JAYANAGAR = Audience(wards=("jayanagar",), topics=("health",))
TODAY = dt.datetime(2026, 11, 25, 6, 0)  # naive UTC, the injected clock
api = test_api.api  # the officials' API as a real server (a fixture)


def start(definition=None, on=dt.date(2026, 12, 1), audience=HEALTH_IN_JAYANAGAR) -> int:
    with db.session_scope() as session:
        return campaigns.create(session, definition or campaigns.load_definition(DENGUE), audience, on, "health-dept", TODAY).id


def steps(campaign_id: int) -> list[models.Broadcast]:
    with db.session_scope() as session:
        return campaigns.steps_of(session, campaign_id)


def test_the_dengue_campaign_is_three_messages_over_five_days_in_three_languages():
    definition = campaigns.load_definition("dengue_prevention")  # a seed file by name
    assert definition == campaigns.load_definition(DENGUE)
    days = [step["day"] for step in definition["steps"]]
    assert len(days) == 3 and days[0] == 0 and days[-1] == 4
    for step in definition["steps"]:
        assert devanagari(step["texts"]["hi"]) and kannada(step["texts"]["kn"]) and "dengue" in step["texts"]["en"].lower()
    media = [step["media"] for step in definition["steps"] if step["media"]]
    assert len(media) == 1 and media[0]["type"] == "image" and media[0]["link"].startswith("https://")


@pytest.mark.parametrize("name", campaigns.available())
def test_every_campaign_file_makes_messages_meta_accepts(name):
    meta = TemplateRegistry.load(ROOT / "config" / "templates.yml")
    for step in campaigns.load_definition(name)["steps"]:
        broadcast = models.Broadcast(
            kind="campaign", texts=step["texts"], media=step["media"], template="announcement", audience={}
        )
        for language in ("en", "hi", "kn"):
            for in_window in (True, False):
                body = message_body(broadcast, language, in_window, wards={})
                validate_send({"messaging_product": "whatsapp", "to": "919811200001", **body}, templates=meta, media=MediaStore())


def test_steps_are_scheduled_at_their_ist_moment_in_utc(database):
    campaign_id = start()
    scheduled = steps(campaign_id)
    assert [b.send_at for b in scheduled] == [
        dt.datetime(2026, 12, 1, 4, 30),  # day 0, 10:00 IST
        dt.datetime(2026, 12, 3, 4, 30),  # day 2, 10:00 IST
        dt.datetime(2026, 12, 5, 12, 30),  # day 4, 18:00 IST
    ]
    assert {(b.kind, b.status, b.campaign_id, b.created_by) for b in scheduled} == {
        ("campaign", "scheduled", campaign_id, "health-dept")
    }
    assert all(Audience.from_dict(b.audience) == HEALTH_IN_JAYANAGAR for b in scheduled)
    assert scheduled[0].media["type"] == "image" and scheduled[1].media is None
    early = {"name": "Early", "steps": [{"day": 1, "hour": 3, "texts": {"en": "a", "hi": "ब", "kn": "ಕ"}}]}
    [step] = steps(start(early))
    assert step.send_at == dt.datetime(2026, 12, 1, 21, 30)  # 03:00 IST on the 2nd is still the 1st in UTC


def test_a_campaign_cannot_start_in_the_past_or_go_to_listed_phones(database):
    definition = campaigns.load_definition(DENGUE)
    with db.session_scope() as session:
        with pytest.raises(ValueError, match="past"):
            campaigns.create(session, definition, HEALTH_IN_JAYANAGAR, dt.date(2026, 11, 24), "t", TODAY)
        with pytest.raises(ValueError, match="phones"):
            campaigns.create(session, definition, Audience(phones=("919811200001",)), dt.date(2026, 12, 1), "t", TODAY)
        today = campaigns.create(session, definition, HEALTH_IN_JAYANAGAR, dt.date(2026, 11, 25), "t", TODAY)
        assert today.status == "scheduled"


def test_cancelling_stops_the_steps_not_yet_sent(database):
    add_subscriber("919811200001", ("health",), "jayanagar")
    add_subscriber("919811200002", ("health",), "jayanagar")
    campaign_id = start()
    first, second, third = steps(campaign_id)
    with db.session_scope() as session:  # step 1 went out; step 2 is half sent
        for broadcast_id, sent in ((first.id, 2), (second.id, 1)):
            broadcast = session.get(models.Broadcast, broadcast_id)
            broadcasts.materialize(session, broadcast)
            for copy in broadcasts.unfinished(session, broadcast_id, with_queued=True)[:sent]:
                broadcasts.record(session, copy, state="sent", wamid=f"wamid.{copy}")
            broadcasts.finish_if_done(session, broadcast)
    with db.session_scope() as session:
        assert campaigns.cancel(session, campaign_id).status == "cancelled"
    with db.session_scope() as session:
        campaign, progress = campaigns.progress(session, campaign_id)
    assert campaign.status == "cancelled"
    assert [(p.number, p.progress.status, dict(p.progress.states)) for p in progress] == [
        (1, "done", {"sent": 2}),
        (2, "cancelled", {"sent": 1, "skipped": 1}),
        (3, "cancelled", {}),
    ]
    assert third.id == progress[2].progress.broadcast_id
    with db.session_scope() as session, pytest.raises(KeyError):
        campaigns.cancel(session, 999999)


def test_a_step_reaches_only_its_audience_in_their_language_and_window(database):
    add_subscriber("919811200011", ("health",), "jayanagar", "kn")
    add_subscriber("919811200012", ("health",), "jayanagar", "hi")
    add_subscriber("919811200013", ("health",), "basavanagudi")  # another ward
    add_subscriber("919811200014", ("water_supply",), "jayanagar")  # another topic
    add_subscriber("919811200015", ("health",), "jayanagar", stop=True)  # said STOP
    [first, *_] = steps(start())
    with db.session_scope() as session:  # what the worker does when the step falls due
        broadcast = session.get(models.Broadcast, first.id)
        assert broadcasts.audience_size(session, broadcast.kind, Audience.from_dict(broadcast.audience)) == 2
        broadcasts.materialize(session, broadcast)
        copies = session.execute(
            select(models.BroadcastRecipient.phone, models.BroadcastRecipient.language).where(
                models.BroadcastRecipient.broadcast_id == first.id
            )
        ).all()
    assert sorted(copies) == [("919811200011", "kn"), ("919811200012", "hi")]
    meta = TemplateRegistry.load(ROOT / "config" / "templates.yml")
    inside = message_body(broadcast, "kn", in_window=True, wards={})
    assert inside["type"] == "image" and inside["image"]["caption"] == broadcast.texts["kn"]
    validate_send({"messaging_product": "whatsapp", "to": "919811200011", **inside}, templates=meta, media=MediaStore())
    outside = message_body(broadcast, "hi", in_window=False, wards={})
    accepted = validate_send(
        {"messaging_product": "whatsapp", "to": "919811200012", **outside}, templates=meta, media=MediaStore()
    )
    assert outside["template"]["name"] == "announcement" and broadcast.texts["hi"] in accepted.rendered


STEP = "name: x\nsteps:\n  - day: 0\n    hour: 9\n    texts: {en: a, hi: ब, kn: ಕ}\n"  # lines 1 to 5


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: Dengue\nsteps: []\n", 2, "'steps' is empty"),
        (STEP.replace("hour: 9", "hour: 25"), 4, "hour must be from 0 to 23"),
        (STEP.replace(", kn: ಕ", ""), 5, "texts is missing 'kn'"),
        (STEP + "    media: {type: gif, link: https://a.example/x.gif}\n", 6, "type must be one of image, video, document"),
        (STEP + "    media:\n      type: image\n      link: http://a.example/x.jpg\n", 8, "https"),
        (STEP.replace("day: 0", "day: 2") + "  - {day: 0, hour: 9, texts: {en: b, hi: भ, kn: ಖ}}\n", 2, "in order"),
    ],
)
def test_mistakes_in_a_campaign_file_name_their_line(tmp_path, text, line, message):
    path = tmp_path / "campaign.yml"
    path.write_text(text)
    with pytest.raises(SeedFileError) as error:
        campaigns.load_definition(path)
    assert str(error.value).startswith(f"{path}:{line}:") and message in str(error.value)


def test_the_api_starts_follows_and_cancels_a_campaign(api):
    created = api.post(
        "/api/campaigns",
        json={"campaign": "dengue_prevention", "start_on": "2030-01-01", "wards": "jayanagar", "topics": ["health"]},
    )
    assert created.status_code == 201 and len(created.json()["steps"]) == 3
    campaign_id = created.json()["id"]
    shown = api.get(f"/api/campaigns/{campaign_id}").json()
    assert shown["name"] == "Dengue prevention" and shown["audience"]["wards"] == ["jayanagar"]
    assert shown["steps"][0]["send_at"] == "2030-01-01T04:30:00Z"
    assert api.post(f"/api/campaigns/{campaign_id}/cancel").json()["status"] == "cancelled"
    assert {step["status"] for step in api.get(f"/api/campaigns/{campaign_id}").json()["steps"]} == {"cancelled"}
    assert api.get("/api/campaigns/999999").status_code == 404
    assert api.post("/api/campaigns", json={"campaign": "../../etc/passwd", "start_on": "2030-01-01"}).status_code == 400
    bad = api.post("/api/campaigns", json={"definition": {"name": "x", "steps": []}, "start_on": "2030-01-01"})
    assert bad.status_code == 400 and "steps" in bad.json()["error"]
    with db.session_scope() as session:
        assert session.get(models.Campaign, campaign_id).created_by == "ward-office"
