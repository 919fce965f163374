"""Fuzzing the two places where the world's data meets ours: the webhook parser and the outbound renderer.

Property tests (Hypothesis), deterministic: the same inputs on every run (derandomize, no example
database), NAGARIK_FUZZ_EXAMPLES examples per test (`make bench` runs 20000). The session's end
prints how many inputs each target ran (tests/attacks/conftest.py).

- Webhooks: the real fixtures (tests/fixtures/whatsapp/*.json) with fields dropped, retyped or
  replaced by huge, unicode, NUL or surrogate strings, deep nesting and numbers out of range, and
  arbitrary bytes. Only WebhookError may escape; every record handed on fits the store and is stored.
- Rasa responses and the message builders: anything Rasa or an action may pass. Either bodies
  within WhatsApp's limits come out, or UnsendableMessageError: nothing else.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.servers import SIMULATOR_SETTINGS
from tests.attacks.conftest import Timed
from whatsapp import limits, messages
from whatsapp.cloud.store import Store
from whatsapp.inbound import STATUSES, InboundMessage, Webhook, WebhookError, parse_body
from whatsapp.outbound import render
from whatsapp.payloads import intent_payload

EXAMPLES = int(os.environ.get("NAGARIK_FUZZ_EXAMPLES", "600"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),  # huge and slow inputs are the point
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
PHONE_NUMBER_ID = SIMULATOR_SETTINGS["WHATSAPP_PHONE_NUMBER_ID"]  # the fixtures are addressed to it


def readable_fixtures() -> list[Any]:
    """The fixtures' payloads, but those json cannot read (deep nesting, a 5000-digit number): the
    raw_json strategy makes those."""
    payloads = []
    for path in sorted(FIXTURES.glob("*.json")):
        try:
            payloads.append(json.loads(path.read_bytes()))
        except (RecursionError, ValueError):
            continue
    return payloads


FIXTURE_PAYLOADS = readable_fixtures()
MESSAGE_KINDS = {"text", "button", "media", "location", "unsupported", "ignored"}
MESSAGE_TYPES = [
    "text",
    "interactive",
    "button",
    "image",
    "video",
    "document",
    "location",
    "audio",
    "sticker",
    "contacts",
    "order",
    "edit",
    "reaction",
    "revoke",
    "system",
    "unsupported",
    "button_reply",
    "list_reply",
]
# Columns of whatsapp/cloud/store.py and the parser's own limits (whatsapp/limits.py).
FIELD_LIMITS = {
    "id": limits.INBOUND_ID, "sender": limits.INBOUND_SENDER, "raw_type": 32, "text": limits.INBOUND_TEXT,
    "media_type": 32, "media_id": limits.INBOUND_ID, "mime_type": 255, "caption": limits.INBOUND_TEXT,
    "filename": limits.DOCUMENT_FILENAME, "location_name": limits.INBOUND_TEXT, "profile_name": 255,
    "reply_to": limits.INBOUND_ID,
}  # fmt: skip


# --- strategies: strings and values nobody should trust ------------------------------------------

INDIC_LETTERS = st.characters(min_codepoint=0x0900, max_codepoint=0x097F) | st.characters(
    min_codepoint=0x0C80, max_codepoint=0x0CFF
)
COMBINING_MARKS = st.characters(categories=["Mn", "Mc", "Me"])
LONE_SURROGATES = st.characters(categories=["Cs"])
ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\n", "\t", "\u200b", "\u202e", "\ufeff", "\u2028", " ", "…", "\U0001f1ee", "\U0001f3fd", "👍"]
)
ANY_CHARACTER = st.characters() | INDIC_LETTERS | COMBINING_MARKS | LONE_SURROGATES | ODD_CHARACTERS


def repeated(text: str, times: int) -> str:
    return text * times


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """`usual` nine times in ten, else `odd`: an input that is refused at once tests little."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else usual)


short_strings = st.text(ANY_CHARACTER, max_size=30)
huge_strings = st.builds(repeated, st.text(ANY_CHARACTER, min_size=1, max_size=4), st.integers(1_000, 6_000))
blank_strings = st.text(st.sampled_from(" \t\n\r\u00a0\u2003\u3000"), max_size=5)
junk_strings = short_strings | huge_strings | blank_strings | st.text(ANY_CHARACTER, max_size=300)
junk_numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, -1, 2**31, 2**63, 10**12, 1e308, -0.0])
)
junk_scalars = st.none() | st.booleans() | junk_numbers | junk_strings
junk_values = st.recursive(
    junk_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_strings, inner, max_size=4), max_leaves=12
)


