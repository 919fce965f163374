"""The grievance lifecycle as the issue's "Done means" walks it, through the whole stack: a
citizen files a broken streetlight in Hindi in the chat; a second citizen reporting the same
light joins it; the department acknowledges and assigns it; the demo's clock moves on so the
interim reply and the escalation come due; it is resolved, the citizen rates it Poor with the
resolution's button and appeals, and the appeal's decision reaches them; in Hindi throughout.

Officials act through `python -m nagarik grievance-status` (what the console and the API call:
nagarik.outbound.notifications.grievance_moved); workers send the messages. The demo clock
(NAGARIK_DEMO_CLOCK=1, `clock advance`) runs in the command and the workers only; the chat's
processes keep the real clock, which every guard allows (a rating after a resolution, an appeal
within 30 days of the closing)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import sent_to, text_of, wait_until

from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.citizens import escalation
from nagarik.db import models
from nagarik.shared import clock
from tests.support import devanagari

PIN = {"latitude": 12.9352, "longitude": 77.6245}  # Koramangala
NEAR = {"latitude": 12.93545, "longitude": 77.62465}  # about 35 m away: the same streetlight


def pinned(place: dict[str, float], name: str) -> dict[str, Any]:
    return {"type": "location", "location": {**place, "name": name}}


def file_streetlight(person, description: str, place: dict[str, float], name: str) -> str:
    """Through the chat up to the summary's confirmation; the office's answer to it."""
    person.say("स्ट्रीट लाइट खराब है शिकायत करनी है")
    person.say(description)
    person.send(pinned(place, name))
    person.send({"type": "image", "image": {"caption": "यही लाइट"}})
    return person.tap("/affirm")


def new_messages(phone: str, after: int) -> list[dict]:
    return [m for m in sent_to(phone) if m["seq"] > after]


def latest_seq(phone: str) -> int:
    return max((m["seq"] for m in sent_to(phone)), default=0)


def rating_ids(message: dict) -> list[str]:
    return [b["reply"]["id"] for b in message["payload"]["interactive"]["action"]["buttons"]]


def appeal_button(replies: list[dict]) -> str:
    """The id of the "appeal" button the Poor rating's answer offers."""
    for message in replies:
        interactive = message["payload"].get("interactive", {})
        for button in interactive.get("action", {}).get("buttons", []):
            if button["reply"]["id"].startswith("/appeal_grievance"):
                return button["reply"]["id"]
        for section in interactive.get("action", {}).get("sections", []):
            for row in section["rows"]:
                if row["id"].startswith("/appeal_grievance"):
                    return row["id"]
    pytest.fail(f"no appeal button in {[text_of(m) for m in replies]}")


def grievance(tracking_id: str) -> models.Grievance:
    with db.session_scope() as session:
        row = session.query(models.Grievance).filter_by(tracking_id=tracking_id).one()
        session.expunge(row)
        return row


def notes(tracking_id: str) -> list[str]:
    with db.session_scope() as session:
        row = session.query(models.Grievance).filter_by(tracking_id=tracking_id).one()
        return [note.kind for note in session.query(models.GrievanceNote).filter_by(grievance_id=row.id)]


def hours_until(catalog, day) -> int:
    """Whole hours from now (real time) to an hour after the office opens on `day`: that day's
    sweep steps are due then (escalation.sweep_day)."""
    zone = ZoneInfo(catalog.office.timezone)
    opened = dt.datetime.combine(day, catalog.office.opens, tzinfo=zone) + dt.timedelta(hours=1)
    now = clock.utcnow().replace(tzinfo=dt.timezone.utc)
    return max(1, math.ceil((opened - now).total_seconds() / 3600))


@pytest.fixture
def demo_clock(office):
    office.environment["NAGARIK_DEMO_CLOCK"] = "1"
    office.cli("clock", "reset")
    yield
    office.cli("clock", "reset")  # never leave the demo's clock moved


