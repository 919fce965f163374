"""What the browser tests share besides fixtures: the accounts, the running console, the login type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    departments: tuple[str, ...] = ()


# One account per role (the test password, tests/unit/staff_helpers.PASSWORD), keyed by role, plus
# a second department's officer for the scoping tests. `login(page, KEY)` signs in as one.
ACCOUNTS: dict[str, Account] = {
    "admin": Account("b-admin", "admin"),
    "supervisor": Account("b-supervisor", "supervisor"),
    "department_officer": Account("b-health-officer", "department_officer", ("health",)),
    "broadcaster": Account("b-broadcaster", "broadcaster"),
    "trainer": Account("b-trainer", "trainer"),
    "viewer": Account("b-viewer", "viewer"),
    "water_officer": Account("b-water-officer", "department_officer", ("water",)),
}


@dataclass(frozen=True)
class Console:
    """The officials' web server the tests started: where it is and the database it uses."""

    base_url: str  # http://127.0.0.1:PORT
    database_url: str
    log: Path

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}/console{path}"

    def username(self, who: str) -> str:
        return ACCOUNTS[who].username


Login = Callable[[Page, str], None]
