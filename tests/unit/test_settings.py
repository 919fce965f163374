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
        ("NAGARIK_TRACKER_STORE_URL", "mongodb://somewhere/rasa", settings.tracker_store_url),
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
    monkeypatch.setenv("NAGARIK_API_TOKENS", "abc:ward-office:broadcast+alert, def:revenue:applications,")
    assert settings.api_tokens() == {
        "abc": settings.ApiToken("ward-office", frozenset({"broadcast", "alert"})),
        "def": settings.ApiToken("revenue", frozenset({"applications"})),
    }
    monkeypatch.setenv("NAGARIK_MESSAGING_TIER", "unlimited")
    assert settings.messaging_tier() is None


def test_a_token_in_the_old_format_has_no_scopes(monkeypatch) -> None:
    """token:who still says who; it may do nothing until it lists its scopes (nothing gains rights silently)."""
    monkeypatch.setenv("NAGARIK_API_TOKENS", "abc:ward-office")
    assert settings.api_tokens() == {"abc": settings.ApiToken("ward-office", frozenset())}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("secret-one:ward-office,broken", "item 2: expected token:who or token:who:scope"),
        ("secret-one:ward-office:broadcast+teleport", "item 1 \\(ward-office\\): unknown scope\\(s\\) teleport"),
        ("secret-one:ward-office:broadcast,secret-one:revenue:alert", "item 2 \\(revenue\\): the same token is given twice"),
        ("secret-one::broadcast", "item 1: expected"),
        (f"secret-one:{'x' * 65}:broadcast", "item 1: who has 65 characters; at most 64"),
        ("secret-one:ward-office:broadcast:extra", "item 1: expected"),
    ],
)
def test_a_wrong_token_list_is_refused_naming_the_variable_not_the_token(monkeypatch, value, problem) -> None:
    monkeypatch.setenv("NAGARIK_API_TOKENS", value)
    with pytest.raises(ValueError, match=f"NAGARIK_API_TOKENS {problem}") as refused:
        settings.api_tokens()
    assert "secret-one" not in str(refused.value)


def test_the_tracker_store_is_the_one_the_endpoints_file_names(monkeypatch) -> None:
    """Erasure and the purge reach the conversations Rasa keeps: var/tracker.db as endpoints.yml says, or the
    PostgreSQL database endpoints.postgres.yml (and deploy/) build from TRACKER_DB_*, unless named outright."""
    for name in ("NAGARIK_TRACKER_STORE_URL", "TRACKER_DB_HOST", "TRACKER_DB_PORT", "TRACKER_DB_USER", "TRACKER_DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert settings.tracker_store_url() == f"sqlite:///{settings.PROJECT_ROOT / 'var' / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DB_HOST", "db.internal")
    monkeypatch.setenv("TRACKER_DB_NAME", "nagarik_conversations")
    monkeypatch.setenv("TRACKER_DB_USER", "nagarik")
    monkeypatch.setenv("TRACKER_DB_PASSWORD", "p@ss/word")
    assert settings.tracker_store_url() == "postgresql+psycopg2://nagarik:p%40ss%2Fword@db.internal:5432/nagarik_conversations"
    monkeypatch.setenv("NAGARIK_TRACKER_STORE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    assert settings.tracker_store_url() == "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