class Raw:
    """JSON text put into a body as it is: what json.dumps would never write (deep nesting, giant numbers)."""

    def __init__(self, text: str) -> None:
        self.text = text


def nested(opening: str, inner: str, closing: str, depth: int) -> Raw:
    return Raw(opening * depth + inner + closing * depth)


raw_json = st.one_of(
    st.builds(nested, st.just("["), st.just(""), st.just("]"), st.integers(50, 5_000)),
    st.builds(nested, st.just('{"a":'), st.just("1"), st.just("}"), st.integers(50, 5_000)),
    st.builds(lambda digits: Raw("9" * digits), st.integers(15, 6_000)),
    st.sampled_from([Raw(t) for t in ("1e999", "-1e999", "NaN", "Infinity", "-0", "1E-400", '"\\ud800"', '"\\udc00x"',
                                      '"a\\u0000b"', "123456789012345678901234567890", "-9223372036854775809")]),
)  # fmt: skip


# --- strategies: webhooks --------------------------------------------------------------------------


def paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree, the root included."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*path, index))
    return found


def at(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated_webhook_bodies(draw: st.DrawFn) -> bytes:
    """A real fixture's payload with 1-4 places dropped, retyped, replaced or repeated, as bytes."""
    payload = copy.deepcopy(draw(st.sampled_from(FIXTURE_PAYLOADS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(payload)))
        action = draw(st.sampled_from(["drop", "junk", "raw", "type", "wrap", "repeat", "grow"]))
        if not path:
            if action in ("junk", "raw"):
                payload = draw(junk_values if action == "junk" else raw_json)
            continue
        parent, key = at(payload, path[:-1]), path[-1]
        value = parent[key]
        if action == "drop":
            del parent[key]
        elif action == "junk":
            parent[key] = draw(junk_values)
        elif action == "raw":
            parent[key] = draw(raw_json)
        elif action == "type":
            parent[key] = draw(st.sampled_from(MESSAGE_TYPES))  # a known word in the wrong place
        elif action == "wrap":
            parent[key] = [value]
        elif action == "repeat" and isinstance(value, list):
            value.extend(copy.deepcopy(value) * draw(st.integers(1, 3)))  # duplicates in one payload
        elif action == "grow" and isinstance(value, dict):
            value[draw(st.sampled_from([*MESSAGE_TYPES, "id", "from", "body", "caption", "name", "errors"]))] = draw(junk_values)
    return serialised(payload, ascii_only=draw(st.booleans()))


def serialised(payload: Any, *, ascii_only: bool) -> bytes:
    """JSON bytes, the Raw fragments spliced in; without `ascii_only` a lone surrogate becomes bytes no UTF-8 has."""
    fragments: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            fragments.append(value.text)
            return f"__raw_{len(fragments) - 1}__"
        if isinstance(value, dict):
            return {key: placeholder(item) for key, item in value.items()}
        if isinstance(value, list):
            return [placeholder(item) for item in value]
        return value

    text = json.dumps(placeholder(payload), ensure_ascii=ascii_only)
    for number, fragment in enumerate(fragments):
        text = text.replace(f'"__raw_{number}__"', fragment, 1)
    return text.encode("utf-8", "surrogatepass")


json_alphabet = st.sampled_from([*'{}[]":,.-+eE0123456789 truefalsnul\\', "\\u", "\\ud800", '"object"'])
arbitrary_bodies = (
    st.binary(max_size=2_000)
    | st.lists(json_alphabet, max_size=400).map(lambda pieces: "".join(pieces).encode())
    | st.builds(lambda value: serialised(value, ascii_only=True), junk_values)
)


# --- properties: webhooks --------------------------------------------------------------------------


def assert_fits(value: Any, limit: int, name: str) -> None:
    assert isinstance(value, str), (name, value)
    assert len(value) <= limit, (name, len(value))
    assert "\x00" not in value, name
    value.encode("utf-8")  # no lone surrogate


def assert_well_formed(webhook: Webhook) -> None:
    """Every record handed on holds clean text that fits the store's columns."""
    for message in webhook.messages:
        assert message.kind in MESSAGE_KINDS, message.kind
        assert message.id and message.sender and message.id.isprintable() and message.sender.isprintable()
        assert not any(ch.isspace() for ch in message.id + message.sender)
        for field in fields(InboundMessage):
            value = getattr(message, field.name)
            if field.name in FIELD_LIMITS and value is not None:
                assert_fits(value, FIELD_LIMITS[field.name], field.name)
        if message.kind == "location":
            assert -90 <= message.latitude <= 90 and -180 <= message.longitude <= 180
        rasa_text = message.to_rasa_text()
        assert rasa_text is None or (isinstance(rasa_text, str) and rasa_text.encode("utf-8"))
        as_stored = json.dumps(asdict(message), ensure_ascii=False)
        assert InboundMessage(**json.loads(as_stored)) == message  # what a worker claims back is what came
    for status in webhook.statuses:
        assert status.status in STATUSES
        assert_fits(status.id, limits.INBOUND_ID, "status id")
        assert_fits(status.recipient, limits.INBOUND_SENDER, "recipient")
        if status.callback_data is not None:
            assert_fits(status.callback_data, limits.INBOUND_ID, "callback data")
        assert status.error_code is None or 0 <= status.error_code < 2**31
    for problem in webhook.problems:
        assert isinstance(problem, str) and len(problem) < 1_000  # notes never repeat the payload


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'whatsapp.db'}")


def parsed_or_refused(body: bytes) -> Webhook | None:
    try:
        return parse_body(body, phone_number_id=PHONE_NUMBER_ID)
    except WebhookError:
        return None


@FUZZ
@given(body=mutated_webhook_bodies())
def test_mutated_webhooks_are_parsed_into_records_the_store_takes(body: bytes, store: Store, fuzz_counts: dict) -> None:
    with Timed(fuzz_counts, "webhook parser (mutated fixtures, stored)") as timed:
        webhook = parsed_or_refused(body)
        timed.refused = webhook is None
        if webhook is not None:
            assert_well_formed(webhook)
            store.accept(webhook, now=1_767_225_600.0)


@FUZZ
@given(body=arbitrary_bodies)
def test_arbitrary_bytes_are_parsed_or_refused_as_not_a_webhook(body: bytes, fuzz_counts: dict) -> None:
    with Timed(fuzz_counts, "webhook parser (arbitrary bytes)") as timed:
        webhook = parsed_or_refused(body)
        timed.refused = webhook is None
        if webhook is not None:
            assert_well_formed(webhook)


# --- strategies: what Rasa and the actions pass to the renderer ----------------------------------

POOL_TITLES = ["Yes", "yes", "Yes ", "ಹೌದು", "हाँ", "A very long title that will certainly be cut", "ಚಾಲನಾ ಪರವಾನಗಿ ನವೀಕರಣ ಮತ್ತು"]
POOL_PAYLOADS = ["/affirm", "/deny", "/stop", intent_payload("inform", service="trade_licence"), intent_payload("greet")]
long_prose = st.builds(repeated, st.just("word "), st.integers(200, 2_000))
texts = junk_strings | st.sampled_from(POOL_TITLES) | st.none() | st.integers() | long_prose
titles = st.sampled_from(POOL_TITLES) | short_strings | blank_strings | huge_strings | st.none() | st.integers() | junk_values
button_payloads = (
    st.sampled_from(POOL_PAYLOADS) | short_strings | blank_strings | st.none() | st.integers() | junk_values
    | st.builds(lambda n: "/" + "x" * n, st.integers(190, 300))
)  # fmt: skip
rasa_buttons = mostly(st.fixed_dictionaries({}, optional={"title": titles, "payload": button_payloads}), junk_scalars)
links = mostly(st.sampled_from(["https://example.gov.in/map.png", "http://x", ""]), junk_values)


def built(builder: Any, *args: Any) -> Any:
    """An action's own WhatsApp message, made with whatsapp.messages (None when the builder refuses)."""
    try:
        return builder(*args)
    except messages.UnsendableMessageError:
        return None


custom_messages = st.one_of(
    mostly(st.none(), junk_values),
    st.builds(lambda body: {"whatsapp": body}, junk_values),  # not made by the builders: must be refused or well formed
    st.builds(lambda body: {"whatsapp": body}, st.builds(built, st.just(messages.text), junk_strings)),
    st.builds(
        lambda body: {"whatsapp": body},
        st.builds(
            built, st.just(messages.reply_buttons), junk_strings, st.lists(st.tuples(short_strings, short_strings), max_size=4)
        ),
    ),
)
rasa_responses = st.fixed_dictionaries(
    {},
    optional={
        "text": texts,
        "buttons": mostly(st.lists(rasa_buttons, max_size=20), junk_values),
        "quick_replies": st.lists(rasa_buttons, max_size=5),
        "image": links,
        "attachment": links,
        "custom": custom_messages,
    },
)


# --- properties: bodies WhatsApp takes -------------------------------------------------------------


def assert_words(value: Any, limit: int, name: str) -> None:
    """A text field Meta takes: a non-blank string within its limit, without NUL, that has UTF-8."""
    assert isinstance(value, str) and value.strip(), (name, value)
    assert len(value) <= limit, (name, len(value))
    assert "\x00" not in value, name


def assert_sendable(body: dict[str, Any]) -> None:
    json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")  # what the HTTP client does
    kind = body["type"]
    part = body[kind]
    if kind == "text":
        assert_words(part["body"], limits.TEXT_BODY, "text")
    elif kind in ("image", "video", "document", "audio", "sticker"):
        assert_words(part.get("link") or part.get("id"), 10**9, "link or media id")  # Meta states no limit
        if "caption" in part:
            assert_words(part["caption"], limits.CAPTION, "caption")
        if "filename" in part:
            assert_words(part["filename"], limits.DOCUMENT_FILENAME, "filename")
    elif kind == "interactive":
        assert_words(part["body"]["text"], limits.INTERACTIVE_BODY, "interactive body")
        for name, limit in (("header", limits.HEADER), ("footer", limits.FOOTER)):
            if name in part:
                assert_words(part[name]["text"], limit, name)
        action = part["action"]
        if part["type"] == "button":
            replies = [button["reply"] for button in action["buttons"]]
            assert 1 <= len(replies) <= limits.REPLY_BUTTONS
            assert_choices(replies, limits.BUTTON_ID, limits.BUTTON_TITLE)
            assert len({reply["title"] for reply in replies}) == len(replies), "repeated button titles"
        else:
            assert part["type"] == "list"
            assert_words(action["button"], limits.LIST_BUTTON, "list button")
            assert 1 <= len(action["sections"]) <= limits.LIST_SECTIONS
            rows = [row for section in action["sections"] for row in section["rows"]]
            assert 1 <= len(rows) <= limits.LIST_ROWS
            assert_choices(rows, limits.ROW_ID, limits.ROW_TITLE)
            for row in rows:
                if "description" in row:
                    assert_words(row["description"], limits.ROW_DESCRIPTION, "row description")
    else:
        assert kind == "template", kind


def assert_choices(choices: list[dict[str, str]], id_limit: int, title_limit: int) -> None:
    for choice in choices:
        assert_words(choice["id"], id_limit, "id")
        assert_words(choice["title"], title_limit, "title")
    assert len({choice["id"] for choice in choices}) == len(choices), "repeated ids"


def bodies_or_refused(build: Any, *args: Any) -> list[dict[str, Any]] | None:
    try:
        return build(*args)
    except messages.UnsendableMessageError:
        return None


@FUZZ
@given(response=rasa_responses)
def test_any_rasa_response_renders_within_whatsapps_limits_or_is_refused(response: dict, fuzz_counts: dict) -> None:
    with Timed(fuzz_counts, "outbound renderer (Rasa responses)") as timed:
        bodies = bodies_or_refused(render, response)
        timed.refused = bodies is None
        for body in bodies or []:
            assert_sendable(body)


builder_texts = junk_strings | st.sampled_from(POOL_TITLES)
builder_choices = st.lists(st.tuples(st.sampled_from(POOL_PAYLOADS) | junk_strings, builder_texts), max_size=12)


@FUZZ
@given(body=builder_texts, choices=builder_choices, label=builder_texts, footer=builder_texts)
def test_the_message_builders_build_within_whatsapps_limits_or_refuse(
    body: str, choices: list[tuple[str, str]], label: str, footer: str, fuzz_counts: dict
) -> None:
    with Timed(fuzz_counts, "message builders (buttons, list rows, text, media)") as timed:
        attempts = [
            bodies_or_refused(lambda: [messages.reply_buttons(body, choices, footer)]),
            bodies_or_refused(lambda: [messages.list_message(body, label, [messages.list_row(*c, footer) for c in choices])]),
            bodies_or_refused(lambda: [messages.text(body)]),
            bodies_or_refused(lambda: [messages.media("document", media_id=label or "1", caption=body, filename=footer)]),
        ]
        timed.refused = all(attempt is None for attempt in attempts)
        for message in (message for attempt in attempts for message in attempt or []):
            assert_sendable(message)
