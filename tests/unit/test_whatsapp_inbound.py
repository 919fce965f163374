"""Every labelled webhook fixture (tests/fixtures/whatsapp/cases.yml) through the parser.

The HTTP side of the same table (signatures, sizes, status codes) runs against the live
connector in tests/rest/test_whatsapp_webhook.py.
"""

from pathlib import Path

import pytest
import yaml

from whatsapp.inbound import WebhookError, parse_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
CASES = yaml.safe_load((FIXTURES / "cases.yml").read_text(encoding="utf-8"))
MESSAGE_FIELDS = ("id", "sender", "kind", "text", "media_type", "media_id", "latitude", "longitude")


def body_of(case: dict) -> bytes:
    return (FIXTURES / case.get("body", f"{case['case']}.json")).read_bytes()


def test_the_table_is_big_enough_and_unique():
    assert len(CASES) >= 40
    assert len({case["case"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("sign", "valid") == "valid" and "size" not in c], ids=lambda c: c["case"]
)
def test_parsed_as_labelled(case):
    expect = case["expect"]
    if expect["http"] == 400:
        with pytest.raises(WebhookError):
            parse_body(body_of(case))
        return
    parsed = parse_body(body_of(case))
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


def test_every_message_becomes_assistant_text_or_nothing():
    for case in CASES:
        try:
            parsed = parse_body(body_of(case))
        except WebhookError:
            continue
        for message in parsed.messages:
            text = message.to_rasa_text()
            assert (text is None) == (message.kind == "ignored"), (case["case"], message)
            if message.kind in ("media", "location", "unsupported"):
                assert text.startswith("/inform{")
