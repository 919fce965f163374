"""Erasing a conversation from Rasa's own SQLTrackerStore (run in the Rasa environment): a turn that
loaded the tracker before the erasure writes its events back when it ends, which is why the
workers make a second pass; after it only what came after the request is left, and Rasa goes on
saving new turns without doubling any event."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from nagarik.citizens import trackers

path, sender = sys.argv[1], "919876543210"
domain = Domain.empty()
rasa_store = SQLTrackerStore(domain, dialect="sqlite", db=path)

async def stamps():
    tracker = await rasa_store.retrieve_full_tracker(sender)
    return [event.timestamp for event in tracker.events] if tracker else []

async def main():
    tracker = await rasa_store.get_or_create_tracker(sender, append_action_listen=False)
    for event in (ActionExecuted("action_session_start", timestamp=1000), SessionStarted(timestamp=1000),
                  ActionExecuted("action_listen", timestamp=1000), UserUttered("delete my data", timestamp=1001),
                  ActionExecuted("action_ask_erasure", timestamp=1002), ActionExecuted("action_listen", timestamp=1002)):
        tracker.update(event)
    await rasa_store.save(tracker)
    turn = await rasa_store.retrieve(sender)  # the citizen's yes: a turn loads the conversation
    turn.update(UserUttered("yes", timestamp=1010))
    engine = trackers.store(f"sqlite:///{path}")
    first = trackers.erase(engine, sender, 1010.0)  # a pass runs while the turn is still going
    turn.update(ActionExecuted("action_erase_my_data", timestamp=1011))
    await rasa_store.save(turn)  # the turn ends
    written_back = await stamps()
    second = trackers.erase(engine, sender, 1010.0)
    after = await stamps()
    later = await rasa_store.retrieve(sender)  # the citizen writes again
    later.update(UserUttered("hi", timestamp=2000))
    await rasa_store.save(later)
    print(json.dumps({"first": first, "written_back": written_back, "second": second, "after": after, "next": await stamps()}))

asyncio.run(main())
"""


def test_the_second_pass_removes_what_a_running_turn_wrote_back(tmp_path):
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    command = [str(RASA_PYTHON), "-c", SCRIPT, str(tmp_path / "tracker.db")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first"] == 6
    # Rasa wrote the whole conversation back, with the turn's new events.
    assert result["written_back"] == [1000, 1000, 1000, 1001, 1002, 1002, 1010, 1011]
    assert result["second"] == 7
    assert result["after"] == [1011] and result["next"] == [1011, 2000]
