"""The reply language is inferred, chosen and remembered; a handoff is queued once."""

from helpers import DEMO_SENDER, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.language import ActionChooseLanguage, ActionSetLanguage
from nagarik import db
from nagarik.citizens import handoffs
from nagarik.db import models


def run(action, domain, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(**tracker_args), domain)
    return dispatcher, slot_events(events)


def test_language_inferred_from_script_and_remembered_for_the_next_session(database, domain):
    _, slots = run(ActionSetLanguage(), domain, text="ಕಸ ತೆಗೆದುಕೊಂಡು ಹೋಗಿಲ್ಲ", intent="file_grievance")
    assert slots == {"language": "kn"}
    # A new session starts with an empty slot; the database remembers.
    _, slots = run(ActionSetLanguage(), domain, text="ok", intent="affirm")
    assert slots == {"language": "kn"}
    with db.session_scope() as session:
        assert session.get(models.Citizen, DEMO_SENDER).language_source == "inferred"


def test_hinglish_is_answered_in_hindi(database, domain):
    _, slots = run(ActionSetLanguage(), domain, text="mera trade licence kab tak milega", intent="check_application_status")
    assert slots == {"language": "hi"}


def test_explicit_choice_wins_over_latin_script(database, domain):
    _, slots = run(
        ActionSetLanguage(),
        domain,
        text='/choose_language{"language":"kn"}',
        intent="choose_language",
        entities=[("language", "kn")],
    )
    assert slots == {"language": "kn"}
    _, slots = run(
        ActionSetLanguage(),
        domain,
        text="what documents are needed for trade licence",
        intent="ask_documents",
        slots={"language": "kn"},
    )
    assert slots == {}
    dispatcher, _ = run(
        ActionChooseLanguage(), domain, text="hindi please", intent="choose_language", entities=[("language", "hindi")]
    )
    assert responses(dispatcher) == ["utter_language_set"]
    dispatcher, _ = run(ActionChooseLanguage(), domain, text="change language", intent="choose_language")
    assert responses(dispatcher) == ["utter_choose_language"]


def test_handoff_is_queued_once_with_a_reference(database, domain):
    first, _ = run(ActionHandoff(), domain, text="i want to talk to an officer", intent="human_handoff")
    assert first.messages[0]["response"] == "utter_handoff_created"
    reference = first.messages[0]["reference"]
    assert reference.startswith("HO-") and first.messages[0]["when"]
    again, _ = run(ActionHandoff(), domain, text="hello? officer?", intent="human_handoff")
    assert again.messages[0]["response"] == "utter_handoff_existing" and again.messages[0]["reference"] == reference
    with db.session_scope() as session:
        queued = handoffs.open_handoffs(session)
        assert [h.reference for h in queued] == [reference] and queued[0].last_message == "i want to talk to an officer"
