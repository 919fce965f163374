"""Awareness campaigns: several messages to one audience over days (dengue prevention, voter
education, traffic rules), written in config/campaigns/<name>.yml.

A campaign is a row and one scheduled broadcast (kind "campaign") per step, sent at its day and
hour in IST; the queue's sweep starts each step when it falls due, like any scheduled broadcast,
so every step has the audience rules, the window rules and the progress of an announcement.
Cancelling a campaign cancels the steps not yet done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.db import models
from nagarik.outbound import broadcasts, checks
from nagarik.shared import clock
from nagarik.shared.seed_files import Reader, load_yaml, mappings

CAMPAIGNS_DIR = settings.CONFIG_DIR / "campaigns"
LONGEST = 30  # days from the first step to the last


def load_definition(path: Path | str) -> dict[str, Any]:
    """Read and check a campaign file; a SeedFileError names the file and line of the first problem."""
    path = Path(path)
    if not path.exists() and (CAMPAIGNS_DIR / f"{path}.yml").exists():
        path = CAMPAIGNS_DIR / f"{path}.yml"  # "dengue_prevention" names the seed file
    return check(load_yaml(path), path)


def check(data: Any, source: Path | str = "campaign") -> dict[str, Any]:
    """A definition as plain data (from a file, or the API's JSON), checked and normalised:
    {"name", "steps": [{"day", "hour", "texts": {en, hi, kn}, "media": {type, link} | None}]}."""
    path = Path(str(source))
    root = Reader(path, data, "campaign", 1)
    name = root.get("name", str).strip()
    if not name or len(name) > 128:
        root.fail("campaign: name must have 1 to 128 characters", "name")
    steps = []
    for step in mappings(path, root, "steps"):
        day, hour = step.get("day", int), step.get("hour", int)
        if not 0 <= day <= LONGEST:
            step.fail(f"{step.what}: day must be from 0 to {LONGEST}", "day")
        if not 0 <= hour <= 23:
            step.fail(f"{step.what}: hour must be from 0 to 23 (IST)", "hour")
        texts = step.text("texts")
        for lang, text in texts.items():
            if len(text) > checks.LONGEST_TEXT:
                step.fail(f"{step.what}: texts {lang} is longer than {checks.LONGEST_TEXT} characters", "texts")
        media = None
        if step.get("media", dict, required=False) is not None:
            media_reader = Reader(path, step.data["media"], f"{step.what} media")
            media_type, link = media_reader.get("type", str), media_reader.get("link", str)
            if media_type not in checks.MEDIA_TYPES:
                media_reader.fail(f"{media_reader.what}: type must be one of {', '.join(checks.MEDIA_TYPES)}", "type")
            if not checks.is_https(link):
                media_reader.fail(f"{media_reader.what}: link must be an https:// address", "link")
            media = {"type": media_type, "link": link}
        steps.append({"day": day, "hour": hour, "texts": texts, "media": media})
    moments = [(step["day"], step["hour"]) for step in steps]
    if moments != sorted(moments) or len(set(moments)) != len(moments):
        root.fail("campaign: steps must be in order of day and hour, one step per moment", "steps")
    return {"name": name, "steps": steps}


def send_time(start_on: dt.date, day: int, hour: int) -> dt.datetime:
    """A step's moment (the office's local hour) as naive UTC, as broadcasts store it."""
    return clock.at_local_hour(start_on + dt.timedelta(days=day), hour)


def create(
    session: Session,
    definition: dict[str, Any],
    audience: broadcasts.Audience,
    start_on: dt.date,
    created_by: str,
    now: dt.datetime | None = None,
) -> models.Campaign:
    """Schedule every step for the audience; day 0 is start_on, which may not be in the past (IST)."""
    definition = check(definition)
    now = now or clock.utcnow()
    today = clock.to_local(now).date()
    if start_on < today:
        raise ValueError(f"a campaign cannot start in the past ({start_on} is before {today})")
    if audience.phones:
        raise ValueError("a campaign goes to wards, topics and languages, not to listed phones")
    campaign = models.Campaign(name=definition["name"], audience=audience.as_dict(), status="scheduled", created_by=created_by)
    session.add(campaign)
    session.flush()
    for step in definition["steps"]:
        broadcast = broadcasts.create(
            session,
            kind="campaign",
            texts=step["texts"],
            audience=audience,
            created_by=created_by,
            media=step["media"],
            send_at=send_time(start_on, step["day"], step["hour"]),
        )
        broadcast.campaign_id = campaign.id
    session.flush()
    return campaign


def steps_of(session: Session, campaign_id: int) -> list[models.Broadcast]:
    return list(
        session.execute(
            select(models.Broadcast)
            .where(models.Broadcast.campaign_id == campaign_id)
            .order_by(models.Broadcast.send_at, models.Broadcast.id)
        ).scalars()
    )


def _campaign(session: Session, campaign_id: int) -> models.Campaign:
    campaign = session.get(models.Campaign, campaign_id)
    if campaign is None:
        raise KeyError(campaign_id)
    return campaign


def cancel(session: Session, campaign_id: int) -> models.Campaign:
    """Stop the campaign: steps not yet sent are cancelled (a step under way stops where it is)."""
    campaign = _campaign(session, campaign_id)
    campaign.status = "cancelled"
    for step in steps_of(session, campaign_id):
        if step.status in ("scheduled", "running"):
            broadcasts.cancel(session, step.id)
    return campaign


@dataclass
class StepProgress:
    number: int  # 1, 2, ...
    send_at: dt.datetime  # naive UTC
    progress: broadcasts.Progress


def progress(session: Session, campaign_id: int) -> tuple[models.Campaign, list[StepProgress]]:
    campaign = _campaign(session, campaign_id)
    return campaign, [
        StepProgress(number, step.send_at, broadcasts.progress(session, step.id))
        for number, step in enumerate(steps_of(session, campaign_id), start=1)
    ]


def available() -> list[str]:
    """The campaign files in config/campaigns, by name."""
    return sorted(path.stem for path in CAMPAIGNS_DIR.glob("*.yml"))
