"""Choosing updates in the chat: notice first, then topics; STOP and START; what I receive."""

import pytest
from helpers import DEMO_SENDER, make_tracker, noticed, responses, run_action, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.common import response_text
from actions.subscriptions import (
    ActionAskWard,
    ActionChooseWard,
    ActionMySubscriptions,
    ActionStartMessages,
    ActionStopMessages,
    ActionSubscribe,
    ValidateWardForm,
    topic_names,
)
from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, make_tracker(**tracker_args), domain)
    return dispatcher


def test_the_privacy_notice_comes_before_the_first_choice(database, domain):
    assert responses(run(ActionSubscribe(), domain, text="i want updates", intent="subscribe")) == ["utter_privacy_notice"]
    topics_list = run(ActionSubscribe(), domain, text="/subscribe", intent="subscribe", slots={"language": "kn"})
    assert responses(topics_list) == ["utter_ask_topics"]
    rows = topics_list.messages[0]["buttons"]
    assert 1 <= len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["payload"].startswith('/subscribe{"topic":')


def test_subscribing_to_a_topic_and_ward_puts_the_citizen_in_the_audience(database, domain):
    with db.session_scope() as session:
        subscriptions.notice_shown(session, DEMO_SENDER)
    done = run(
        ActionSubscribe(),
        domain,
        text="send me water supply alerts for jayanagar",
        intent="subscribe",
        entities=[("topic", "water supply alerts"), ("ward", "jayanagar")],
    )
    assert responses(done) == ["utter_subscribed"] and done.messages[0]["ward_part"]
    with db.session_scope() as session:
        audience = Audience(wards=("jayanagar",), topics=("water_supply",))
        assert broadcasts.audience_size(session, "announcement", audience) == 1


def test_stop_start_and_my_updates(database, domain):
    with db.session_scope() as session:
        subscriptions.notice_shown(session, DEMO_SENDER)
        subscriptions.subscribe(session, DEMO_SENDER, "health")
    assert responses(run(ActionStopMessages(), domain, text="STOP", intent="stop_messages")) == ["utter_stopped"]
    held = run(ActionMySubscriptions(), domain, text="my updates", intent="my_subscriptions")
    assert responses(held) == ["utter_subscriptions_held"]  # nothing comes; what START brings back is named
    assert held.messages[0]["topics"] == "Health camps"
    with db.session_scope() as session:
        assert broadcasts.audience_size(session, "announcement", Audience()) == 0
    started = run(ActionStartMessages(), domain, text="START", intent="start_messages", slots={"language": "hi"})
    assert responses(started) == ["utter_started"] and started.messages[0]["topics"]
    mine = run(ActionMySubscriptions(), domain, text="my updates", intent="my_subscriptions")
    assert responses(mine) == ["utter_subscriptions"]


# --- topics and ward (with the events) ---------------------------------------------------------


async def ward_step(domain, text, intent="inform", entities=(), requested="ward", language="en"):
    """One message to ward_form: what its validation decides (slots, replies)."""
    dispatcher = CollectingDispatcher()
    slots = {"requested_slot": requested, "language": language} if requested else {"language": language}
    tracker = make_tracker(active_loop="ward_form", text=text, intent=intent, entities=list(entities), slots=slots)
    return dispatcher, slot_events(await ValidateWardForm().run(dispatcher, tracker, domain))


async def ward_questions(domain, text, intent):
    """What ward_form will ask, as it starts after this message."""
    tracker = make_tracker(active_loop="ward_form", text=text, intent=intent)
    return await ValidateWardForm().required_slots(["ward"], CollectingDispatcher(), tracker, domain)


async def test_after_the_first_topic_the_ward_is_asked_from_a_list(database, domain):
    noticed()
    dispatcher, _ = run_action(ActionSubscribe(), domain, text="/subscribe", intent="subscribe", entities=[("topic", "health")])
    assert responses(dispatcher) == ["utter_subscribed"]
    assert await ward_questions(domain, "/subscribe", "subscribe") == ["ward"]  # ward_form follows and asks it
    question, _ = run_action(ActionAskWard(), domain, slots={"language": "kn"})
    rows = question.messages[0]["buttons"]
    assert responses(question) == ["utter_ask_ward"] and len(rows) == 12 and all(len(r["title"]) <= 24 for r in rows)
    _, tapped = await ward_step(domain, rows[3]["payload"], intent="choose_ward", entities=[("ward", "jayanagar")])
    chosen, events = run_action(ActionChooseWard(), domain, slots={"ward": tapped["ward"]})
    assert responses(chosen) == ["utter_ward_set"] and slot_events(events) == {"ward": None}
    with db.session_scope() as session:
        assert broadcasts.audience_size(session, "announcement", Audience(wards=("jayanagar",), topics=("health",))) == 1
    more, _ = run_action(ActionSubscribe(), domain, text="/subscribe", intent="subscribe", entities=[("topic", "water_supply")])
    assert responses(more) == ["utter_subscribed"]
    assert await ward_questions(domain, "/subscribe", "subscribe") == []  # the ward is known now: not asked again
    assert await ward_questions(domain, "change my ward", "choose_ward") == ["ward"]  # unless asked to change it
    silent, _ = run_action(ActionChooseWard(), domain, slots={})
    assert silent.messages == []


