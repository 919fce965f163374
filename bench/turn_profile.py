"""Where one WhatsApp turn's time goes, in the production layout with one Rasa process.

    .venv/bin/python -m bench.turn_profile [--citizens 20] [--turns 10]

`citizens` write at once (each waits for its reply before writing again), enough to keep the Rasa
process busy. Printed:
- turns/s, and the CPU each process spent per turn (from /proc: Rasa, the action server, the
  receiver, nginx, PostgreSQL's backends, the simulator standing in for Meta): the cost of a turn
  in CPU milliseconds, which bounds turns/s per core whatever the machine runs beside it;
- py-spy's samples of the Rasa process (on CPU only), grouped by what the turn was doing: NLU
  (per component), dialogue policies, the tracker store, the lock store, the action call, the
  WhatsApp channel, the event loop and web server, the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench.deployment import turns
from harness.deployment import Deployment
from harness.servers import ROOT

TICKS = os.sysconf("SC_CLK_TCK")
PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")

# (label, pattern): a sample belongs to the first stage with a frame anywhere in its stack that
# matches. Rasa's modules by path, ours by package; the channel's own frames are under every turn,
# so only its store and Graph client count as the channel's work.
STAGES = [
    ("policies: TED", r"rasa/core/policies/ted_policy"),
    ("policies: rules and memoization", r"rasa/core/policies/(rule|memoization)"),
    ("policies: ensemble and featurising", r"rasa/core/policies/|rasa/core/featurizers/"),
    ("NLU: DIET classifier", r"rasa/nlu/classifiers/diet"),
    ("NLU: featurizers and tokenizer", r"rasa/nlu/featurizers/|rasa/nlu/tokenizers/"),
    ("NLU: entity extractor", r"rasa/nlu/extractors/"),
    ("NLU: spaCy pipeline", r"rasa/nlu/utils/spacy_utils"),
    ("NLU: other", r"rasa/nlu/"),
    ("tracker store (load, save)", r"rasa/core/tracker_store"),
    ("lock store (Redis)", r"rasa/core/lock_store"),
    ("action answers' schema check", r"jsonschema/"),
    ("action call (HTTP to the action server)", r"rasa/core/actions/action\.py|rasa/utils/endpoints"),
    ("channel: inbox and outbox (PostgreSQL)", r"whatsapp/cloud/store"),
    ("channel: Graph API calls", r"whatsapp/cloud/(graph|transport|aiohttp_transport)"),
    ("channel: rendering and the rest", r"channels/whatsapp\.py.*(send_response|_send)|whatsapp/(outbound|messages)"),
    ("graph runner and tracker events", r"rasa/engine/|rasa/shared/core/"),
    ("message processor", r"rasa/core/(processor|agent)"),
    ("web server and event loop", r"sanic/|asyncio/|uvloop|httptools"),
]
# Where a thread waits for work, should a sample still catch it there: not CPU.
IDLE = re.compile(
    r"^(_worker \(concurrent/futures/thread\.py|listen \(whatsapp/cloud/store\.py|serve \(sanic/server/runners\.py)"
)


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def py_spy(pid: int, raw: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` into `raw` (collapsed stacks) until it gets SIGINT: only threads holding
    the GIL, so Python on the CPU, not a thread waiting for PostgreSQL."""
    command = [PY_SPY, "record", "--pid", str(pid), "--rate", "200", "--gil", "--nonblocking", "--format", "raw"]
    return subprocess.Popen([*command, "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pids_of(pattern: str) -> list[int]:
    """Processes whose command line matches `pattern` (PostgreSQL: every backend running now)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if re.search(pattern, command):
                found.append(int(entry.name))
    return found


def processes(deployment: Deployment) -> dict[str, list[int]]:
    rasa_port = deployment.rasa_ports[0]
    return {
        "Rasa": pids_of(rf"rasa_offline\.py run .*--port {rasa_port}\b"),
        "action server": pids_of(rf"-m action_server --port {deployment.ports['actions']}\b"),
        "receiver": pids_of(rf"whatsapp\.cloud\.receiver --port {deployment.ports['receiver']}\b"),
        "nginx": pids_of(rf"nginx: .*{re.escape(str(deployment.directory))}|nginx: worker"),
        "PostgreSQL": pids_of(r"^postgres: "),
        "simulator (Meta)": [deployment.meta.pid],
    }


def stage_of(stack: str) -> str | None:
    frames = stack.split(";")
    if IDLE.match(frames[-1]):
        return None
    for label, pattern in STAGES:
        if any(re.search(pattern, frame) for frame in frames):
            return label
    return "other"


def samples_by_stage(raw: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        stage = stage_of(stack) if count.isdigit() else None
        if stage:
            counts[stage] += int(count)
    return counts


async def measure(deployment: Deployment, citizens: int, each: int) -> None:
    await turns(deployment, 4, 3, run=97)  # warm-up: the pipeline is loaded and every path has run once
    groups = processes(deployment)
    raw = deployment.directory / "rasa.pyspy"
    spy = py_spy(groups["Rasa"][0], raw)
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    samples, elapsed, _ = await turns(deployment, citizens, each, run=98)
    spent = {name: cpu_seconds(pids) - before[name] for name, pids in groups.items()}
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    count = len(samples)
    print(f"1 Rasa process, {citizens} citizens x {each} turns: {count / elapsed:.1f} turns/s ({count} turns in {elapsed:.1f} s)")
    print("CPU per turn, by process:")
    for name, seconds in spent.items():
        print(f"  {name:<22} {seconds * 1000 / count:7.1f} ms")
    total = sum(spent.values())
    print(f"  {'all of them':<22} {total * 1000 / count:7.1f} ms   (so at most {count / total:.1f} turns/s per core)")
    stages = samples_by_stage(raw) if raw.exists() else Counter()
    on_cpu = sum(stages.values()) or 1
    rasa_ms = spent["Rasa"] * 1000 / count
    print(
        f"Inside the Rasa process ({sum(stages.values())} samples, {rasa_ms:.1f} ms of CPU a turn shared in their proportions):"
    )
    for label, n in stages.most_common():
        print(f"  {label:<44} {n / on_cpu:6.1%}   {rasa_ms * n / on_cpu:6.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.turn_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    directory = ROOT / "var" / "bench-turn-profile"
    shutil.rmtree(directory, ignore_errors=True)
    deployment = Deployment(directory, rasa_processes=1, redis_dbs=(13, 14))
    try:
        deployment.start()
        await measure(deployment, args.citizens, args.turns)
    finally:
        deployment.stop()


if __name__ == "__main__":
    Path(ROOT / "var").mkdir(exist_ok=True)
    asyncio.run(main())
