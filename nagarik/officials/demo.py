"""Demo-only data (seed/demo.yml): the demo citizen's neighbours who chose updates, and one
console account per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from nagarik import db, settings
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.shared.seed_files import load_yaml
from nagarik.staff import accounts, audit

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


@dataclass(frozen=True)
class NewAccount:
    username: str
    role: str
    departments: list[str]
    password: str  # generated now; the caller prints it once, nothing keeps it


def seed_accounts(path: Path = DEMO_FILE) -> tuple[list[NewAccount], int]:
    """Adds the missing demo accounts with generated passwords; returns them and how many existed
    already (those keep their passwords: a re-run resets nothing)."""
    made: list[NewAccount] = []
    existing = 0
    with db.session_scope() as session:
        for spec in load_yaml(path)["officials"]:
            username = str(spec["username"])
            if accounts.find(session, username) is not None:
                existing += 1
                continue
            departments = [str(key) for key in spec.get("departments", [])]
            password = accounts.generate_password()
            accounts.create(session, username, str(spec["role"]), password, departments, str(spec.get("language", "en")))
            audit.record(session, "demo", "account.add", username, detail=str(spec["role"]))
            made.append(NewAccount(username, str(spec["role"]), departments, password))
    return made, existing
