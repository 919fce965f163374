"""Status privacy: who may see an application, and how guessing is stopped."""

import datetime as dt

from helpers import DEMO_SENDER, OTHER_SENDER

from nagarik import db
from nagarik.citizens import applications
from nagarik.citizens.applications import (
    APPLICATION_FAILURE_WINDOW,
    MAX_FAILED_CHECKS,
    MAX_FAILED_CHECKS_PER_APPLICATION,
    VERIFIED_FOR,
    Outcome,
    StatusCheck,
)
from nagarik.db import models

OWN = "BC-2026-001234"  # registered to DEMO_SENDER, born 1992-04-15
NOT_OWN = "TL-2026-000981"  # registered to 919845012345, born 1985-08-15
MISSING = "BC-2026-999999"


def test_registered_phone_sees_status_without_a_second_check(database):
    with db.session_scope() as session:
        check = applications.check_by_sender(session, OWN, DEMO_SENDER)
    assert check.outcome is Outcome.VERIFIED
    assert check.application.number == OWN


def test_other_phone_must_answer_a_second_check(database):
    with db.session_scope() as session:
        assert applications.check_by_sender(session, NOT_OWN, DEMO_SENDER).outcome is Outcome.NEEDS_SECOND_CHECK


def test_missing_number_asks_the_same_second_check(database):
    with db.session_scope() as session:
        assert applications.check_by_sender(session, MISSING, DEMO_SENDER).outcome is Outcome.NEEDS_SECOND_CHECK


def test_right_date_of_birth_verifies(database):
    with db.session_scope() as session:
        check = applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1985, 8, 15))
    assert check.outcome is Outcome.VERIFIED


def test_wrong_date_and_missing_number_are_indistinguishable(database):
    with db.session_scope() as session:
        wrong = applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1990, 1, 1))
        missing = applications.check_by_date_of_birth(session, MISSING, OTHER_SENDER, dt.date(1990, 1, 1))
    assert wrong == missing
    assert wrong.outcome is Outcome.NOT_VERIFIED and wrong.application is None


def test_failed_checks_are_limited_per_sender_per_day(database):
    now = dt.datetime(2026, 11, 25, 6, 0)
    with db.session_scope() as session:
        for _ in range(MAX_FAILED_CHECKS):
            outcome = applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1990, 1, 1), now).outcome
            assert outcome is Outcome.NOT_VERIFIED
        # Even the right answer is refused now, so the limit cannot be used to confirm a guess.
        right = applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1985, 8, 15), now)
        assert right.outcome is Outcome.RATE_LIMITED
        assert applications.check_by_sender(session, MISSING, OTHER_SENDER, now).outcome is Outcome.RATE_LIMITED
        # Another citizen is not affected, and the owner still sees their own application.
        assert applications.check_by_sender(session, NOT_OWN, DEMO_SENDER, now).outcome is Outcome.NEEDS_SECOND_CHECK
        assert applications.check_by_sender(session, OWN, DEMO_SENDER, now).outcome is Outcome.VERIFIED
        # A day later the sender may try again.
        later = now + dt.timedelta(hours=25)
        assert applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1985, 8, 15), later).outcome is (
            Outcome.VERIFIED
        )


def test_failed_checks_are_limited_per_application_number_whoever_sends_them(database):
    """Rotating phones gives no more guesses: after the cap every second check on the number is
    sent to the counter, and a number that does not exist answers exactly the same."""
    now = dt.datetime(2026, 11, 25, 6, 0)
    wrong, right = dt.date(1990, 1, 1), dt.date(1985, 8, 15)
    fresh = "917000000999"
    with db.session_scope() as session:
        for number in (NOT_OWN, MISSING):
            for attempt in range(MAX_FAILED_CHECKS_PER_APPLICATION):  # each guess from another phone
                guesser = f"91700000{attempt:04d}"
                assert applications.check_by_date_of_birth(session, number, guesser, wrong, now).outcome is Outcome.NOT_VERIFIED
        answers = {
            number: (
                applications.check_by_sender(session, number, fresh, now),
                applications.check_by_date_of_birth(session, number, fresh, right, now),
            )
            for number in (NOT_OWN, MISSING)
        }
        assert answers[NOT_OWN] == answers[MISSING] == (StatusCheck(Outcome.ASK_AT_COUNTER),) * 2  # even the right date
        assert applications.failed_checks(session, fresh, now) == 0  # refused before any guess: nothing counted
        # Other numbers are not affected, and the registered phone still sees its own application.
        assert applications.check_by_sender(session, OWN, fresh, now).outcome is Outcome.NEEDS_SECOND_CHECK
        assert applications.check_by_sender(session, NOT_OWN, "919845012345", now).outcome is Outcome.VERIFIED
        # The sender's own limit still comes first (it does not look at the application either).
        for number in ("BC-2026-900001", "BC-2026-900002", "BC-2026-900003"):
            applications.check_by_date_of_birth(session, number, fresh, wrong, now)
        assert applications.check_by_sender(session, NOT_OWN, fresh, now).outcome is Outcome.RATE_LIMITED
        # When the window has passed, the number may be checked again.
        later = now + APPLICATION_FAILURE_WINDOW + dt.timedelta(minutes=1)
        assert applications.check_by_date_of_birth(session, NOT_OWN, "917000000998", right, later).outcome is Outcome.VERIFIED


def test_a_passed_check_lets_that_sender_see_that_number_for_a_while(database):
    now = dt.datetime(2026, 11, 25, 6, 0)
    with db.session_scope() as session:
        assert applications.verified_application(session, NOT_OWN, OTHER_SENDER, now) is None  # no check yet
        applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1990, 1, 1), now)
        assert applications.verified_application(session, NOT_OWN, OTHER_SENDER, now) is None  # a failed one
        applications.check_by_date_of_birth(session, NOT_OWN, OTHER_SENDER, dt.date(1985, 8, 15), now)
        assert applications.verified_application(session, NOT_OWN, OTHER_SENDER, now).number == NOT_OWN
        assert applications.verified_application(session, NOT_OWN, OTHER_SENDER, now + VERIFIED_FOR) is None  # expired
        assert applications.verified_application(session, NOT_OWN, "917000000555", now) is None  # someone else
        assert applications.verified_application(session, OWN, OTHER_SENDER, now) is None  # another number
        assert applications.verified_application(session, OWN, DEMO_SENDER, now).number == OWN  # the registered phone
        assert applications.verified_application(session, MISSING, OTHER_SENDER, now) is None
        assert applications.verified_application(session, None, OTHER_SENDER, now) is None


def test_move_to_stage(database):
    with db.session_scope() as session:
        assert session.get(models.Application, OWN).updated_by == "system"  # loaded, never moved by anyone
        applications.move_to_stage(session, OWN, "approval", dt.date(2026, 12, 1), by="revenue-office")
    with db.session_scope() as session:
        application = session.get(models.Application, OWN)
        assert application.stage_key == "approval" and application.expected_on == dt.date(2026, 12, 1)
        assert application.updated_by == "revenue-office"
