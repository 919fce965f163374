"""Officials' accounts (Argon2id), the access policy, sessions' expiry, login throttling, the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from nagarik import db
from nagarik.db import models
from nagarik.officials.cli import main as cli
from nagarik.shared.clock import frozen
from nagarik.shared.masking import mask_phone
from nagarik.staff import accounts, audit, policy, sessions, throttle
from tests.unit.staff_helpers import PASSWORD, START, add_grievance, add_official


def test_password_is_stored_as_argon2id_and_checked(database: str) -> None:
    add_official("asha", "supervisor")
    with db.session_scope() as session:
        official = accounts.find(session, "asha")
        assert official is not None
        assert official.password_hash.startswith("$argon2id$") and PASSWORD not in official.password_hash
        assert accounts.authenticate(session, "asha", PASSWORD) is official
        assert accounts.authenticate(session, "asha", "wrong password!!") is None
        assert accounts.authenticate(session, "nobody", PASSWORD) is None


def test_an_old_hash_is_replaced_at_login(database: str) -> None:
    add_official("asha", "viewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with db.session_scope() as session:
        accounts.find(session, "asha").password_hash = weak
    with db.session_scope() as session:
        assert accounts.authenticate(session, "asha", PASSWORD) is not None
    with db.session_scope() as session:
        assert accounts.find(session, "asha").password_hash != weak


def test_accounts_refuse_unknown_roles_departments_and_disabled_logins(database: str) -> None:
    with db.session_scope() as session:
        with pytest.raises(ValueError, match="role"):
            accounts.create(session, "x", "superuser", PASSWORD)
        with pytest.raises(ValueError, match="department"):
            accounts.create(session, "x", "department_officer", PASSWORD, ["atlantis"])
        with pytest.raises(ValueError, match="department"):
            accounts.create(session, "x", "department_officer", PASSWORD, [])
    add_official("ravi", "department_officer", ["health"])
    with db.session_scope() as session:
        accounts.disable(session, "ravi")
        assert accounts.authenticate(session, "ravi", PASSWORD) is None


def test_policy_denies_by_default_and_checks_the_grievances_department(database: str) -> None:
    add_official("ravi", "department_officer", ["health"])
    add_official("vee", "viewer")
    add_official("bina", "broadcaster")
    add_grievance("GRV-2030-000001", "sanitation", "health")
    add_grievance("GRV-2030-000002", "roads", "engineering")
    with db.session_scope() as session:
        ravi, vee, bina = (accounts.find(session, name) for name in ("ravi", "vee", "bina"))
        health, roads = (
            session.execute(select(models.Grievance).where(models.Grievance.tracking_id == tracking)).scalar_one()
            for tracking in ("GRV-2030-000001", "GRV-2030-000002")
        )
        assert policy.can(ravi, policy.READ_GRIEVANCES, health)
        assert not policy.can(ravi, policy.READ_GRIEVANCES, roads)
        assert policy.visible_departments(ravi) == ["health"]
        assert policy.can(vee, policy.READ_GRIEVANCES, roads) and not policy.can(vee, policy.READ_CITIZEN, roads)
        assert not policy.can(bina, policy.READ_GRIEVANCES, health) and policy.can(bina, policy.SEND_BROADCAST)
        assert not policy.can(ravi, policy.READ_AUDIT) and not policy.can(ravi, "anything.else")
        assert not policy.can(None, policy.USE_CONSOLE)
        accounts.disable(session, "vee")
        assert not policy.can(vee, policy.READ_GRIEVANCES)


def test_phones_are_masked_for_lists() -> None:
    assert mask_phone("919876543210") == "91987•••3210"
    assert mask_phone("+919876543210") == "91987•••3210"
    assert "4321" not in mask_phone("4321")


def test_sessions_end_when_idle_or_too_old_and_are_stored_hashed(database: str) -> None:
    add_official("asha", "supervisor")
    with db.session_scope() as session, frozen(START):
        started = sessions.start(session, accounts.find(session, "asha"), "10.0.0.1", "test")
        assert started.row.token_hash != started.token and started.token not in started.row.token_hash
        token = started.token
    for minutes in range(25, 12 * 60, 25):  # used every 25 minutes: idle never, but 12 hours is the end
        with db.session_scope() as session, frozen(START + dt.timedelta(minutes=minutes)):
            assert sessions.resume(session, token) is not None
    with db.session_scope() as session, frozen(START + dt.timedelta(hours=12)):
        assert sessions.resume(session, token) is None
    with db.session_scope() as session, frozen(START):
        idle = sessions.start(session, accounts.find(session, "asha")).token
    with db.session_scope() as session, frozen(START + dt.timedelta(minutes=29)):
        assert sessions.resume(session, idle) is not None
    with db.session_scope() as session, frozen(START + dt.timedelta(minutes=59, seconds=1)):
        assert sessions.resume(session, idle) is None


def test_throttling_per_account_and_per_address_and_the_window_moves(database: str) -> None:
    with frozen(START):
        for _ in range(5):
            with db.session_scope() as session:
                assert not throttle.blocked(session, "asha", "10.0.0.1")
                throttle.failed(session, "asha", "10.0.0.1")
        with db.session_scope() as session:
            assert throttle.blocked(session, "asha", "10.0.0.9")  # the account, from anywhere
            assert not throttle.blocked(session, "ravi", "10.0.0.9")
        for number in range(20):  # different names, one address
            with db.session_scope() as session:
                assert not throttle.blocked(session, "fresh", "10.0.0.2")
                throttle.failed(session, f"user{number}", "10.0.0.2")
        with db.session_scope() as session:
            assert throttle.blocked(session, "fresh", "10.0.0.2")
    with frozen(START + dt.timedelta(minutes=16)), db.session_scope() as session:
        assert not throttle.blocked(session, "asha", "10.0.0.1")


def test_the_audit_log_keeps_who_what_which_and_where(database: str) -> None:
    with db.session_scope() as session, frozen(START):
        audit.record(session, "asha", "grievance.view", "GRV-2030-000001", "10.0.0.1")
    with db.session_scope() as session:
        (entry,) = audit.recent(session)
        assert (entry.who, entry.action, entry.object, entry.ip, entry.created_at) == (
            "asha",
            "grievance.view",
            "GRV-2030-000001",
            "10.0.0.1",
            START,
        )


def test_the_command_line_adds_lists_disables_and_ends_sessions(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["user", "add", "ravi", "--role", "department_officer", "--department", "health", "--language", "kn"]) == 0
    printed = capsys.readouterr().out
    password = printed.split("password (shown once): ")[1].strip()
    with db.session_scope() as session:
        ravi = accounts.authenticate(session, "ravi", password)
        assert ravi is not None and ravi.departments == ["health"] and ravi.language == "kn"
        sessions.start(session, ravi)
    assert cli(["user", "list"]) == 0
    assert "ravi\tdepartment_officer\thealth\tkn\tactive" in capsys.readouterr().out
    assert cli(["user", "sessions", "end", "ravi"]) == 0
    assert "ended 1 session(s)" in capsys.readouterr().out
    assert cli(["user", "disable", "ravi"]) == 0
    with db.session_scope() as session:
        assert accounts.authenticate(session, "ravi", password) is None
    assert cli(["user", "add", "x", "--role", "department_officer", "--department", "atlantis"]) == 2
