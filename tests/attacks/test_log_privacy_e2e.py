"""The real Rasa server at --debug, started as the project starts it (scripts/rasa_offline.py),
with the action server beside it: one citizen's conversation over the REST channel (a phone
number as sender, a date of birth that passes the status check, a distinctive text), then the
tracker read over the HTTP API, and neither log holds the number, the date or the text.

Before: the Rasa log held the number in about 20 lines (lock store, tracker store, sessions),
the texts in Rasa's structlog events and tracker states, and slot values in its slot dumps.
About 60 s: the Rasa server's start is most of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from harness.ports import free_port
from harness.servers import RASA, REST_ONLY, ROOT, Server, action_server, run_secrets, simulator_settings, write_endpoints

CITIZEN = "919812345678"
DOB = "15-08-1985"  # TL-2026-000981's applicant (tests/fixtures/seed/applications.yml), not this sender
TEXT = "zebraquartz"
APPLICATION = "TL-2026-000981"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not list((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("no trained model in models/: run `make train` first")
    directory = tmp_path_factory.mktemp("log_privacy")
    env = {
        **os.environ,
        **simulator_settings(free_port()),  # the WhatsApp channel starts; nothing is sent to it
        "DATABASE_URL": f"sqlite:///{directory / 'nagarik.db'}",
        "WHATSAPP_STORE_URL": f"sqlite:///{directory / 'whatsapp.db'}",
        "WHATSAPP_EVIDENCE_DIR": str(directory / "evidence"),
        "NAGARIK_SAMPLE_DIR": str(ROOT / "tests" / "fixtures" / "seed"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "LOG_LEVEL_LIBRARIES": "DEBUG",  # Sanic's access lines too (a tracker URL holds the number)
    }
    env.update(run_secrets(env))
    init = Server("init", [str(ROOT / ".venv/bin/python"), "-m", "nagarik", "init"], env, directory / "init.log")
    init.start()
    assert init.popen is not None and init.popen.wait(timeout=120) == 0, (directory / "init.log").read_text()
    rasa_port, actions_port = free_port(), free_port()
    actions = action_server(actions_port, env, directory / "actions.log")
    command = [*RASA, "run", "--debug", "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", "models"]
    # One argument with "=": a token may begin with "-", which Rasa's argument parser would take for an option.
    command += ["--enable-api", f"--auth-token={env['RASA_AUTH_TOKEN']}"]
    command += ["--endpoints", str(write_endpoints(directory, actions_port)), "--credentials", REST_ONLY]
    rasa = Server("Rasa server", command, env, directory / "rasa.log", f"http://127.0.0.1:{rasa_port}/webhooks/rest/", 300)
    try:
        actions.start()
        rasa.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{rasa_port}", timeout=60) as http:
            replies = []
            for text in ("hi", f"status of {APPLICATION}", f"{DOB} {TEXT}"):
                answer = http.post("/webhooks/rest/webhook", json={"sender": CITIZEN, "message": text})
                replies.append(" ".join(reply.get("text", "") for reply in answer.raise_for_status().json()))
            http.get(f"/conversations/{CITIZEN}/tracker", params={"token": env["RASA_AUTH_TOKEN"]}).raise_for_status()
    finally:
        rasa.stop()
        actions.stop()
    # The date was asked for and accepted: the status was told, so it went through both servers.
    assert "date of birth" in replies[1] and APPLICATION in replies[2], replies
    logs = {name: (directory / f"{name}.log").read_text(errors="replace") for name in ("rasa", "actions")}
    logs["token"] = env["RASA_AUTH_TOKEN"]
    yield logs


@pytest.mark.parametrize("name", ["rasa", "actions"])
def test_no_number_date_or_text_in_the_logs(logs: dict[str, str], name: str) -> None:
    log = logs[name]
    left = [item for item in (CITIZEN, CITIZEN[2:], DOB, "1985-08-15", TEXT) if item in log]
    assert not left, f"{left} in the {name} log:\n" + "\n".join(line for line in log.splitlines() if any(i in line for i in left))


def test_the_rasa_log_was_written_at_debug_with_the_number_masked(logs: dict[str, str]) -> None:
    log = logs["rasa"]
    assert "processor.message.parse" in log and "processor.slots.log" in log  # Rasa's DEBUG events, redacted
    assert "Acquired lock for conversation '91******5678'." in log
    assert "/conversations/91******5678/tracker" in log  # Sanic's access line
    assert logs["token"] not in log  # nor Rasa's API token from its query