def test_a_streetlight_from_filing_to_appeal_in_hindi(citizen, office, demo_clock):
    filer, neighbour = citizen("919900000301"), citizen("919900000302")
    registered = file_streetlight(filer, "गली के कोने की स्ट्रीट लाइट पाँच दिन से बंद है, रात में अंधेरा रहता है", PIN, "मंदिर")
    assert devanagari(registered)
    tracking_id = re.search(r"GRV-\d{4}-\d{6}", registered).group(0)

    # Me too: the neighbour's report of the same light is offered the open grievance, and joins it.
    offer = file_streetlight(neighbour, "मंदिर के पास वाली स्ट्रीट लाइट कई दिन से नहीं जल रही है", NEAR, "मंदिर के पास")
    assert tracking_id in offer and devanagari(offer)
    joined = neighbour.tap("/affirm")
    assert tracking_id in joined and devanagari(joined)
    with db.session_scope() as session:
        row = session.query(models.Grievance).filter_by(tracking_id=tracking_id).one()
        assert [r.phone for r in row.reporters] == [neighbour.phone]
        assert session.query(models.Grievance).filter_by(phone=neighbour.phone).count() == 0  # no duplicate filed

    office.start_worker()
    # The department acknowledges and assigns it (the citizen is told each in Hindi).
    for status in ("acknowledged", "assigned"):
        seen = latest_seq(filer.phone)
        office.cli("grievance-status", tracking_id, status, "--by", "bescom-desk")
        told = wait_until(lambda seen=seen: new_messages(filer.phone, seen), f"the filer to hear '{status}'", seconds=120)
        assert tracking_id in text_of(told[0]) or told[0]["payload"]["type"] == "template"

    # Half the SLA passes: the interim reply goes to the filer and to the neighbour who joined.
    with db.session_scope() as session:
        catalog = current_catalog(session)
        filed = grievance(tracking_id)
        interim_day = escalation.half_sla_day(catalog, catalog.category(filed.category_key), filed.created_at)
    ahead = 0  # hours the demo's clock is ahead of this process's (real) clock
    seen = {p: latest_seq(p) for p in (filer.phone, neighbour.phone)}
    swept = office.cli("clock", "advance", f"{(hours := hours_until(catalog, interim_day))}h")
    ahead += hours
    assert "interim replies" in swept
    for phone in (filer.phone, neighbour.phone):
        interim = wait_until(lambda phone=phone: new_messages(phone, seen[phone]), f"the interim reply to {phone}", seconds=180)
        # Meta's 24-hour window runs on real time, which the demo's clock does not move: a text.
        assert tracking_id in text_of(interim[-1]) and devanagari(text_of(interim[-1]))
    assert grievance(tracking_id).interim_sent_at is not None

    # Its deadline passes: escalated up the ladder, in the history the console shows.
    office.cli("clock", "advance", f"{hours_until(catalog, grievance(tracking_id).due_on) - ahead}h")
    assert grievance(tracking_id).escalation_level >= 1
    assert "escalated" in notes(tracking_id)

    # Resolved: the note comes with Good / Average / Poor buttons; Poor, then the appeal.
    office.cli("grievance-status", tracking_id, "in_progress", "--by", "bescom-desk")
    seen_filer = latest_seq(filer.phone)
    photo = "https://bescom.example/repairs/5th-cross-after.jpg"
    office.cli(
        "grievance-status", tracking_id, "resolved", "--note", "नया बल्ब लगा दिया गया", "--by", "bescom-desk", "--photo", photo
    )

    def resolution() -> list[dict]:
        return [m for m in new_messages(filer.phone, seen_filer) if m["payload"].get("type") == "interactive"]

    notice = wait_until(resolution, "the resolution with its rating buttons", seconds=120)[-1]
    assert "नया बल्ब लगा दिया गया" in text_of(notice)
    assert notice["payload"]["interactive"]["header"] == {"type": "image", "image": {"link": photo}}  # the officer's photo
    filer.last = [notice]
    rated = filer.tap(next(b for b in rating_ids(notice) if '"rating":"poor"' in b))
    assert devanagari(rated) and tracking_id in rated
    assert grievance(tracking_id).rating == "poor"
    asked = filer.tap(appeal_button(filer.last))
    assert devanagari(asked)
    appealed = filer.say("बल्ब दो दिन में फिर से बंद हो गया, ठीक से मरम्मत नहीं हुई")
    assert devanagari(appealed) and tracking_id in appealed
    assert grievance(tracking_id).status == "appealed"

    # The appellate authority decides; the citizen hears it.
    seen_filer = latest_seq(filer.phone)
    office.cli(
        "grievance-status", tracking_id, "appeal_decided", "--note", "नया खंभा लगेगा", "--by", "appellate", "--as", "appellate"
    )
    decided = wait_until(lambda: new_messages(filer.phone, seen_filer), "the appeal's decision to reach the citizen", seconds=120)
    assert "नया खंभा लगेगा" in text_of(decided[-1]) and tracking_id in text_of(decided[-1])
    assert grievance(tracking_id).status == "appeal_decided"