@pytest.mark.parametrize(
    ("text", "language", "ward"),
    [
        ("Jayanagar", "en", "jayanagar"),
        ("jaynagr", "en", "jayanagar"),  # misspelled
        ("basavangudy", "en", "basavanagudi"),
        ("जयनगर", "hi", "jayanagar"),
        ("ಜಯನಗರ", "kn", "jayanagar"),
        ("ಬಸವನಗುಡಿಯಲ್ಲಿ", "kn", "basavanagudi"),  # with a case ending
        ("mera ward koramangla hai", "hi", "koramangala"),
        ("168", "en", "jayanagar"),  # its number
    ],
)
async def test_a_wards_name_alone_or_misspelled_answers_the_ward_question(database, domain, text, language, ward):
    # NLU may call a bare name anything; while the ward is asked, the form reads it as the ward.
    _, slots = await ward_step(domain, text, intent="ask_service", language=language)
    assert slots["ward"] == ward


async def test_an_unknown_ward_is_asked_again_and_a_new_request_is_not_a_ward(database, domain):
    dispatcher, slots = await ward_step(domain, "somewhere near the lake")
    assert responses(dispatcher) == ["utter_ward_not_found"] and slots["ward"] is None
    _, slots = await ward_step(domain, "i want to vote in the poll", intent="poll_answer")
    assert "ward" not in slots  # left to data/rules/new_requests.yml


def test_stopping_one_topic_keeps_the_others(database, domain):
    noticed()
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "health")
        subscriptions.subscribe(session, DEMO_SENDER, "water_supply")
    dispatcher, _ = run_action(ActionStopMessages(), domain, text="stop water supply updates", intent="stop_messages")
    assert responses(dispatcher) == ["utter_topic_stopped"]
    with db.session_scope() as session:
        choices = subscriptions.choices(session, DEMO_SENDER)
    assert choices.topics == ["health"] and not choices.opted_out
    everything, _ = run_action(ActionStopMessages(), domain, text="STOP", intent="stop_messages")
    assert responses(everything) == ["utter_stopped"]


def said(dispatcher, domain, language="en") -> list[str]:
    """The replies as the citizen reads them: each response's text with its parameters filled in."""
    texts = []
    for message in dispatcher.messages:
        text = response_text(domain, message["response"], language)
        for name, value in message.items():
            text = text.replace("{" + name + "}", str(value)) if isinstance(value, str) else text
        texts.append(text)
    return texts


@pytest.mark.parametrize("language", ["en", "hi", "kn"])
def test_a_topic_chosen_after_stop_is_told_as_that_topic_only_and_start_tells_what_came_back(database, domain, language):
    noticed()
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "health")
        subscriptions.subscribe(session, DEMO_SENDER, "power_cuts")
        subscriptions.set_ward(session, DEMO_SENDER, "jayanagar")
    slots = {"language": language}
    run_action(ActionStopMessages(), domain, text="STOP", intent="stop_messages", slots=slots)
    water = {"text": "subscribe water supply", "intent": "subscribe", "entities": [("topic", "water supply")]}
    chosen, _ = run_action(ActionSubscribe(), domain, **water, slots=slots)
    assert responses(chosen) == ["utter_subscribed_after_stop"]
    [text] = said(chosen, domain, language)
    water_name, held = topic_names(["water_supply"], language), topic_names(["health", "power_cuts"], language)
    assert water_name in text and held in text and "START" in text and "{" not in text
    with db.session_scope() as session:
        audience = Audience(wards=("jayanagar",), topics=("health", "power_cuts"))
        assert broadcasts.audience_size(session, "announcement", audience) == 0  # what they were told: nothing else comes
    mine, _ = run_action(ActionMySubscriptions(), domain, text="my updates", intent="my_subscriptions", slots=slots)
    assert responses(mine) == ["utter_subscriptions", "utter_subscriptions_also_held"]
    assert mine.messages[0]["topics"] == water_name and mine.messages[1]["topics"] == held
    started, _ = run_action(ActionStartMessages(), domain, text="START", intent="start_messages", slots=slots)
    assert responses(started) == ["utter_started"] and started.messages[0]["topics"] == held  # what came back
    with db.session_scope() as session:
        audience = Audience(wards=("jayanagar",), topics=("health", "power_cuts"))
        assert broadcasts.audience_size(session, "announcement", audience) == 1


def test_stopping_a_topic_stop_holds_keeps_it_from_coming_back_with_start(database, domain):
    noticed()
    with db.session_scope() as session:
        subscriptions.subscribe(session, DEMO_SENDER, "health")
        subscriptions.subscribe(session, DEMO_SENDER, "water_supply")
        subscriptions.stop_all(session, DEMO_SENDER)
    dispatcher, _ = run_action(ActionStopMessages(), domain, text="stop health updates", intent="stop_messages",
                               entities=[("topic", "health")])  # fmt: skip
    assert responses(dispatcher) == ["utter_topic_stopped"]
    with db.session_scope() as session:
        assert subscriptions.start_again(session, DEMO_SENDER).topics == ["water_supply"]


def test_a_forged_ward_slot_is_not_kept_and_the_ward_is_asked(database, domain):
    """Before: any ward key in the slot was stored on the profile, then the reply crashed naming it."""
    asked = run(ActionChooseWard(), domain, text="/inform", slots={"ward": "../../etc"})
    assert responses(asked) == ["utter_ask_ward"]
    with db.session_scope() as session:
        assert subscriptions.choices(session, DEMO_SENDER).ward is None
    chosen = run(ActionChooseWard(), domain, text="/inform", slots={"ward": "jayanagar"})
    assert responses(chosen) == ["utter_ward_set"]
