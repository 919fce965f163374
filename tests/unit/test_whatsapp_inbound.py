"""Every labelled webhook fixture (tests/fixtures/whatsapp/cases.yml) through the parser.

The HTTP side of the same table (signatures, sizes, status codes) runs against the channel in
Rasa's app in tests/unit/test_whatsapp_channel.py, and against the whole stack in tests/e2e.
"""

import functools
import json
import math
import operator
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.servers import SIMULATOR_SETTINGS
from tests.unit.test_whatsapp_store import store  # noqa: F401 (the fixture: SQLite, and PostgreSQL when configured)
from whatsapp import limits
from whatsapp.inbound import InboundMessage, Webhook, WebhookError, parse, parse_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
CASES = yaml.safe_load((FIXTURES / "cases.yml").read_text(encoding="utf-8"))
PHONE_NUMBER_ID = SIMULATOR_SETTINGS["WHATSAPP_PHONE_NUMBER_ID"]  # the fixtures are addressed to it
MESSAGE_FIELDS = ("id", "sender", "kind", "text", "media_type", "media_id", "latitude", "longitude")


def body_of(case: dict) -> bytes:
    return (FIXTURES / case.get("body", f"{case['case']}.json")).read_bytes()


def test_the_table_is_big_enough_and_unique():
    assert len(CASES) >= 70
    assert len({case["case"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("sign", "valid") == "valid" and "size" not in c], ids=lambda c: c["case"]
)
def test_parsed_as_labelled(case):
    expect = case["expect"]
    if expect["http"] == 400:
        with pytest.raises(WebhookError):
            parse_body(body_of(case), phone_number_id=PHONE_NUMBER_ID)
        return
    parsed = parse_body(body_of(case), phone_number_id=PHONE_NUMBER_ID)
    assert len(parsed.messages) == len(expect["messages"]), [m.id for m in parsed.messages]
    got_messages = [
        {key: getattr(message, key) for key in MESSAGE_FIELDS if key in wanted}
        for message, wanted in zip(parsed.messages, expect["messages"], strict=True)
    ]
    assert got_messages == [
        {key: value for key, value in wanted.items() if key in MESSAGE_FIELDS} for wanted in expect["messages"]
    ]
    got_statuses = [
        {"id": s.id, "status": s.status, "recipient": s.recipient, **({"error_code": s.error_code} if s.error_code else {})}
        for s in parsed.statuses
    ]
    assert got_statuses == expect["statuses"]
    handed_on = {m.id for m in parsed.messages} | {s.id for s in parsed.statuses}
    assert not handed_on & set(expect.get("skipped", [])), "a skipped item was handed on"
    if "problem" in expect:
        assert any(expect["problem"] in problem for problem in parsed.problems), parsed.problems


def well_formed(message: InboundMessage) -> list[str]:
    """What is wrong with a parsed message (nothing, for every one the parser hands on)."""
    wrong = []
    if not (isinstance(message.id, str) and 0 < len(message.id) <= limits.INBOUND_ID and message.id.isprintable()):
        wrong.append(f"id {message.id!r}")
    if not (isinstance(message.sender, str) and 0 < len(message.sender) <= limits.INBOUND_SENDER):
        wrong.append(f"sender {message.sender!r}")
    if message.kind not in ("text", "button", "media", "location", "unsupported", "ignored"):
        wrong.append(f"kind {message.kind!r}")
    for name in ("raw_type", "text", "media_type", "media_id", "mime_type", "caption", "filename", "location_name",
                 "profile_name", "reply_to"):  # fmt: skip
        value = getattr(message, name)
        if value is None:
            continue
        if not isinstance(value, str) or "\x00" in value:
            wrong.append(f"{name} {value!r:.60}")
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            wrong.append(f"{name} has a lone surrogate")
    if message.kind in ("text", "button") and not (isinstance(message.text, str) and len(message.text) <= limits.INBOUND_TEXT):
        wrong.append("no text")
    if message.kind == "media" and not message.media_id:
        wrong.append("media without an id")
    if message.kind == "location":
        for value, bound in ((message.latitude, 90), (message.longitude, 180)):
            if not (isinstance(value, float) and math.isfinite(value) and -bound <= value <= bound):
                wrong.append(f"coordinate {value!r}")
    if message.timestamp is not None and not (isinstance(message.timestamp, int) and 0 <= message.timestamp < 10**12):
        wrong.append(f"timestamp {message.timestamp!r:.40}")
    if message.kind != "ignored" and not isinstance(message.to_rasa_text(), str):
        wrong.append("no text for the assistant")
    return wrong


def parsed_cases() -> list[tuple[str, Webhook]]:
    out = []
    for case in CASES:
        try:
            out.append((case["case"], parse_body(body_of(case), phone_number_id=PHONE_NUMBER_ID)))
        except WebhookError:
            continue
    return out


def test_every_message_handed_on_is_well_formed():
    for name, parsed in parsed_cases():
        for message in parsed.messages:
            assert well_formed(message) == [], (name, message.id)
        for status in parsed.statuses:
            assert 0 < len(status.id) <= limits.INBOUND_ID and len(status.recipient) <= limits.INBOUND_SENDER, (name, status)
            assert status.error_code is None or 0 <= status.error_code < 2**31, (name, status)
            assert status.callback_data is None or len(status.callback_data) <= limits.INBOUND_ID, (name, status)
        assert all(len(problem) <= 400 for problem in parsed.problems), (name, max(parsed.problems, key=len))


def test_the_store_keeps_every_labelled_fixture(store):  # noqa: F811 (the fixture imported above)
    """What the parser hands on fits the store's columns on SQLite and PostgreSQL (no 500 for the batch)."""
    for name, parsed in parsed_cases():
        store.accept(parsed)
        for message in parsed.messages:
            assert store.message_state(message.id) is not None, (name, message.id)


# Wrong values of every kind a JSON body can carry (and a few it cannot: parse() takes any object).
WRONG_VALUES = (
    *(None, 0, -1, 2**70, 1.5, float("nan"), True),
    *("", " ", "x" * 5000, "\x00", "\ud800"),
    *([], {}, [[[[]]]], {"a": {}}, ["x"]),
)


def places(node: Any, path: tuple = ()) -> Iterator[tuple]:
    """The path of every value in a JSON document, the document itself first."""
    yield path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from places(child, (*path, key))


def ids_under(payload: dict, path: tuple) -> set[str]:
    """The id of the message or status `path` points into (entry, i, changes, j, value, messages|statuses, k, ...)."""
    if len(path) < 7 or path[5] not in ("messages", "statuses"):
        return set()
    item = payload["entry"][path[1]]["changes"][path[3]]["value"][path[5]][path[6]]
    return {item["id"]} if isinstance(item, dict) and isinstance(item.get("id"), str) else set()


def test_a_wrong_value_anywhere_spoils_only_its_own_item():
    """Each value of each small fixture replaced in turn by each wrong value: nothing but a WebhookError
    (for the document itself) escapes, what is handed on is well-formed, and a wrong value inside one
    message or status loses at most that one: every other message and status of the batch is kept."""
    inputs = 0
    for case in CASES:
        body = body_of(case)
        if case.get("size") or len(body) > 3000 or case["expect"]["http"] != 200:
            continue
        payload = json.loads(body)
        original = parse(payload, phone_number_id=PHONE_NUMBER_ID)
        kept = {m.id for m in original.messages} | {s.id for s in original.statuses}
        for path in list(places(payload)):
            parent = functools.reduce(operator.getitem, path[:-1], payload) if path else None
            for wrong in WRONG_VALUES:
                inputs += 1
                if parent is None:  # the document itself: an object is read (and has nothing), anything else refused
                    if isinstance(wrong, dict):
                        assert parse(wrong, phone_number_id=PHONE_NUMBER_ID).messages == []
                    else:
                        with pytest.raises(WebhookError):
                            parse(wrong, phone_number_id=PHONE_NUMBER_ID)
                    continue
                saved, parent[path[-1]] = parent[path[-1]], wrong  # in place, put back at once: no copies
                try:
                    parsed = parse(payload, phone_number_id=PHONE_NUMBER_ID)
                finally:
                    parent[path[-1]] = saved
                where = (case["case"], path, repr(wrong)[:20])
                for message in parsed.messages:
                    assert well_formed(message) == [], where
                handed_on = {m.id for m in parsed.messages} | {s.id for s in parsed.statuses}
                if len(path) >= 7 and path[5] in ("messages", "statuses", "contacts", "errors"):
                    assert kept - ids_under(payload, path) <= handed_on, where
    assert inputs > 10000, inputs  # enough to mean something


def test_nothing_but_ours_is_handed_on():
    body = body_of({"case": "batch_messages_and_statuses"})
    assert parse_body(body, phone_number_id=PHONE_NUMBER_ID).messages
    other = parse_body(body, phone_number_id="999888777666555")
    assert other.messages == [] and other.statuses == []
    assert any("not ours" in problem for problem in other.problems)


def test_every_message_becomes_assistant_text_or_nothing():
    for name, parsed in parsed_cases():
        for message in parsed.messages:
            text = message.to_rasa_text()
            assert (text is None) == (message.kind == "ignored"), (name, message)
            if message.kind in ("media", "location", "unsupported"):
                assert text.startswith("/inform{")


def test_a_location_whose_name_and_address_are_long_is_one_text_within_the_limit():
    # Before: name and address, each cut to INBOUND_TEXT, were joined into one of twice that.
    location = {"latitude": 12.97, "longitude": 77.59, "name": "ಕ" * limits.INBOUND_TEXT, "address": "x" * limits.INBOUND_TEXT}
    payload = json.loads((FIXTURES / "location_named.json").read_bytes())
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["location"] = location
    [message] = parse(payload, phone_number_id=PHONE_NUMBER_ID).messages
    assert message.kind == "location" and len(message.location_name) <= limits.INBOUND_TEXT
