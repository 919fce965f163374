"""Choosing updates in the chat: notice first, then topics; STOP and START; what I receive."""

from helpers import DEMO_SENDER, make_tracker, responses
from rasa_sdk.executor import CollectingDispatcher

from actions.subscriptions import ActionMySubscriptions, ActionStartMessages, ActionStopMessages, ActionSubscribe
from nagarik import broadcasts, db, subscriptions
from nagarik.broadcasts import Audience


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
    assert responses(run(ActionMySubscriptions(), domain, text="my updates", intent="my_subscriptions")) == [
        "utter_no_subscriptions"
    ]
    with db.session_scope() as session:
        assert broadcasts.audience_size(session, "announcement", Audience()) == 0
    started = run(ActionStartMessages(), domain, text="START", intent="start_messages", slots={"language": "hi"})
    assert responses(started) == ["utter_started"] and started.messages[0]["topics"]
    mine = run(ActionMySubscriptions(), domain, text="my updates", intent="my_subscriptions")
    assert responses(mine) == ["utter_subscriptions"]
