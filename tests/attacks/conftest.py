"""Counts of the fuzz tests (test_fuzz.py): how many inputs each target ran, shown at the session's end."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

FUZZ_COUNTS = pytest.StashKey[dict[str, list[float]]]()


@pytest.fixture(scope="session")
def fuzz_counts(request: pytest.FixtureRequest) -> dict[str, list[float]]:
    """target -> [inputs run, seconds spent, inputs refused]; a session fixture, so Hypothesis may share it across examples."""
    return request.config.stash.setdefault(FUZZ_COUNTS, defaultdict(lambda: [0, 0.0, 0]))


class Timed:
    """Counts one input for `target`, the time it took (reported, never asserted) and whether the
    target refused it (set `refused`: a fuzzer whose inputs are all refused tests little)."""

    def __init__(self, counts: dict[str, list[float]], target: str) -> None:
        self.entry = counts[target]
        self.refused = False

    def __enter__(self) -> Timed:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.entry[0] += 1
        self.entry[1] += time.perf_counter() - self.started
        self.entry[2] += self.refused


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    counts = config.stash.get(FUZZ_COUNTS, None)
    if not counts:
        return
    terminalreporter.section("fuzzing")
    for target, (inputs, seconds, refused) in sorted(counts.items()):
        terminalreporter.write_line(f"fuzz: {target}: {int(inputs)} inputs ({int(refused)} refused) in {seconds:.1f} s")
