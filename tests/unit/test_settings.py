"""Settings come from the environment with defaults, and a wrong value names its variable."""

from __future__ import annotations

import pytest

from nagarik import settings


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("NAGARIK_MESSAGES_PER_SECOND", "fast", settings.messages_per_second),
        ("NAGARIK_MESSAGES_PER_SECOND", "5000", settings.messages_per_second),
        ("NAGARIK_SEND_LEASE_SECONDS", "-1", settings.send_lease_seconds),
        ("NAGARIK_MESSAGING_TIER", "1000000", settings.messaging_tier),
        ("NAGARIK_QUEUE_URL", "amqp://guest@localhost", settings.queue_url),
        ("NAGARIK_PACING_URL", "memcached://somewhere", settings.pacing_url),
    ],
)
def test_a_wrong_value_is_refused_naming_its_variable(monkeypatch, variable, value, read) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        read()


def test_defaults_and_values_given(monkeypatch) -> None:
    for name in ("NAGARIK_MESSAGES_PER_SECOND", "NAGARIK_MESSAGING_TIER", "NAGARIK_QUEUE_URL", "NAGARIK_API_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    assert settings.messages_per_second() == 80 and settings.messaging_tier() == 2000
    assert settings.queue_url() == f"sqlite:///{settings.DEFAULT_QUEUE_PATH}"
    assert settings.api_tokens() == {}
    monkeypatch.setenv("NAGARIK_API_TOKENS", "abc:ward-office, def:revenue,broken")
    assert settings.api_tokens() == {"abc": "ward-office", "def": "revenue"}
    monkeypatch.setenv("NAGARIK_MESSAGING_TIER", "unlimited")
    assert settings.messaging_tier() is None
