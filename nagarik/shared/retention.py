"""How long each kind of personal data is kept (config/retention.yml), in one place: the purge
job, the privacy notice and the tests all read it from here. Pure Python and PyYAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nagarik import settings
from nagarik.shared.seed_files import SeedFileError, load_yaml

RETENTION_FILE = settings.CONFIG_DIR / "retention.yml"
KEYS = ("messages_days", "conversations_days", "unlinked_media_days", "broadcast_copies_days")


@dataclass(frozen=True)
class Retention:
    messages: dt.timedelta  # inbox and outbox texts
    conversations: dt.timedelta  # Rasa's trackers
    unlinked_media: dt.timedelta  # media no grievance uses
    broadcast_copies: dt.timedelta  # per-citizen copies of finished broadcasts


@lru_cache(maxsize=4)
def retention(path: Path = RETENTION_FILE) -> Retention:
    values = load_yaml(path)
    if not isinstance(values, dict):
        raise SeedFileError(f"{path}: expected a mapping of {', '.join(KEYS)}")
    days = []
    for key in KEYS:
        value = values.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise SeedFileError(f"{path}: {key} must be a whole number of days above 0")
        days.append(dt.timedelta(days=value))
    return Retention(*days)
