"""Nothing personal in a log line (nagarik.shared.log_privacy): the log calls Rasa 3.6, rasa_sdk,
Sanic and our own code make, copied from their source with a citizen's number, a date of birth
and a message text in them, go through the installed hooks and come out without any of the three.
The end-to-end check against a real Rasa server is tests/attacks/test_log_privacy_e2e.py."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from nagarik.shared import log_privacy
from nagarik.shared.log_privacy import mask, redact

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
CITIZEN = "919812345678"
DOB = "15-08-1985"
TEXT = "zebraquartz near the old temple"
# What must not be left: the number in any common form, the date in any form, the text's words.
PERSONAL = (CITIZEN, CITIZEN[2:], "98123 45678", DOB, "1985-08-15", "15 aug 1985", "zebraquartz", "old temple")


def assert_private(output: str) -> None:
    left = [item for item in PERSONAL if item.lower() in output.lower()]
    assert not left, f"{left} left in:\n{output}"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """install() in this process, a handler on the root logger; everything put back afterwards."""
    saved = (logging.getLogRecordFactory(), warnings.formatwarning, sys.excepthook, threading.excepthook)
    access = logging.getLogger("sanic.access")
    access_filters = list(access.filters)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s - %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    log_privacy.install()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        access.filters[:] = access_filters
        logging.setLogRecordFactory(saved[0])
        warnings.formatwarning, sys.excepthook, threading.excepthook = saved[1:]


def slot_set(key: str, value: object) -> str:
    return f"SlotSet(key: {key}, value: {value})"  # rasa/shared/core/events.py SlotSet.__repr__


def user_uttered(text: str, intent: str, entity: str) -> str:  # UserUttered.__str__
    entities = f", entities: {entity} (Type: date, Role: None, Group: None)"
    return f"UserUttered(text: {text}, intent: {intent}{entities}, use_text_for_featurization: False)"


def bot_uttered(text: str, metadata: dict[str, str]) -> str:  # BotUttered.__str__
    return "BotUttered(text: {}, data: {}, metadata: {})".format(text, json.dumps({"buttons": None}), json.dumps(metadata))


EVENTS = "\n".join([slot_set("status_dob", DOB), slot_set("grievance_description", TEXT), user_uttered(TEXT, "inform", DOB)])
TRACKER = {"sender_id": CITIZEN, "slots": {"status_dob": DOB}, "latest_message": {"text": TEXT}, "events": []}

# (logger, format, args): the calls as the packages make them (file and line in rasa 3.6.21 / rasa_sdk 3.6.2).
STDLIB_CALLS = [
    ("rasa.core.lock_store", f"Issuing ticket for conversation '{CITIZEN}'.", ()),  # lock_store.py:79
    ("rasa.core.tracker_store", f"Tracker with sender_id '{CITIZEN}' stored to database", ()),  # tracker_store.py:1362
    ("rasa.core.tracker_store", f"Can't retrieve tracker matching sender id '{CITIZEN}' from SQL storage.", ()),
    ("rasa.core.processor", f"Starting a new session for conversation ID '{CITIZEN}'.", ()),  # processor.py:304
    ("rasa.core.processor", f"Circuit breaker tripped. Stopped predicting more actions for sender '{CITIZEN}'.", ()),
    ("rasa.server", f"Fetched trackers for 1 conversation sessions for conversation ID {CITIZEN}.", ()),  # server.py:330
    # forms.py:603, events as str() shows them: a slot holding the date, another the text
    ("rasa.core.actions.forms", f"The execution of 'action_extract_slots' resulted in these events: {EVENTS}.", ()),
    (
        "rasa.core.processor",
        f"Canceled reminder because it is outdated (ReminderScheduled(intent: remind, "
        f"trigger_date: 2099-01-01 10:00:00, entities: [{{'entity': 'dob', 'value': '{DOB}'}}], name: r1)).",
        (),
    ),
    (
        "rasa.core.nlg.callback",
        "Requesting NLG for {} from {}.The request body is {}.".format(
            "utter_status", "http://nlg/", json.dumps({"tracker": TRACKER})
        ),
        (),
    ),  # nlg/callback.py:84
    ("rasa.core.nlg.callback", f"Received NLG response: {json.dumps({'text': f'{TEXT} on {DOB}'})}", ()),
    ("rasa_sdk.executor", f"Contents of ignored event: '{ {'event': 'slot', 'name': 'status_dob', 'value': DOB} }'", ()),
    ("rasa_sdk.endpoint", "Exception occurred during execution of request %s", ("<Request: POST /webhook>",)),
    ("sanic.error", "Exception occurred while handling uri: %s", (f"'http://127.0.0.1:5005/conversations/{CITIZEN}/tracker'",)),
    # ours: channels/whatsapp.py, whatsapp/cloud/graph.py (the number unmasked: the hooks mask it)
    ("channels.whatsapp", "message %s from %s failed (%r); retrying", ("wamid.X", CITIZEN, KeyError({"text": TEXT}))),
    ("whatsapp.cloud.graph", "%s (%s, code %s): %s", (f"message to {CITIZEN} not sent", "retry", 131000, "try later")),
    (
        "nagarik.outbound.sender",
        "broadcast copy %s: %r",
        (7, f"GraphResult(id=None, http_status=400, error_code=131026, error_message='Message undeliverable to +{CITIZEN}')"),
    ),
    ("simulator", "refused %s %s: %s %s", ("POST", "/v21.0/1/messages", 131030, f"+91 98123 45678 not allowed ({DOB})")),
]


@pytest.mark.parametrize(("name", "message", "args"), STDLIB_CALLS, ids=[c[0] + ":" + c[1][:30] for c in STDLIB_CALLS])
def test_rasa_sdk_sanic_and_our_log_lines_keep_nothing_personal(logs, name, message, args):
    logging.getLogger(name).debug(message, *args)
    output = logs.getvalue()
    assert name in output  # the line was written: only its personal parts are gone
    assert_private(output)


def test_the_number_is_masked_not_dropped(logs):
    logging.getLogger("rasa.core.lock_store").debug("Acquired lock for conversation '%s'.", CITIZEN)
    assert "Acquired lock for conversation '91******5678'." in logs.getvalue()


def test_tracebacks_and_stacks_are_redacted_too(logs):
    try:
        raise ValueError(f"could not handle { ({'sender': CITIZEN, 'text': TEXT}) } from {CITIZEN} on {DOB}")
    except ValueError:
        logging.getLogger("rasa.core.processor").exception("Encountered an exception while running action 'x'.")
    logging.getLogger("rasa.core.processor").debug("where: %s", CITIZEN, stack_info=True)
    assert "Traceback" in logs.getvalue() and "ValueError: could not handle" in logs.getvalue()
    assert_private(logs.getvalue())


def test_sanic_access_lines_are_redacted_in_their_extra_fields(logs):
    """sanic/http.py:477 `access_logger.info("", extra=extra)`, with sanic/log.py's access format."""
    access = logging.getLogger("sanic.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    access_format = "%(asctime)s - (%(name)s)[%(levelname)s][%(host)s]: %(request)s %(message)s %(status)d %(byte)d"
    handler.setFormatter(logging.Formatter(access_format))
    access.addHandler(handler)
    try:
        extra = {
            "status": 200,
            "byte": 42,
            "host": "127.0.0.1:5005",
            "request": f"GET http://127.0.0.1:5005/conversations/{CITIZEN}/tracker",
        }
        access.info("", extra=extra)
    finally:
        access.removeHandler(handler)
    assert "/conversations/91******5678/tracker" in stream.getvalue()
    assert_private(stream.getvalue())


def test_warnings_and_uncaught_exceptions_are_redacted(logs, capsys, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)  # as in a fresh process (pytest sets its own)
    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)
    log_privacy.install()
    # what warnings.showwarning prints to stderr (pytest records warnings instead of printing them)
    warning = warnings.formatwarning(f"slot status_dob set to {DOB} for {CITIZEN}", UserWarning, "rasa/shared/utils/io.py", 1)
    try:
        raise RuntimeError(f"no reply to {CITIZEN}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError(f"{CITIZEN} {DOB}")), name="worker-1")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "RuntimeError: no reply to 91******5678" in err and "Exception in thread worker-1" in err
    assert "UserWarning: slot status_dob set to [date]" in warning
    assert_private(err + warning)


def test_install_twice_hooks_once(logs):
    factory = logging.getLogRecordFactory()
    log_privacy.install()
    assert logging.getLogRecordFactory() is factory
    assert len([f for f in logging.getLogger("sanic.access").filters if isinstance(f, log_privacy.PrivacyFilter)]) == 1


@pytest.mark.parametrize(
    ("number", "masked"),
    [("919876543210", "91******3210"), ("+919876543210", "+91******3210"), ("+91 98765 43210", "+91******3210"),
     ("US.13491208655302741918", "US.13**************1918"), ("123", "***")],
)  # fmt: skip
def test_mask(number, masked):
    assert mask(number) == masked


@pytest.mark.parametrize(
    "line",
    [f"sender {CITIZEN}", f"sender +{CITIZEN}", "call +91 98123 45678", "or 098123-45678", "on १५-०८-१९८५",
     f"dob {DOB}", "dob 1985-08-15", "dob 15/8/1985", "dob 15 Aug 1985", "dob 15th august, 1985", "dob 15 अगस्त 1985",
     "dob datetime.date(1985, 8, 15)", "user US.13491208655302741918"],
)  # fmt: skip
def test_numbers_and_dates_in_any_form_are_masked(line):
    assert_private(redact(line))
    assert "१५-०८-१९८५" not in redact(line) and "13491208655302741918" not in redact(line)


@pytest.mark.parametrize(
    "line",
    ["confidence 0.9072101712226868", "at 2026-12-02 13:47:32", "send_at 2026-12-01T09:00:00Z", "BC-2026-001234",
     "timestamp 1796219252.9438822", "version 3.6.21", "listening on 127.0.0.1:5005"],
)  # fmt: skip
def test_what_is_not_personal_is_left_alone(line):
    assert redact(line) == line


# Rasa's own process: scripts/rasa_offline.py's hooks, then Rasa's three logging set-ups as
# rasa/__main__.py calls them for `rasa run --debug`, then its structlog events (copied from
# processor.py, forms.py, rule_policy.py, memoization.py, rest.py) with real events in them.
RASA_RUN = """
import logging, sys
sys.path.insert(0, "scripts")
if sys.argv[1] == "tty":
    sys.stderr.isatty = lambda: True  # Rasa renders key=value for a terminal, JSON otherwise
import rasa_offline
rasa_offline.keep_logs_private()
import rasa.__main__, rasa.utils.io
rasa.__main__.configure_logging_and_warnings(logging.DEBUG, None, warn_only_once=True, filter_repeated_logs=True)
rasa.utils.io.configure_colored_logging(logging.DEBUG)
rasa.__main__.configure_structlog(logging.DEBUG)

import structlog
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
CITIZEN, DOB, TEXT = sys.argv[2:5]
log = structlog.get_logger()
entities = [{"entity": "date", "value": DOB, "start": 10, "end": 20}]
log.debug("processor.message.parse", parse_data_text=f"{TEXT} {DOB}", parse_data_intent={"name": "inform"},
          parse_data_entities=entities)
log.debug("processor.slots.log", slot_values=f"\\tstatus_dob: {DOB}\\n\\tgrievance_description: {TEXT}\\n\\tward: None")
log.debug("processor.actions.log", action_name="validate_application_status_form", rasa_events=[
    SlotSet("status_dob", DOB), UserUttered(TEXT, {"name": "inform"}, entities), BotUttered(f"{TEXT} on {DOB}",
    metadata={"number": DOB}), ActionExecuted("action_listen")])
log.debug("processor.actions.policy_prediction", prediction_events=[SlotSet("grievance_description", TEXT)])
log.debug("processor.extract.slots", action_extract_slot="action_extract_slots", len_extraction_events=1,
          rasa_events=[SlotSet("status_dob", DOB)])
log.debug("forms.slots.validate", slot_candidates={"status_dob": DOB})
log.debug("forms.validate.prefilled_slots", prefilled_slots={"grievance_description": TEXT})
log.debug("forms.validation.required", tracker_latest_message={"text": TEXT, "intent": {"name": "inform"}})
log.debug("rule_policy.actions.find", current_states=f"\\n[state 1] user text: {TEXT} {DOB} | previous action name: x")
log.debug("memoization.predict.actions", tracker_states=[{}, {"user": {"text": f"{TEXT} {DOB}"}}])
log.error("rest.message.received.timeout", text=f"{TEXT} {DOB} {CITIZEN}")
logging.getLogger("rasa.core.lock_store").debug(f"Issuing ticket for conversation '{CITIZEN}'.")
print("written", file=sys.stderr)
"""


@pytest.mark.parametrize("renderer", ["json", "tty"])
def test_rasa_run_debug_structlog_events_keep_nothing_personal(renderer):
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", RASA_RUN, renderer, CITIZEN, DOB, TEXT],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false"},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "written" in done.stderr, output[-3000:]
    for event in ("processor.message.parse", "processor.slots.log", "processor.actions.log", "rule_policy.actions.find"):
        assert event in output  # every line was written
    assert "91******5678" in output and "SlotSet(key: status_dob, value: [redacted])" in output
    assert_private(output)


def test_secrets_in_a_urls_query_are_left_out() -> None:
    from nagarik.shared.log_privacy import redact

    line = '127.0.0.1 - GET /conversations/x/tracker?token=s3cr3t-Token_value&include_events=ALL HTTP/1.1" 200'
    assert "s3cr3t" not in redact(line) and "include_events=ALL" in redact(line)
    assert "abc123" not in redact("GET /webhooks/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=abc123")
