"""Play conversations against a running Rasa server and write them as Rasa test stories.

    .venv/bin/python scripts/record_story.py conversations.yml tests/stories/test_x.yml

`conversations.yml` is a list of {story: name, sender: phone (optional), messages: [text, ...]}
(kept under tests/conversations/).
Each conversation starts from /restart; the tracker afterwards (intents, entity spans, actions,
form events) becomes the story, with the transcript printed so a person checks every reply
before the story is kept. This is how trainers turn a real conversation into a regression test.
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path
from typing import Any

import httpx
import yaml

RASA_URL = "http://127.0.0.1:5005"
SKIPPED_ACTIONS = {"action_listen", "action_session_start", "action_restart", "action_extract_slots"}


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """Rasa's [span](entity) markup, with a value only where it differs from the span."""
    result, position = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        span = text[entity["start"] : entity["end"]]
        result.append(text[position : entity["start"]])
        if str(entity["value"]) == span:
            result.append(f"[{span}]({entity['entity']})")
        else:
            result.append(f'[{span}]{{"entity": "{entity["entity"]}", "value": "{entity["value"]}"}}')
        position = entity["end"]
    result.append(text[position:])
    return "".join(result)


def user_step(event: dict[str, Any]) -> dict[str, Any]:
    parse = event.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    text = event.get("text") or ""
    entities = parse.get("entities") or []
    if text.startswith("/"):  # a button payload: no text to classify
        step: dict[str, Any] = {"intent": intent}
        if entities:
            step["entities"] = [{e["entity"]: e["value"]} for e in entities]
        return step
    return {"user": annotate(text, entities), "intent": intent}


def story_steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    restarts = [i for i, e in enumerate(events) if e.get("event") == "restart"]
    steps: list[dict[str, Any]] = []
    for event in events[restarts[-1] + 1 if restarts else 0 :]:
        kind = event.get("event")
        if kind == "user":
            steps.append(user_step(event))
        elif kind == "action" and event.get("name") not in SKIPPED_ACTIONS:
            steps.append({"action": event["name"]})
        elif kind == "active_loop":
            steps.append({"active_loop": event.get("name")})
        elif kind == "slot" and event.get("name") == "requested_slot":
            steps.append({"slot_was_set": [{"requested_slot": event.get("value")}]})
    return steps


def default_sender(story: str) -> str:
    """A phone number of the story's own, so stories never share a citizen's remembered state."""
    return f"9171{zlib.crc32(story.encode()) % 10**8:08d}"


def record(client: httpx.Client, name: str, sender: str, messages: list[str]) -> dict[str, Any]:
    print(f"\n## {name} ({sender})")
    client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "/restart"}).raise_for_status()
    for message in messages:
        replies = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message}).json()
        print(f"> {message}")
        for reply in replies:
            buttons = [b["title"] for b in reply.get("buttons") or []]
            print(f"  < {reply.get('text', '')!r}" + (f" {json.dumps(buttons, ensure_ascii=False)}" if buttons else ""))
    events = client.get(f"/conversations/{sender}/tracker").json()["events"]
    return {"story": name, "steps": story_steps(events)}


def main(source: str, target: str) -> int:
    conversations = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    with httpx.Client(base_url=RASA_URL, timeout=60) as client:
        stories = [
            record(client, c["story"], str(c.get("sender") or default_sender(c["story"])), c["messages"]) for c in conversations
        ]
    Path(target).write_text(
        yaml.safe_dump({"version": "3.1", "stories": stories}, allow_unicode=True, sort_keys=False, width=200),
        encoding="utf-8",
    )
    print(f"\nwrote {len(stories)} stories to {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
