"""`python -m nagarik demo`'s console accounts (seed/demo.yml): one per role, passwords generated
when an account is made and printed that once; a re-run resets and reprints nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nagarik import db
from nagarik.officials.cli import main
from nagarik.officials.demo import DEMO_FILE, seed_accounts
from nagarik.shared.seed_files import load_yaml
from nagarik.staff import accounts

PASSWORD_LINE = re.compile(r"console account (\S+) \((\w+)[^)]*\) password \(shown once\): (\S+)$", re.MULTILINE)


def test_the_seed_file_names_one_account_per_role_and_holds_no_password(catalog) -> None:
    specs = load_yaml(DEMO_FILE)["officials"]
    assert sorted(spec["role"] for spec in specs) == sorted(accounts.ROLES)
    assert not any("password" in spec for spec in specs)
    assert "password:" not in DEMO_FILE.read_text()
    known = {department.key for department in catalog.departments}
    assert all(set(spec.get("departments", [])) <= known for spec in specs)


def test_accounts_are_made_once_with_working_passwords_and_a_rerun_changes_nothing(database: str) -> None:
    made, existing = seed_accounts()
    assert existing == 0 and sorted(account.role for account in made) == sorted(accounts.ROLES)
    assert len({account.password for account in made}) == len(made)
    officer = next(account for account in made if account.role == "department_officer")
    assert officer.departments == ["health"]
    with db.session_scope() as session:
        hashes = {account.username: accounts.find(session, account.username).password_hash for account in made}
        for account in made:
            assert accounts.authenticate(session, account.username, account.password) is not None
    again, existing = seed_accounts()
    assert again == [] and existing == len(made)
    with db.session_scope() as session:
        assert {name: accounts.find(session, name).password_hash for name in hashes} == hashes
        assert accounts.authenticate(session, made[0].username, made[0].password) is not None


def test_only_missing_accounts_are_added(database: str, tmp_path: Path) -> None:
    seed = tmp_path / "demo.yml"
    seed.write_text(
        "officials:\n  - {username: demo-viewer, role: viewer}\n"
        "  - {username: demo-water, role: department_officer, departments: [water]}\n"
    )
    with db.session_scope() as session:
        accounts.create(session, "demo-viewer", "viewer", "an existing password")
    made, existing = seed_accounts(seed)
    assert [(account.username, account.departments) for account in made] == [("demo-water", ["water"])] and existing == 1
    with db.session_scope() as session:
        assert accounts.authenticate(session, "demo-viewer", "an existing password") is not None


def test_the_command_prints_each_new_password_once(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    printed = PASSWORD_LINE.findall(first)
    assert sorted(role for _, role, _ in printed) == sorted(accounts.ROLES)
    with db.session_scope() as session:
        assert all(accounts.authenticate(session, name, password) for name, _, password in printed)
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert not PASSWORD_LINE.search(second)
    assert f"{len(accounts.ROLES)} console account(s) existed already" in second
    assert not any(password in second for _, _, password in printed)
