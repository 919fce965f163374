"""Where citizens' data lives outside the civic database: Rasa's conversation trackers, the channel's
store (inbox and outbox texts) and the evidence files. The workers and the purge command open them
from the settings; tests pass their own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from nagarik import settings
from nagarik.citizens import trackers
from whatsapp.cloud import settings as channel_settings
from whatsapp.cloud.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stores:
    tracker: Engine | None  # None: Rasa has not made its tracker store (yet)
    channel: Store
    evidence_dir: Path

    @classmethod
    def from_settings(cls) -> Stores:
        tracker = trackers.store()
        if tracker is None:  # a wrong setting would otherwise leave conversations behind in silence
            where = make_url(settings.tracker_store_url()).render_as_string(hide_password=True)
            logger.warning("Rasa's tracker store %s has no conversations table: no conversation is erased or purged", where)
        return cls(tracker, _channel(channel_settings.store_url()), channel_settings.evidence_dir())


@lru_cache(maxsize=2)
def _channel(url: str) -> Store:
    return Store(url)  # makes or migrates its tables, as the channel does
