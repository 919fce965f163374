"""Service answers come from the catalog in the citizen's language; unknowns are said honestly."""

import datetime as dt
import shutil

import pytest
import yaml
from helpers import make_tracker, responses
from rasa_sdk.executor import CollectingDispatcher

from actions.services_info import ActionHolidays, ActionOfficeHours, ActionServiceInfo
from nagarik import db, settings
from nagarik.catalog import store as catalog_store
from nagarik.shared.clock import frozen


async def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await _maybe_await(action.run(dispatcher, make_tracker(**tracker_args), domain))
    return dispatcher, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def _maybe_await(value):
    return await value if hasattr(value, "__await__") else value


async def test_fee_in_kannada_from_an_inflected_name(database, domain, catalog):
    dispatcher, slots = await run(
        ActionServiceInfo(), domain, text="ಜನನ ಪ್ರಮಾಣ ಪತ್ರಕ್ಕೆ ಶುಲ್ಕ ಎಷ್ಟು", intent="ask_fee", slots={"language": "kn"}
    )
    fee = dispatcher.messages[0]
    assert fee["response"] == "utter_service_fee"
    assert fee["fee"] == catalog.service("birth_certificate").fee["kn"]
    assert fee["service_name"] == catalog.service("birth_certificate").names["kn"]
    assert slots["service"] == "birth_certificate"


async def test_documents_from_an_entity_in_hindi(database, domain, catalog):
    dispatcher, _ = await run(
        ActionServiceInfo(),
        domain,
        text="ट्रेड लाइसेंस के लिए कागज़",
        intent="ask_documents",
        entities=[("service", "ट्रेड लाइसेंस")],
        slots={"language": "hi"},
    )
    assert dispatcher.messages[0]["response"] == "utter_service_documents"
    for document in catalog.service("trade_licence").documents["hi"]:
        assert document in dispatcher.messages[0]["documents"]
    assert responses(dispatcher)[-1] == "utter_service_followup"


async def test_follow_up_button_uses_the_service_under_discussion(database, domain, catalog):
    dispatcher, _ = await run(
        ActionServiceInfo(), domain, text="/ask_where_to_apply", intent="ask_where_to_apply", slots={"service": "ration_card"}
    )
    assert dispatcher.messages[0]["where"] == catalog.service("ration_card").where["en"]


async def test_a_changed_fee_is_answered_without_retraining(database, domain, tmp_path):
    # The office edits seed/catalog.yml and runs `make seed`; the running action server answers anew.
    shutil.copytree(settings.SEED_DIR, tmp_path / "seed")
    catalog_file = tmp_path / "seed" / "catalog.yml"
    data = yaml.safe_load(catalog_file.read_text(encoding="utf-8"))
    next(s for s in data["services"] if s["key"] == "property_tax")["fee"]["en"] = "Rs 1 only"
    catalog_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ask = dict(text="property tax fee", intent="ask_fee", entities=[("service", "property tax")])
    dispatcher, _ = await run(ActionServiceInfo(), domain, **ask)
    assert dispatcher.messages[0]["fee"] != "Rs 1 only"
    with db.session_scope() as session:
        catalog_store.seed(session, tmp_path / "seed")
    dispatcher, _ = await run(ActionServiceInfo(), domain, **ask)
    assert dispatcher.messages[0]["fee"] == "Rs 1 only"


async def test_no_service_named_offers_a_paged_list_within_whatsapp_limits(database, domain, catalog):
    dispatcher, slots = await run(
        ActionServiceInfo(), domain, text="what documents do i need", intent="ask_documents", slots={"language": "kn"}
    )
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_which_service"
    rows = message["buttons"]
    assert len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["title"] == catalog.services[0].names["kn"]
    assert rows[0]["payload"] == f'/ask_documents{{"service":"{catalog.services[0].key}"}}'
    assert slots["service_aspect"] == "documents"
    more = rows[-1]["payload"]
    assert "_more" in more
    # The next page continues where the first stopped and ends with "other service".
    offset = more.split("_more")[1].split('"')[0]
    dispatcher, _ = await run(
        ActionServiceInfo(), domain, text=more, intent="ask_documents", entities=[("service", f"_more{offset}")]
    )
    page2 = dispatcher.messages[0]["buttons"]
    shown = len(rows) - 1 + len(page2) - 1
    assert shown == len(catalog.services)
    assert page2[-1]["payload"] == '/inform{"service":"_other"}'


async def test_unknown_service_gets_an_honest_answer_and_a_way_forward(database, domain, catalog):
    dispatcher, slots = await run(
        ActionServiceInfo(), domain, text="gun licence", intent="inform", slots={"service_aspect": "fee"}
    )
    assert responses(dispatcher) == ["utter_service_unknown"]
    assert dispatcher.messages[0]["office_phone"] == catalog.office.phone
    assert slots["service_aspect"] is None


