"""The chat side of polls: answer, change, comment, closed polls."""

from __future__ import annotations

import datetime as dt

from helpers import DEMO_SENDER, OTHER_SENDER, responses, slot_events
from helpers import run_action as run

from actions.polls import ActionPollAnswer, ActionSavePollComment
from nagarik import db
from nagarik.db import models
from nagarik.outbound import polls
from nagarik.outbound.broadcasts import Audience
from nagarik.shared import clock


def make_poll(closes_in: dt.timedelta | None = dt.timedelta(days=3), sent_to: tuple[str, ...] = (DEMO_SENDER,)) -> int:
    """A poll whose copies reached `sent_to` (the demo sender unless told otherwise)."""
    with db.session_scope() as session:
        poll = polls.create(
            session,
            question={"en": "Should the park open at 5 am?", "hi": "क्या पार्क सुबह 5 बजे खुले?", "kn": "ಉದ್ಯಾನ ಬೆಳಿಗ್ಗೆ 5ಕ್ಕೆ ತೆರೆಯಬೇಕೆ?"},
            options=[
                {"key": "yes", "names": {"en": "Yes", "hi": "हाँ", "kn": "ಹೌದು"}},
                {"key": "no", "names": {"en": "No", "hi": "नहीं", "kn": "ಇಲ್ಲ"}},
            ],
            audience=Audience(),
            created_by="test",
            closes_at=clock.utcnow() + closes_in if closes_in else None,
        )
        for phone in sent_to:
            session.add(models.BroadcastRecipient(broadcast_id=poll.broadcast_id, phone=phone, language="en", state="sent"))
        return poll.id


def answer(domain, poll_id: int, option: str | None, language: str = "en", sender: str = DEMO_SENDER):
    entities = [("poll_id", str(poll_id)), *([("poll_option", option)] if option else [])]
    return run(
        ActionPollAnswer(),
        domain,
        text="/poll_answer",
        intent="poll_answer",
        entities=entities,
        slots={"language": language},
        sender=sender,
    )


def test_a_poll_answer_can_be_changed_and_is_counted_once(database, domain):
    poll_id = make_poll()
    first, events = answer(domain, poll_id, "yes")
    assert responses(first) == ["utter_poll_recorded"] and first.messages[0]["option"] == "Yes"
    assert first.messages[0]["buttons"][0]["payload"] == f'/poll_comment{{"poll_id":"{poll_id}"}}'
    assert slot_events(events) == {"poll_id": str(poll_id)}
    changed, _ = answer(domain, poll_id, "no", language="hi")
    assert responses(changed) == ["utter_poll_changed"] and changed.messages[0]["option"] == "नहीं"
    with db.session_scope() as session:
        results = polls.results(session, poll_id)
    assert results.by_option == {"yes": 0, "no": 1}


def test_a_closed_poll_refuses_answers(database, domain):
    poll_id = make_poll()
    with db.session_scope() as session:
        polls.close(session, poll_id)
    dispatcher, _ = answer(domain, poll_id, "yes")
    assert responses(dispatcher) == ["utter_poll_closed"]


def test_a_comment_needs_an_answer_first(database, domain):
    poll_id = make_poll()
    slots = {"poll_id": str(poll_id), "poll_comment": "please keep the lights on"}
    before, _ = run(ActionSavePollComment(), domain, slots=slots)
    assert responses(before) == ["utter_poll_comment_needs_answer"]
    answer(domain, poll_id, "yes")
    after, events = run(ActionSavePollComment(), domain, slots=slots)
    assert responses(after) == ["utter_poll_comment_saved"] and slot_events(events) == {"poll_comment": None}
    with db.session_scope() as session:
        assert session.get(models.PollAnswer, (poll_id, DEMO_SENDER)).comment == "please keep the lights on"


def test_without_an_open_poll_the_citizen_is_told_so(database, domain):
    dispatcher, _ = run(ActionPollAnswer(), domain, text="i want to vote", intent="poll_answer")
    assert responses(dispatcher) == ["utter_no_open_poll"]


def test_a_typed_payload_of_a_poll_not_sent_to_the_citizen_counts_nothing(database, domain):
    poll_id = make_poll()  # sent to the demo sender only
    for option in ("yes", None):  # an answer, or "show me the question"
        dispatcher, events = answer(domain, poll_id, option, language="kn", sender=OTHER_SENDER)
        assert responses(dispatcher) == ["utter_poll_not_sent_to_you"] and events == []
    slots = {"poll_id": str(poll_id), "poll_comment": "count me too", "language": "hi"}
    comment, _ = run(ActionSavePollComment(), domain, slots=slots, sender=OTHER_SENDER)
    assert responses(comment) == ["utter_poll_not_sent_to_you"]
    with db.session_scope() as session:
        assert polls.results(session, poll_id).total == 0 and session.get(models.PollAnswer, (poll_id, OTHER_SENDER)) is None
    # The reply exists in every language the chat speaks.
    languages = {(c.get("condition") or [{"value": "en"}])[0]["value"] for c in domain["responses"]["utter_poll_not_sent_to_you"]}
    assert languages == {"en", "hi", "kn"}
