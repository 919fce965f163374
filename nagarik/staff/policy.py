"""The one place that decides what an official may do: `can(official, action, resource)`.

Deny by default: an action not named below, a disabled account or an unknown role gets False.
Grievances are checked by their data (the grievance's department against the account's), not by
the role alone, and so are handoffs: a department officer sees the general desk's (no department)
and their own departments' handoffs.
"""

from __future__ import annotations

from typing import Any

from nagarik.db import models

READ_GRIEVANCES = "grievances.read"
WORK_GRIEVANCES = "grievances.work"  # acknowledge, assign, change status, resolve, reject, transfer, notes
READ_HANDOFFS = "handoffs.read"
WORK_HANDOFFS = "handoffs.work"  # take one, reply to the citizen, return them to the assistant
SUPERVISE = "supervise"  # see breaches: unanswered handoffs, overdue grievances
READ_CONVERSATIONS = "conversations.read"
REVIEW_CONVERSATIONS = "conversations.review"  # flag, tag, note, mark reviewed
READ_BROADCASTS = "broadcasts.read"  # broadcasts, polls, campaigns and their progress
SEND_ALERT = "broadcasts.alert"  # emergency alerts, with a confirmation
READ_DASHBOARD = "dashboard.read"
READ_CITIZEN = "citizen.read"  # a whole phone number and other personal data on a detail page
SEND_BROADCAST = "broadcasts.send"
MANAGE_ACCOUNTS = "accounts.manage"
MANAGE_SESSIONS = "sessions.manage"  # see and end anyone's sessions
READ_AUDIT = "audit.read"
OWN_SESSIONS = "sessions.own"  # see and end one's own
USE_CONSOLE = "console.use"

_ALL_DEPARTMENTS = {"admin", "supervisor", "viewer"}  # read every department's grievances
# A supervisor works every department's grievances and handoffs, reviews conversations, sends
# broadcasts and alerts and reads the dashboard; an admin may all that and manages the console.
_SUPERVISOR = {
    USE_CONSOLE,
    OWN_SESSIONS,
    READ_GRIEVANCES,
    WORK_GRIEVANCES,
    READ_HANDOFFS,
    WORK_HANDOFFS,
    SUPERVISE,
    READ_CITIZEN,
    READ_CONVERSATIONS,
    REVIEW_CONVERSATIONS,
    READ_BROADCASTS,
    SEND_BROADCAST,
    SEND_ALERT,
    READ_DASHBOARD,
}
_ROLE_ACTIONS: dict[str, set[str]] = {
    "admin": _SUPERVISOR | {MANAGE_ACCOUNTS, MANAGE_SESSIONS, READ_AUDIT},
    "supervisor": _SUPERVISOR,
    "department_officer": {
        USE_CONSOLE,
        OWN_SESSIONS,
        READ_GRIEVANCES,
        WORK_GRIEVANCES,
        READ_HANDOFFS,
        WORK_HANDOFFS,
        READ_CITIZEN,
    },
    "broadcaster": {USE_CONSOLE, OWN_SESSIONS, READ_BROADCASTS, SEND_BROADCAST},
    "trainer": {USE_CONSOLE, OWN_SESSIONS, READ_CONVERSATIONS, REVIEW_CONVERSATIONS},
    # reads, masked: no citizen detail, no action
    "viewer": {USE_CONSOLE, OWN_SESSIONS, READ_GRIEVANCES, READ_HANDOFFS, READ_CONVERSATIONS, READ_BROADCASTS, READ_DASHBOARD},
}


def can(official: models.Official | None, action: str, resource: Any = None) -> bool:
    if official is None or official.disabled_at is not None:
        return False
    if action not in _ROLE_ACTIONS.get(official.role, set()):
        return False
    if isinstance(resource, models.Grievance):
        return official.role in _ALL_DEPARTMENTS or resource.department_key in set(official.departments or [])
    if isinstance(resource, models.Handoff):
        general = resource.department_key is None
        return official.role in _ALL_DEPARTMENTS or general or resource.department_key in set(official.departments or [])
    if isinstance(resource, models.OfficialSession) and action == OWN_SESSIONS:
        return resource.official_id == official.id
    return True


def visible_departments(official: models.Official, action: str = READ_GRIEVANCES) -> list[str] | None:
    """The departments whose grievances (or, with READ_HANDOFFS, handoffs) the official may list;
    None for all of them."""
    if not can(official, action):
        return []
    return None if official.role in _ALL_DEPARTMENTS else list(official.departments or [])
