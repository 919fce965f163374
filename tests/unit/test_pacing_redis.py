"""Pacing slots in the database and in Redis: the same GCRA, atomic across threads.

The Redis tests use the real server at NAGARIK_TEST_REDIS_URL (default redis://127.0.0.1:6379/0)
under a key prefix of their own, and fail (never skip) when it is not there.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from nagarik import db, settings
from nagarik.outbound import pacing

REDIS_URL = os.environ.get("NAGARIK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
Reserve = Callable[..., dict[str, float]]


@pytest.fixture
def redis_pacer() -> Iterator[pacing.RedisPacer]:
    import redis

    prefix = f"nagarik:test:{uuid.uuid4().hex[:10]}:"
    pacer = pacing.RedisPacer(REDIS_URL, prefix)
    try:
        pacer.client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc}): start redis-server or set NAGARIK_TEST_REDIS_URL")
    yield pacer
    for key in pacer.client.scan_iter(prefix + "*"):
        pacer.client.delete(key)
    pacer.client.close()


@pytest.fixture(params=["database", "redis"])
def reserve(request: pytest.FixtureRequest, database: str) -> Reserve:
    """reserve(counts, interval, now=None) on either store; the database one commits each call."""
    if request.param == "redis":
        return request.getfixturevalue("redis_pacer").reserve

    def in_database(counts: dict[str, int], interval: float, now: float | None = None) -> dict[str, float]:
        with db.session_scope() as session:
            return pacing.DatabasePacer(session).reserve(counts, interval, now)

    return in_database


def test_a_batch_takes_consecutive_slots_and_the_next_one_follows(reserve: Reserve) -> None:
    assert reserve({"number:1": 5}, 0.1, now=1000.0) == {"number:1": 1000.0}  # slots 1000.0 ... 1000.4
    assert reserve({"number:1": 1}, 0.1, now=1000.2) == pytest.approx({"number:1": 1000.5})
    assert reserve({"number:1": 2}, 0.1, now=1000.25) == pytest.approx({"number:1": 1000.6})
    # Idle time earns no burst: after a pause the next slot is "now", one interval at a time.
    assert reserve({"number:1": 1}, 0.1, now=2000.0) == {"number:1": 2000.0}
    assert reserve({"number:1": 1}, 0.1, now=2000.0) == pytest.approx({"number:1": 2000.1})


def test_each_citizen_has_a_gap_of_their_own(reserve: Reserve) -> None:
    gap = pacing.CITIZEN_GAP_SECONDS
    first = reserve({"citizen:a": 1, "citizen:b": 1}, gap, now=50.0)
    assert first == {"citizen:a": 50.0, "citizen:b": 50.0}
    again = reserve({"citizen:a": 1, "citizen:c": 1}, gap, now=51.0)
    assert again == pytest.approx({"citizen:a": 56.0, "citizen:c": 51.0})  # a waits 6 s after its last; c is new


def test_no_sliding_second_exceeds_the_rate_with_several_threads(reserve: Reserve) -> None:
    rate, threads, batches = 200, 4, 15
    interval = 1.0 / rate
    slots: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for b in range(batches):
                count = 1 + (n * 7 + b * 3) % 12  # batches of 1 to 12, as workers claim them
                start = reserve({"number:shared": count}, interval, now=time.time())["number:shared"]
                with lock:
                    slots.extend(start + i * interval for i in range(count))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    running = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert not errors, errors
    slots.sort()
    assert len(slots) == sum(1 + (n * 7 + b * 3) % 12 for n in range(threads) for b in range(batches))
    # Slots from all threads never overlap: each is at least one interval after the one before...
    assert min(b - a for a, b in itertools.pairwise(slots)) >= interval - 1e-6
    # ...so no window of one second, starting anywhere, holds more than the rate.
    busiest = max(sum(1 for s in slots if start <= s < start + 1.0 - 1e-6) for start in slots)
    assert busiest <= rate


def test_redis_uses_its_own_clock_and_keys_expire(redis_pacer: pacing.RedisPacer) -> None:
    before = time.time()
    first = redis_pacer.reserve({"number:clock": 3}, 0.5)["number:clock"]
    second = redis_pacer.reserve({"number:clock": 1}, 0.5)["number:clock"]
    # Redis's "now" is turned into this machine's time: the first slot is about now, the next 1.5 s on.
    assert before - 1.0 < first < time.time() + 1.0
    assert second - first == pytest.approx(1.5, abs=0.05)
    ttl_ms = redis_pacer.client.pttl(redis_pacer.prefix + "number:clock")
    assert 0 < ttl_ms <= 62_000  # a minute after the last slot, so finished rates do not pile up


@pytest.mark.parametrize(
    ("pacing_url", "queue_url", "expected"),
    [
        ("", "", "database"),
        ("", "sqlite:///var/queue.db", "database"),
        ("", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),  # the queue's Redis, one clock for all
        ("database", "redis://127.0.0.1:6379/0", "database"),
        ("redis://10.0.0.5:6379/2", "", "redis://10.0.0.5:6379/2"),
    ],
)
def test_where_the_slots_live(monkeypatch: pytest.MonkeyPatch, pacing_url: str, queue_url: str, expected: str) -> None:
    monkeypatch.setenv("NAGARIK_PACING_URL", pacing_url)
    monkeypatch.setenv("NAGARIK_QUEUE_URL", queue_url)
    assert settings.pacing_url() == expected


def test_a_bad_pacing_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAGARIK_PACING_URL", "memcached://somewhere")
    with pytest.raises(ValueError, match="NAGARIK_PACING_URL"):
        settings.pacing_url()
