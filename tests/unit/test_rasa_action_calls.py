"""Rasa's calls to the action server as the project runs them (nagarik.shared.rasa_action_calls):
each answer validated as before, without checking the constant schema against the metaschema at
every call; the calls kept alive on one connection, their JSON unchanged. Run in Rasa's environment."""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = """
import asyncio, json, sys
import jsonschema
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

action = RemoteAction("action_anything", EndpointConfig("http://127.0.0.1:9"))
kind = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
checked = []
check_schema = kind.check_schema
kind.check_schema = classmethod(lambda cls, schema: (checked.append(1), check_schema(schema))[1])

def outcomes(answers):
    found = []
    for answer in answers:
        try:
            found.append(action._validate_action_result(answer))
        except jsonschema.ValidationError as error:
            found.append(error.message)
    return found

async def calls(payload):
    peers, bodies = [], []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        bodies.append(await request.json())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Nagarik-Actions-Token": "t"})
    answers = [await endpoint.request(json=payload, method="post") for _ in range(3)]
    await runner.cleanup()
    return {"connections": len(set(peers)), "bodies_intact": all(body == payload for body in bodies), "answers": answers}

answers, payload = json.loads(sys.argv[1]), json.loads(sys.argv[2])
before, checks_before = outcomes(answers), len(checked)
calls_before = asyncio.run(calls(payload))
from nagarik.shared import rasa_action_calls
rasa_action_calls.install()
checked.clear()
after = outcomes(answers)
calls_after = asyncio.run(calls(payload))
print(json.dumps({"before": before, "after": after, "checks_before": checks_before, "checks_after": len(checked),
                  "calls_before": calls_before, "calls_after": calls_after}))
"""

ANSWERS = [
    {"events": [{"event": "slot", "name": "ward", "value": "Ward 5"}], "responses": [{"text": "Noted."}]},
    {"events": [], "responses": []},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without its name
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]
# A tracker as the action call carries it: texts in every script, a link, times with fractions.
PAYLOAD = {
    "next_action": "action_service_info",
    "tracker": {
        "sender_id": "919876543210",
        "latest_message": {"text": "ट्रेड लाइसेंस ಬಗ್ಗೆ </script> https://example.gov.in/a?b=c", "intent": {"confidence": 0.81234567}},
        "events": [{"event": "user", "timestamp": 1764670000.123456, "text": "office timings"}, {"event": "slot", "value": None}],
    },
}


@pytest.fixture(scope="module")
def result() -> dict:
    arguments = [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(ANSWERS), json.dumps(PAYLOAD)]
    done = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_action_answers_are_validated_as_before_against_a_schema_checked_once(result: dict) -> None:
    assert result["after"] == result["before"]
    assert result["before"][:2] == [True, True] and all(isinstance(outcome, str) for outcome in result["before"][2:])
    assert "Failed to validate Action server response" in result["after"][2]
    assert result["checks_before"] == len(ANSWERS)  # Rasa as it comes: the metaschema check at every answer
    assert result["checks_after"] == 0


def test_action_calls_share_a_kept_alive_connection_and_carry_the_same_json(result: dict) -> None:
    assert result["calls_before"]["connections"] == 3  # Rasa as it comes: a new connection for every call
    assert result["calls_after"]["connections"] == 1
    assert result["calls_after"]["bodies_intact"] and result["calls_before"]["bodies_intact"]
    assert result["calls_after"]["answers"] == [{"events": [], "responses": []}] * 3
