"""Officials' console accounts: create, verify a password (Argon2id, rehashed when the hasher's
parameters change), list and disable."""

from __future__ import annotations

import contextlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.db import models
from nagarik.shared import clock

ROLES = ("admin", "supervisor", "department_officer", "broadcaster", "trainer", "viewer")
LANGUAGES = ("en", "hi", "kn")
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile
# Verifying against this when the account is unknown costs the same time as a real check.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def create(
    session: Session, username: str, role: str, password: str, departments: list[str] | None = None, language: str = "en"
) -> models.Official:
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("a user name has 1 to 64 characters")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    departments = sorted(set(departments or []))
    known = set(session.execute(select(models.DepartmentRow.key)).scalars())
    unknown = [key for key in departments if key not in known]
    if unknown:
        raise ValueError(f"unknown department(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if role == "department_officer" and not departments:
        raise ValueError("a department officer needs at least one --department")
    if find(session, username) is not None:
        raise ValueError(f"a user {username!r} exists already")
    official = models.Official(
        username=username, password_hash=_hasher.hash(password), role=role, departments=departments, language=language
    )
    session.add(official)
    session.flush()
    return official


def find(session: Session, username: str) -> models.Official | None:
    return session.execute(select(models.Official).where(models.Official.username == username)).scalar_one_or_none()


def authenticate(session: Session, username: str, password: str) -> models.Official | None:
    """The enabled account whose password this is, else None (the same for every kind of failure)."""
    official = find(session, username)
    if official is None or official.disabled_at is not None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(official.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(official.password_hash):
        official.password_hash = _hasher.hash(password)
    return official


def set_language(session: Session, official: models.Official, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    official.language = language


def everyone(session: Session) -> list[models.Official]:
    return list(session.execute(select(models.Official).order_by(models.Official.username)).scalars())


def disable(session: Session, username: str) -> models.Official:
    official = find(session, username)
    if official is None:
        raise KeyError(f"no user {username!r}")
    official.disabled_at = official.disabled_at or clock.utcnow()
    return official
