"""Demo-only data (seed/demo.yml): the demo citizen's neighbours who chose updates."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from nagarik import db, settings
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.shared.seed_files import load_yaml

DEMO_FILE = settings.SEED_DIR / "demo.yml"


def seed_neighbours(path: Path = DEMO_FILE) -> int:
    """Adds the neighbours once (running it again adds nobody); returns how many were added."""
    spec = load_yaml(path)["neighbours"]
    first = int(spec["first_phone"])
    phones = [str(first + n) for n in range(int(spec["count"]))]
    with db.session_scope() as session:
        known = set(session.execute(select(models.Citizen.phone).where(models.Citizen.phone.in_(phones))).scalars())
        for position, phone in enumerate(p for p in phones if p not in known):
            subscriptions.notice_shown(session, phone)
            for topic in spec["topics"]:
                subscriptions.subscribe(session, phone, topic, channel="demo")
            subscriptions.set_ward(session, phone, spec["ward"], channel="demo")
            session.get(models.Citizen, phone).language = spec["languages"][position % len(spec["languages"])]
        return len(phones) - len(known)
