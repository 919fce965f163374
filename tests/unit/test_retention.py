"""The retention periods' file: what the shipped one says, and a wrong value named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nagarik.shared.retention import retention
from nagarik.shared.seed_files import SeedFileError


def test_the_shipped_periods_keep_messages_a_year() -> None:
    periods = retention()
    assert periods.messages == dt.timedelta(days=365)
    assert periods.unlinked_media < periods.broadcast_copies < periods.conversations


@pytest.mark.parametrize("value", ["0", "-3", "'ten'", "true", "1.5"])
def test_a_period_that_is_not_whole_days_above_zero_is_named(tmp_path: Path, value: str) -> None:
    path = tmp_path / "retention.yml"
    path.write_text(f"messages_days: 365\nconversations_days: {value}\nunlinked_media_days: 7\nbroadcast_copies_days: 90\n")
    with pytest.raises(SeedFileError, match="conversations_days"):
        retention(path)