async def test_bare_answer_to_no_question_is_not_guessed(database, domain):
    dispatcher, _ = await run(ActionServiceInfo(), domain, text="banana", intent="inform")
    assert responses(dispatcher) == ["utter_default"]


async def test_office_hours_and_holidays(database, domain, catalog):
    dispatcher, _ = await run(
        ActionOfficeHours(), domain, text="office timings", intent="ask_office_hours", slots={"language": "hi"}
    )
    message = dispatcher.messages[0]
    assert message["office_hours"] == catalog.office.hours["hi"] and message["today_status"]
    dispatcher, _ = await run(ActionHolidays(), domain, text="holidays", intent="ask_holidays")
    assert responses(dispatcher)[0] in ("utter_holidays", "utter_no_holidays")


# Wednesday 2 December 2026, 11:30 in Bengaluru. The seed calendar: Sundays and the 2nd and 4th
# Saturdays closed (12 and 26 December), Christmas on Friday 25 December.
WEDNESDAY = dt.datetime(2026, 12, 2, 6, 0)


@pytest.mark.parametrize(
    ("text", "language", "status"),
    [
        ("is the office open on saturday", "en", "The office is open on Saturday 05-12-2026."),  # the 1st Saturday
        ("kya sunday ko office khula hai", "hi", "रविवार 06-12-2026 को कार्यालय बंद रहेगा (रविवार)।"),
        ("ನಾಳೆ ಕಚೇರಿ ತೆರೆದಿದೆಯೇ", "kn", "ಗುರುವಾರ 03-12-2026 ರಂದು ಕಚೇರಿ ತೆರೆದಿರುತ್ತದೆ."),
        ("open on christmas?", "en", "The office is closed on Friday 25-12-2026 (Christmas)."),
        ("office open on 12-12-2026?", "en", "The office is closed on Saturday 12-12-2026 (2nd/4th Saturday)."),
        (
            "is the office open this weekend",
            "en",
            "The office is open on Saturday 05-12-2026.\nThe office is closed on Sunday 06-12-2026 (Sunday).",
        ),
    ],
)
async def test_a_named_day_gets_that_days_answer(database, domain, text, language, status):
    with frozen(WEDNESDAY):
        dispatcher, _ = await run(ActionOfficeHours(), domain, text=text, intent="ask_office_hours", slots={"language": language})
    assert dispatcher.messages[0]["today_status"] == status


async def test_no_named_day_or_today_named_gets_todays(database, domain):
    for text in ("office timings", "is the office open on wednesday"):
        with frozen(WEDNESDAY):
            dispatcher, _ = await run(ActionOfficeHours(), domain, text=text, intent="ask_office_hours")
        assert dispatcher.messages[0]["today_status"] == "The office is open today."


async def test_a_services_last_date_from_the_catalog_or_that_it_has_none(database, domain, catalog):
    dispatcher, slots = await run(
        ActionServiceInfo(), domain, text="ಆಸ್ತಿ ತೆರಿಗೆ ಕೊನೆಯ ದಿನಾಂಕ", intent="ask_deadline",
        entities=[("service", "ಆಸ್ತಿ ತೆರಿಗೆ")], slots={"language": "kn"},
    )  # fmt: skip
    answer = dispatcher.messages[0]
    assert answer["response"] == "utter_service_deadline"
    assert answer["deadline"] == catalog.service("property_tax").deadline["kn"] and "30" in answer["deadline"]
    assert slots["service"] == "property_tax"
    dispatcher, _ = await run(
        ActionServiceInfo(), domain, text="last date for birth certificate", intent="ask_deadline",
        entities=[("service", "birth certificate")],
    )  # fmt: skip
    assert responses(dispatcher)[0] == "utter_service_no_deadline"


async def test_a_holiday_question_about_one_day_gets_that_days_answer(database, domain):
    with frozen(WEDNESDAY):
        dispatcher, _ = await run(ActionHolidays(), domain, text="ನಾಳೆ ರಜೆನಾ", intent="ask_holidays", slots={"language": "kn"})
    assert responses(dispatcher) == ["utter_office_hours"]
    assert dispatcher.messages[0]["today_status"] == "ಗುರುವಾರ 03-12-2026 ರಂದು ಕಚೇರಿ ತೆರೆದಿರುತ್ತದೆ."
    with frozen(WEDNESDAY):
        dispatcher, _ = await run(ActionHolidays(), domain, text="list of holidays", intent="ask_holidays")
    assert responses(dispatcher) == ["utter_holidays"]  # Christmas is within 90 days
